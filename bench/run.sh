#!/bin/sh
# bench/run.sh: the many-clients comparison. For each workload and client
# count, the same harness (bench/harness.c) runs once on Saffron's shim and
# once on the reference libspice-server1 (SPICE_DEBUG_ALLOW_MC=1), with the
# same load client; results go to $OUT/results.csv and $OUT/cpu.svg.
# Usage: sh bench/run.sh [N...]   (default: 1 16 100 1000)
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/bench}
NS=${*:-1 16 100 1000}
mkdir -p "$OUT"
csv=$OUT/results.csv
echo "server,workload,clients,connected,commands,cpu_s,bytes_per_client,verified,peak_rss_kb,server_s,stream_frames" >"$csv"
count_of() { case $1 in office) echo 1000 ;; bitmap) echo 300 ;; video) echo 150 ;; esac; }
for w in office bitmap video; do
	for n in $NS; do
		for s in saffron reference; do
			line=$(timeout 600 sh bench/run-one.sh "$s" "$w" "$n" "$(count_of "$w")")
			echo "$line"
			echo "$line" | tr ' ' ',' >>"$csv"
		done
	done
done
sh bench/plot.sh "$csv" >"$OUT/cpu.svg"
echo "results: $csv, plot: $OUT/cpu.svg"
