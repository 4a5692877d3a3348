#!/usr/bin/env bash
# B1: HTTP throughput and latency of findFirst by _id on the embedded demo,
# next to nginx serving the same JSON bytes, same machine, same run, same
# wrk settings. Prints req/s for both, the ratio, and p50/p99.
#
#   bench/b1_http.sh            (CONNECTIONS=64 DURATION=10s THREADS=2)
#   BASELINE_SERVER=/path/to/older/drizzle-convex-server bench/b1_http.sh
#                               also runs an older build on the same request in
#                               the same run and prints this build / that build
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
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# PLAN_CACHE=0 measures every request planned from scratch (cache misses).
build/release/drizzle-convex-server --demo --port 0 --plan-cache "${PLAN_CACHE:-1024}" >"$work/server.out" 2>/dev/null &
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
ours=$(run -s "$work/post.lua" "http://127.0.0.1:$port/v1/query")
ref=$(run "http://127.0.0.1:$nginx_port/post.json")
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' <<<"$1"; }
ours_rps=$(rps "$ours"); ref_rps=$(rps "$ref")
echo "B1 findFirst by _id, $bytes-byte response, plan cache ${PLAN_CACHE:-1024} entries, wrk -t$THREADS -c$CONNECTIONS -d$DURATION on $(nproc) cores (client and server share them)"
printf '  drizzle-convex: %10s req/s  p50 %-8s p99 %s\n' "$ours_rps" "$(pct "$ours" 50%)" "$(pct "$ours" 99%)"
printf '  nginx (static): %10s req/s  p50 %-8s p99 %s\n' "$ref_rps" "$(pct "$ref" 50%)" "$(pct "$ref" 99%)"
awk -v a="$ours_rps" -v b="$ref_rps" 'BEGIN { printf "  ratio drizzle-convex / nginx: %.2f\n", a / b }'

if [[ -n "${BASELINE_SERVER:-}" ]]; then
  "$BASELINE_SERVER" --demo --port 0 --plan-cache "${PLAN_CACHE:-1024}" >"$work/base.out" 2>/dev/null &
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
