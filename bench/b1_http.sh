#!/usr/bin/env bash
# B1: HTTP throughput and latency of findFirst by _id on the embedded demo,
# next to nginx serving the same JSON bytes, same machine, same run, same
# wrk settings. Prints req/s for both, the ratio, and p50/p99.
#
#   bench/b1_http.sh            (CONNECTIONS=64 DURATION=10s THREADS=2)
#                               three alternating pairs (this build, nginx);
#                               prints each pair and the median ratio
#   RESULT_CACHE=0 bench/b1_http.sh
#                               every read executed and printed (no result
#                               cache); PLAN_CACHE=0 also plans each one
#   BASELINE_SERVER=/path/to/older/drizzle-convex-server bench/b1_http.sh
#                               also runs an older build on the same request in
#                               the same run and prints this build / that build
#   AUTH=1 bench/b1_http.sh     also runs this build with --auth, a valid HS256
#                               JWT on every request (verified once, then
#                               cached) and a row rule with a claim on posts,
#                               and prints auth / no auth from the same run
set -euo pipefail
cd "$(dirname "$0")/.."
DC_WITH_BENCH=1 ./scripts/build.sh >/dev/null  # the README's build, plus wrk and nginx
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
work=$(mktemp -d)
cleanup() {
  [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "${base_pid:-}" ]] && kill "$base_pid" 2>/dev/null || true
  [[ -n "${auth_pid:-}" ]] && kill "$auth_pid" 2>/dev/null || true
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# PLAN_CACHE=0 measures every request planned from scratch (cache misses);
# RESULT_CACHE=0 every request executed and printed.
caches=(--plan-cache "${PLAN_CACHE:-1024}" --result-cache "${RESULT_CACHE:-67108864}")
build/release/drizzle-convex-server --demo --port 0 "${caches[@]}" >"$work/server.out" 2>/dev/null &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" && break; sleep 0.1; done
port=$(grep -o '[0-9]*$' "$work/server.out")
id=$(curl -s "127.0.0.1:$port/v1/query" -d '{"table":"posts","op":"findFirst","columns":{"_id":true}}' | sed -E 's/.*"_id":"([^"]+)".*/\1/')
body="{\"table\":\"posts\",\"op\":\"findFirst\",\"where\":{\"_id\":\"$id\"}}"
curl -s "127.0.0.1:$port/v1/query" -d "$body" >"$work/response.json"
bytes=$(wc -c <"$work/response.json")

mkdir -p "$work/www" "$work/tmp"
cp "$work/response.json" "$work/www/post.json"
nginx_port=$((port + 1))
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  default_type application/json;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf"
sleep 0.3

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

run() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@"; }
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' <<<"$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "B1 findFirst by _id, $bytes-byte response, plan cache ${PLAN_CACHE:-1024} entries, result cache ${RESULT_CACHE:-67108864} bytes, wrk -t$THREADS -c$CONNECTIONS -d$DURATION on $(nproc) cores (client and server share them)"
# Three alternating pairs (this build, then nginx), so drift over the run
# falls on both sides alike; the figure is the median pair's ratio.
ratios=(); ours_lines=(); ref_lines=()
for pair in 1 2 3; do
  ours=$(run -s "$work/post.lua" "http://127.0.0.1:$port/v1/query")
  ref=$(run "http://127.0.0.1:$nginx_port/post.json")
  ours_rps=$(rps "$ours"); ref_rps=$(rps "$ref")
  ratio=$(awk -v a="$ours_rps" -v b="$ref_rps" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  ours_lines+=("$(printf '  drizzle-convex: %10s req/s  p50 %-8s p99 %s' "$ours_rps" "$(pct "$ours" 50%)" "$(pct "$ours" 99%)")")
  ref_lines+=("$(printf '  nginx (static): %10s req/s  p50 %-8s p99 %s' "$ref_rps" "$(pct "$ref" 50%)" "$(pct "$ref" 99%)")")
  printf '  pair %s: drizzle-convex %10s req/s, nginx %10s req/s, ratio %s\n' "$pair" "$ours_rps" "$ref_rps" "$ratio"
done
# The median pair, in full (bench/plot.sh draws it).
mid=$(median "${ratios[@]}")
for i in 0 1 2; do
  if [[ "${ratios[$i]}" == "$mid" ]]; then
    echo "${ours_lines[$i]}"; echo "${ref_lines[$i]}"; ours_rps=$(awk '{print $2}' <<<"${ours_lines[$i]}"); ref_rps=$(awk '{print $3}' <<<"${ref_lines[$i]}")
    break
  fi
done
echo "  ratio drizzle-convex / nginx: $mid (median of the pairs ${ratios[*]})"

if [[ -n "${BASELINE_SERVER:-}" ]]; then
  # An older build may not know --result-cache: it gets the plan cache only.
  base_flags=(--plan-cache "${PLAN_CACHE:-1024}")
  if "$BASELINE_SERVER" --help 2>&1 | grep -q -- --result-cache; then base_flags=("${caches[@]}"); fi
  "$BASELINE_SERVER" --demo --port 0 "${base_flags[@]}" >"$work/base.out" 2>/dev/null &
  base_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/base.out" && break; sleep 0.1; done
  base_port=$(grep -o '[0-9]*$' "$work/base.out")
  # The demo's ids are deterministic: the same body finds the same post.
  base=$(run -s "$work/post.lua" "http://127.0.0.1:$base_port/v1/query")
  again=$(run -s "$work/post.lua" "http://127.0.0.1:$port/v1/query")
  base_rps=$(rps "$base"); again_rps=$(rps "$again")
  printf '  baseline build: %10s req/s  p50 %-8s p99 %s   (%s)\n' "$base_rps" "$(pct "$base" 50%)" "$(pct "$base" 99%)" "$BASELINE_SERVER"
  printf '  this build, again: %7s req/s  p50 %-8s p99 %s\n' "$again_rps" "$(pct "$again" 50%)" "$(pct "$again" 99%)"
  awk -v a="$ours_rps" -v c="$again_rps" -v b="$base_rps" -v n="$ref_rps" 'BEGIN { printf "  ratio this build / baseline: %.2f (mean of both runs of this build); baseline / nginx: %.2f\n", (a + c) / 2 / b, b / n }'
fi

if [[ "${AUTH:-0}" == "1" ]]; then
  secret="b1-bench-secret-0123456789abcdef0123"
  cat >"$work/auth.json" <<AUTHFILE
{"jwt": {"secret": "$secret", "algorithms": ["HS256"]}, "defaultRole": "user",
 "roles": {"user": {"tables": {"posts": {"select": {"filter": {"OR": [{"published": true}, {"authorId": {"\$claim": "sub"}}]}}}}}}}
AUTHFILE
  build/release/drizzle-convex-server --demo --port 0 "${caches[@]}" --auth "$work/auth.json" >"$work/auth.out" 2>/dev/null &
  auth_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/auth.out" && break; sleep 0.1; done
  auth_port=$(grep -o '[0-9]*$' "$work/auth.out")
  token=$(node -e '
    const { createHmac } = require("node:crypto");
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const s = b64({ alg: "HS256", typ: "JWT" }) + "." + b64({ sub: "bench-user", exp: Math.floor(Date.now() / 1000) + 3600 });
    process.stdout.write(s + "." + createHmac("sha256", process.argv[1]).update(s).digest("base64url"));' "$secret")
  sed "s|^wrk.headers\[\"Content-Type\"\].*|&\nwrk.headers[\"Authorization\"] = \"Bearer $token\"|" "$work/post.lua" >"$work/post-auth.lua"
  # The demo's ids are deterministic and the post is published: both servers answer the same row.
  curl -s "127.0.0.1:$auth_port/v1/query" -H "Authorization: Bearer $token" -d "$body" | cmp -s - "$work/response.json" \
    || { echo "B1 auth: the authenticated answer differs from the plain one" >&2; exit 1; }
  # Alternating pairs (no auth, then auth), so drift over the run falls on both sides alike.
  ratios=()
  for pair in 1 2 3; do
    plain=$(run -s "$work/post.lua" "http://127.0.0.1:$port/v1/query")
    with_auth=$(run -s "$work/post-auth.lua" "http://127.0.0.1:$auth_port/v1/query")
    plain_rps=$(rps "$plain"); auth_rps=$(rps "$with_auth")
    printf '  pair %s: no auth %10s req/s (p99 %s), --auth + JWT each request %10s req/s (p99 %s)\n' \
      "$pair" "$plain_rps" "$(pct "$plain" 99%)" "$auth_rps" "$(pct "$with_auth" 99%)"
    ratios+=("$(awk -v a="$auth_rps" -v p="$plain_rps" 'BEGIN { printf "%.3f", a / p }')")
  done
  printf '  ratio auth / no auth per pair: %s; mean %s\n' "${ratios[*]}" \
    "$(printf '%s\n' "${ratios[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')"
fi
