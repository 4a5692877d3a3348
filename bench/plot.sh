#!/usr/bin/env bash
# Draws the benchmarks' figures as PNG (gnuplot), from what the benchmarks print.
#
#   bench/plot.sh [RESULTS_DIR] [OUT_DIR]        (defaults: bench/results docs/img)
#
# RESULTS_DIR holds the benchmarks' output, saved as they print it:
#   b1.txt             bench/b1_http.sh                      → b1_http.png (req/s, p50/p99 next to nginx)
#   b4.txt             bench/b4_writes.sh                    → b4_writes.png (rows/s by mode and batch)
#   b5_latencies.txt   node bench/b5_live.mjs … --latencies F → b5_latency.png (ack → next, distribution)
# Each figure's numbers are also written next to it (b1_http.dat, …), so a
# figure can be checked against the text it came from. An input that is
# missing or lacks the lines a figure needs stops the script with exit 2 and
# names the file; nothing is half drawn.
set -euo pipefail
cd "$(dirname "$0")/.."
results="${1:-bench/results}"
out="${2:-docs/img}"
command -v gnuplot >/dev/null || ./scripts/install-deps.sh test
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "plot.sh: $*" >&2; exit 2; }
# Text from the results files reaches gnuplot only as a single-quoted string:
# in double quotes gnuplot would run `backquoted` text as a shell command.
gp_string() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
need() { [[ -r "$results/$1" ]] || fail "$results/$1 is missing: save the output of $2 there"; }

# wrk's latencies ("950.00us", "1.23ms", "2.01s") in milliseconds.
to_ms='function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return -1 }'

# ---- B1: this server and nginx on the same request, same run ---------------
need b1.txt bench/b1_http.sh
awk "$to_ms"'
  /^  drizzle-convex:/   { printf "\"drizzle-convex\" %s %.3f %.3f\n", $2, ms($5), ms($7) }
  /^  nginx \(static\):/ { printf "\"nginx (static file)\" %s %.3f %.3f\n", $3, ms($6), ms($8) }
' "$results/b1.txt" >"$work/b1_http.dat"
[[ $(wc -l <"$work/b1_http.dat") -eq 2 ]] || fail "$results/b1.txt lacks the 'drizzle-convex:' and 'nginx (static):' lines bench/b1_http.sh prints"
grep -q -- ' -1' "$work/b1_http.dat" && fail "$results/b1.txt has a latency that is not in us, ms or s"
title_b1=$(gp_string "$(grep -m1 '^B1 ' "$results/b1.txt")")

# ---- B4: rows per second, per mode and rows per insert ---------------------
need b4.txt bench/b4_writes.sh
awk '
  $0 ~ /-row inserts:/ {
    label = $1; mode = $2; rows = $3; sub(/-row$/, "", rows)
    key = mode ", " rows " row" (rows == 1 ? "" : "s") " per insert"
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    value[key, label] = $5
  }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]
      if (!((k, "this") in value)) exit 3
      printf "\"%s\" %s %s\n", k, value[k, "this"], ((k, "baseline") in value) ? value[k, "baseline"] : "NaN"
    }
  }
' "$results/b4.txt" >"$work/b4_writes.dat" || fail "$results/b4.txt has a baseline line without one of this build"
[[ -s "$work/b4_writes.dat" ]] || fail "$results/b4.txt has no 'N-row inserts:' lines from bench/b4_writes.sh"
b4_baseline=0
awk '$NF != "NaN"' "$work/b4_writes.dat" | grep -q . && b4_baseline=1
title_b4=$(gp_string "$(grep -m1 '^B4 ' "$results/b4.txt")")

# ---- B5: how late each write reached each watching client -----------------
need b5_latencies.txt "node bench/b5_live.mjs --latencies FILE"
# Lines "share ms", share rising from 0 to 1 and ms with it.
awk '
  /^#/ { next }
  NF != 2 || $1 !~ /^[0-9.]+$/ || $2 !~ /^-?[0-9.]+$/ || $1 > 1 || (n && ($1 < share || $2 < ms)) { print NR; exit 3 }
  { share = $1; ms = $2; n++; print }
' "$results/b5_latencies.txt" >"$work/b5_latency.dat" \
  || fail "$results/b5_latencies.txt line $(tail -1 "$work/b5_latency.dat") is not 'share ms' rising from the line before"
points=$(wc -l <"$work/b5_latency.dat")
[[ "$points" -ge 10 ]] || fail "$results/b5_latencies.txt holds $points points of the distribution; a figure needs at least 10"
at_share() { awk -v q="$1" '$1 >= q { print $2; exit }' "$work/b5_latency.dat"; }
p50=$(at_share 0.5)
p99=$(at_share 0.99)
deliveries=$(grep -m1 -o '([0-9]* deliveries)' "$results/b5_latencies.txt" || true)
title_b5=$(gp_string "B5 live fan-out: how late a write reaches each watching client ${deliveries}")

gnuplot <<GNUPLOT
set terminal pngcairo size 1000,420 font "DejaVu Sans,10" noenhanced
set style fill solid 0.85 border -1
set grid ytics lc rgb "#dddddd"
set key top left

set output "$work/b1_http.png"
set multiplot layout 1,2 title $title_b1
set title "throughput"
set ylabel "requests per second"
set yrange [0:*]
set style data histograms
set style histogram clustered gap 1
set boxwidth 0.8
plot "$work/b1_http.dat" using 2:xtic(1) title "req/s" lc rgb "#3b6ea8"
set title "latency under that load"
set ylabel "milliseconds"
plot "$work/b1_http.dat" using 3:xtic(1) title "p50" lc rgb "#7aa6d6", \
     "" using 4 title "p99" lc rgb "#c0504d"
unset multiplot

set output "$work/b4_writes.png"
set title $title_b4
set ylabel "rows inserted per second"
set yrange [0:*]
set xtics rotate by -15
if ($b4_baseline) {
  plot "$work/b4_writes.dat" using 2:xtic(1) title "this build" lc rgb "#3b6ea8", "" using 3 title "baseline build" lc rgb "#aaaaaa"
} else {
  plot "$work/b4_writes.dat" using 2:xtic(1) title "this build" lc rgb "#3b6ea8"
}
set xtics norotate

set output "$work/b5_latency.png"
set title $title_b5
set xlabel "write acknowledged → next received at a client, ms (below 0: the next came before the write's HTTP answer)"
set ylabel "share of deliveries at most this late"
set yrange [0:1]
set ytics 0.1
set key bottom right
set arrow from $p50, graph 0 to $p50, graph 1 nohead dt 2 lc rgb "#7aa6d6"
set arrow from $p99, graph 0 to $p99, graph 1 nohead dt 2 lc rgb "#c0504d"
plot "$work/b5_latency.dat" using 2:1 with lines lw 2 lc rgb "#3b6ea8" title "share of deliveries", \
     NaN with lines dt 2 lc rgb "#7aa6d6" title "p50 $p50 ms", \
     NaN with lines dt 2 lc rgb "#c0504d" title "p99 $p99 ms"
GNUPLOT

for f in b1_http b4_writes b5_latency; do
  mv "$work/$f.png" "$work/$f.dat" "$out/"
done
echo "plot.sh: wrote $out/b1_http.png, $out/b4_writes.png, $out/b5_latency.png (and their .dat files) from $results"
