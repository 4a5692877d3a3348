#!/usr/bin/env bash
# Runs one fuzz target for a while on its committed corpus, then merges what
# it found back into the corpus (minimized) and prints one summary line for
# docs/reliability.md. Findings (crashes, leaks, timeouts) are written to
# build/fuzz/findings/<target>/ and make the script exit non-zero.
#
#   fuzz/run.sh request 3600        (targets: request cursor live_message convex_answer log jwt auth dcq_answer)
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"
seconds="${2:-600}"
if [[ "${DC_FUZZ_NO_BUILD:-0}" != "1" ]]; then  # set when several targets run side by side on one build
  DC_WITH_FUZZ=1 ./scripts/install-deps.sh
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target "fuzz_$target" >/dev/null
fi
bin="build/fuzz/fuzz/fuzz_$target"
corpus="fuzz/corpus/$target"
findings="build/fuzz/findings/$target"
work="build/fuzz/work/$target"
mkdir -p "$findings" "$work"
rm -rf "$work"/*
log="build/fuzz/$target.log"
set +e
"$bin" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
  -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
rc=$?
set -e
# Keep only inputs that add coverage: the old corpus plus this run's finds, minimized.
merged="build/fuzz/merged/$target"
rm -rf "$merged" && mkdir -p "$merged"
before_merge=$(find "$findings" -type f | wc -l)
"$bin" -merge=1 -artifact_prefix="$findings/" "$merged" "$corpus" "$work" >"build/fuzz/$target.merge.log" 2>&1
# An input that crashes only in the merge (say, the fixtures changed under a
# binary built before them) is left out of the merge: keep the old corpus
# rather than replace it with what survived, and say so.
if [[ $(find "$findings" -type f | wc -l) != "$before_merge" ]]; then
  echo "fuzz/run.sh: inputs crashed during the merge (build/fuzz/$target.merge.log); the corpus is left as it was" >&2
  exit 1
fi
rm -rf "$corpus" && mkdir -p "$corpus" && cp "$merged"/* "$corpus"/
execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
found=$(find "$findings" -type f | wc -l)
# The time it ran: libFuzzer's last line, or (stopped by a finding) executions / rate.
ran=$(awk '/^Done [0-9]+ runs in/ {print $5}' "$log")
[[ -z "$ran" && -n "$execs" && -n "$rate" && "$rate" != 0 ]] && ran=$((execs / rate))
echo "$(date -u +%F) $target: ${ran:-?} s, ${execs:-?} executions (${rate:-?}/s), coverage ${cov:-?} edges / ${ft:-?} features, corpus $(ls "$corpus" | wc -l) inputs, findings ${found} (exit ${rc})"
[[ "$rc" == 0 && "$found" == 0 ]]
