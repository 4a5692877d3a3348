#!/usr/bin/env bash
# B8: what the typed API costs at build time. Compiles, side by side in one
# run, a translation unit with 20 typed queries (bench/typed_compile/typed_20.cpp),
# the same 20 queries through the untyped builder (untyped_20.cpp), and the
# includes alone (headers_only.cpp); each RUNS times (default 3), median wall
# time and peak memory per compile, at -O0 and -O2.
#
# Usage: bench/b8_typed_compile.sh [RUNS]     (CXX overrides the compiler)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cxx="${CXX:-g++}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "command: bench/b8_typed_compile.sh $runs  ($($cxx --version | head -1), $(nproc) cores)"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A secs
for opt in -O0 -O2; do
  printf '\n%-14s %8s %10s %s\n' "$opt" "median s" "peak MiB" "runs (s)"
  for tu in headers_only untyped_20 typed_20; do
    times=() mem=0
    for ((i = 0; i < runs; i++)); do
      /usr/bin/time -f '%e %M' -o "$out/time" "$cxx" -std=c++20 "$opt" -c -Iclient/include -Itests/typed/golden \
        "bench/typed_compile/$tu.cpp" -o "$out/$tu.o"
      read -r t m < "$out/time"
      times+=("$t")
      (( m > mem )) && mem=$m
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    secs[$opt$tu]=$med
    printf '%-14s %8s %10d %s\n' "$tu" "$med" $((mem / 1024)) "${times[*]}"
  done
  awk -v h="${secs[${opt}headers_only]}" -v u="${secs[${opt}untyped_20]}" -v t="${secs[${opt}typed_20]}" 'BEGIN {
    printf "typed/untyped %.2f; the 20 queries alone (minus the includes): typed %.2f s, untyped %.2f s, ratio %.1f\n",
      t / u, t - h, u - h, (t - h) / (u - h) }'
done
