#!/usr/bin/env bash
# B4: inserts per second on the embedded engine: single rows and 100-row
# batches, memory-only and durable (--data-dir: fdatasync before each answer),
# with this disk's fdatasync latency measured in the same run for reference.
#
#   bench/b4_writes.sh        (CONNECTIONS=8 DURATION=5s)
#   CONNECTIONS=64 BASELINE_SERVER=<older build>/build/release/drizzle-convex-server bench/b4_writes.sh
#     runs each case on the older server too, side by side in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
DC_WITH_BENCH=1 ./scripts/build.sh >/dev/null  # the README's build, plus wrk and nginx
CONNECTIONS="${CONNECTIONS:-8}"
DURATION="${DURATION:-5s}"
work=$(mktemp -d)
# Stops what it started, by process id: a server still running (an
# interrupted run) and the /healthz prober, never another process.
started=()
cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fixture=tests/conformance/fixtures/org

# Each request inserts rows with names unique across threads and requests.
cat >"$work/insert.lua" <<'LUA'
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) batch = tonumber(args[1]); n = 0 end
function request()
  local rows = {}
  for i = 1, batch do
    n = n + 1
    rows[i] = string.format('{"name":"t%s-%d"}', tid, n)
  end
  local values = batch == 1 and rows[1] or ("[" .. table.concat(rows, ",") .. "]")
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
                    '{"op":"insert","table":"companies","values":' .. values .. '}')
end
function done(summary, latency, requests)
  io.write(string.format("NON2XX %d\n", summary.errors.status))
end
LUA

SERVER=build/release/drizzle-convex-server
run() {  # mode batch [label]
  local args=(--schema "$fixture/schema.json" --import "$fixture/data" --no-access-log --port 0)
  [[ "$1" == durable ]] && args+=(--data-dir "$work/data-${LABEL:-this}-$2")
  "$SERVER" "${args[@]}" >"$work/out" 2>"$work/err" &
  local server=$!
  started+=("$server")
  for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
  local port; port=$(grep -o '[0-9]*$' "$work/out")
  # /healthz while the writes run: its worst time of 20 probes, 150 ms apart, from the second second on.
  (sleep 1; for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/healthz"; sleep 0.15; done) >"$work/health" &
  local probe=$!
  started+=("$probe")
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/insert.lua" "http://127.0.0.1:$port/v1/mutate" -- "$2")
  wait "$probe" 2>/dev/null || true
  kill "$server"; wait "$server" 2>/dev/null || true
  local health; health=$(sort -n "$work/health" | tail -1 | awk '{printf "%.1f ms", $1 * 1000}')
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local p99; p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local bad; bad=$(awk '/NON2XX/ {print $2}' <<<"$out")
  printf '  %-9s %-7s %3s-row inserts: %9.0f rows/s  %7.0f requests/s  p99 %-8s (non-2xx: %s)  /healthz max %s\n' "${LABEL:-}" "$1" "$2" \
    "$(awk -v r="$rps" -v b="$2" 'BEGIN {print r * b}')" "$rps" "$p99" "${bad:-0}" "$health"
}

fsync_latency() {
  node -e '
    const fs = require("fs"); const fd = fs.openSync(process.argv[1], "w"); const b = Buffer.alloc(512, 1); const s = [];
    for (let i = 0; i < 300; i++) { const t = process.hrtime.bigint(); fs.writeSync(fd, b); fs.fdatasyncSync(fd); s.push(Number(process.hrtime.bigint() - t) / 1e3); }
    s.sort((a, b) => a - b); console.log(`p50 ${s[150].toFixed(0)} us, p99 ${s[297].toFixed(0)} us`);' "$work/probe"
}

echo "B4 inserts, wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores (client and server share them)"
each() {  # mode batch: this build, then the baseline when given
  SERVER=build/release/drizzle-convex-server LABEL=this run "$@"
  if [[ -n "${BASELINE_SERVER:-}" ]]; then SERVER="$BASELINE_SERVER" LABEL=baseline run "$@"; fi
}
each memory 1
each memory 100
each durable 1
each durable 100
echo "  fdatasync of 512 bytes on this disk (same run): $(fsync_latency)"
