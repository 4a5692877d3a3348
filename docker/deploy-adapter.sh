#!/usr/bin/env bash
# Puts drizzle-convex in front of the self-hosted Convex backend of
# compose.yml, step by step (docs/deployment.md, "Compose with self-hosted Convex"):
#   1. the backend and dashboard up and healthy;
#   2. an admin key from the backend's generate_admin_key.sh, kept in .env;
#   3. the sample project (sample/, the adapter wired in) deployed with
#      `npx convex deploy` and CONVEX_SELF_HOSTED_URL / CONVEX_SELF_HOSTED_ADMIN_KEY;
#   4. auth.json made from auth.example.json with a new service API key
#      (printed once; only its SHA-256 is stored), unless one exists;
#   5. the proxy built and started with that key, and /readyz awaited.
# Idempotent: a key or auth file already there is kept.
#
# DOCKER_COMPOSE (default "docker compose"), NPM (default "npm") and NPX
# (default "npx") name the tools, checked before the first step; tests/e2e/compose.test.mjs runs these steps with stand-ins for them
# against the Convex emulator.
set -euo pipefail
cd "$(dirname "$0")"
compose=(${DOCKER_COMPOSE:-docker compose})
npx_cmd=(${NPX:-npx})
npm_cmd=(${NPM:-npm})

# What the steps need, checked before any of them runs.
need() {  # command what-for
  command -v "$1" > /dev/null || { echo "deploy-adapter.sh: '$1' is needed ($2) and is not on PATH" >&2; exit 1; }
}
need "${compose[0]}" "to run the backend and the proxy"
need "${npm_cmd[0]}" "to install the sample project's packages (Node 18 or later)"
need "${npx_cmd[0]}" "to deploy the sample project with the Convex CLI"
need curl "to wait for the backend and the proxy"
need openssl "to make the service API key"

[[ -f .env ]] || cp .env.example .env
env_value() { grep -E "^$1=" .env | tail -1 | cut -d= -f2- || true; }
set_env() {  # name value: replace the line, or add it
  local tmp
  tmp="$(mktemp)"
  grep -vE "^$1=" .env > "$tmp" || true
  printf '%s=%s\n' "$1" "$2" >> "$tmp"
  mv "$tmp" .env
}
port="$(env_value PORT)"; port="${port:-3210}"
dc_port="$(env_value PROXY_PORT)"; dc_port="${dc_port:-8787}"
backend_url="http://127.0.0.1:${port}"

wait_for() {  # url what seconds
  for ((i = 0; i < $3 * 2; i++)); do
    if curl -sf -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "deploy-adapter.sh: $2 did not answer $1 within $3 s" >&2
  return 1
}

echo "1/5 backend and dashboard"
"${compose[@]}" up -d backend dashboard
wait_for "$backend_url/version" "the Convex backend" 120

echo "2/5 admin key"
key="$(env_value CONVEX_SELF_HOSTED_ADMIN_KEY)"
if [[ -z "$key" ]]; then
  # The script prints a line of explanation and then the key (convex-self-hosted|<hex>).
  key="$("${compose[@]}" exec -T backend ./generate_admin_key.sh | grep -E '\|' | tail -1 | tr -d '\r')"
  [[ -n "$key" ]] || { echo "deploy-adapter.sh: generate_admin_key.sh printed no key" >&2; exit 1; }
  set_env CONVEX_SELF_HOSTED_ADMIN_KEY "$key"
  echo "    written to docker/.env"
else
  echo "    kept the one in docker/.env"
fi

echo "3/5 the sample project with the adapter"
# The sample depends on ../../adapter by path: its dist/ must be built.
if [[ ! -f ../adapter/dist/index.js ]]; then
  (cd ../adapter && "${npm_cmd[@]}" ci --no-audit --no-fund && "${npm_cmd[@]}" run build)
fi
(
  cd sample
  "${npm_cmd[@]}" install --no-audit --no-fund
  CONVEX_SELF_HOSTED_URL="$backend_url" CONVEX_SELF_HOSTED_ADMIN_KEY="$key" "${npx_cmd[@]}" convex deploy --yes
)

echo "4/5 auth.json"
auth_path="$(env_value PROXY_AUTH_JSON)"; auth_path="${auth_path:-./auth.json}"
if [[ -f "$auth_path" ]]; then
  echo "    kept $auth_path"
else
  api_key="dcx_$(openssl rand -hex 24)"
  digest="$(printf '%s' "$api_key" | openssl dgst -sha256 -r | cut -d' ' -f1)"
  sed "s/REPLACED_BY_DEPLOY_ADAPTER_SH/$digest/" auth.example.json > "$auth_path"
  chmod 644 "$auth_path"
  echo "    $auth_path written; the service API key (shown once, keep it):"
  echo "    $api_key"
fi

echo "5/5 the proxy"
"${compose[@]}" up -d --build proxy
wait_for "http://127.0.0.1:${dc_port}/readyz" "the proxy" 120 || { "${compose[@]}" logs --tail 50 proxy >&2 || true; exit 1; }
echo "ready: http://127.0.0.1:${dc_port}  (dcq --url http://127.0.0.1:${dc_port} --token <service key> schema)"
