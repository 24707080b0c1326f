#!/bin/sh
# bench/migrate.sh: client-visible downtime of a seamless migration,
# Saffron's shim against the reference libspice-server1, alternating, same
# QEMU 7.2 pair, guest and client (tests/e2e/qemu-migrate.sh). The client
# streams bytes through an echoing guest port; its longest pause between
# echoes spans the switch. Two streams: "probe" keeps one 512-byte chunk in
# flight, a latency probe; "4096B" keeps 4 KiB in flight, the stream of
# tests/e2e/qemu-migrate.sh. "largest other pause" shows whether the stream
# paused on its own outside the switch. The display: the guest changes its
# picture every 10 ms (vgatick.c) and the client notes when each
# change is shown. "display freeze" is the longest time without a change
# from the last frame before the stop to the first after the target's
# start; "display stop->live" is that whole span (the guest's clock on the
# screen jumps over it), split around the VM's off time. Frames inside the
# off time show the guest's last moments before the stop. QEMU redraws
# every 30 ms, so up to ~30 ms on either side is the refresh, not a server.
# Usage: sh bench/migrate.sh [RUNS] [WINDOWS]   (build first; WINDOWS
# default "512 4096"). Prints a markdown table.
BUILD=${BUILD:-build}
RUNS=${1:-3}
WINDOWS=${2:-512 4096}
cd "$(dirname "$0")/.." || exit 2
export BUILD KEEP_TMP=1

wall() { # wall LOG PATTERN -> the first matching trace's wall-clock stamp
	grep -h "$2" "$1" | head -1 | sed 's/^[0-9]*@\([0-9.]*\):.*/\1/'
}

# span GAPLINES STOP START -> "SPAN_START SPAN_END OTHER_MAX_MS": the gap
# that overlaps the VM's off time (echoes already on their way can still
# arrive just after the stop) and the largest other one; "- - M" if none
span() {
	echo "$1" | awk -v s="${2:-0}" -v e="${3:-0}" 'NF == 3 {
		if ($2 <= e && $3 >= s) { if (!a) { a = $2; b = $3 } }
		else { g = ($3 - $2) * 1000; if (g > m) m = g } }
		END { printf "%s %s %.0f", a ? a : "-", a ? b : "-", m }'
}

# one LIB WINDOW -> "pause qemu_downtime vm_off pause-downtime pause-off
# split other_max stream freeze stop->live live-off live_split"
one() {
	MIG_LIB=$1 MIG_WINDOW=$2 CASES=seamless sh tests/e2e/qemu-migrate.sh >/dev/null 2>&1
	d=$(ls -td /tmp/saffron-e2e.* | head -1)
	r=$(grep '^RESULT' "$d/seamless.client")
	bad=$(echo "$r" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
	sent=$(echo "$r" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	got=$(echo "$r" | sed -n 's/.* got=\([0-9]*\).*/\1/p')
	dt=$(cat "$d/seamless.downtime" 2>/dev/null || echo "?")
	# QEMU's vm_state_notify traces (wall clock) on both sides: the VM is
	# off from the source's stop to the target's start
	stop=$(wall "$d/seamless_src.log" 'vm_state_notify running 0.*finish-migrate')
	start=$(wall "$d/seamless_dst.log" 'vm_state_notify running 1')
	set -- $(span "$(grep '^gap ' "$d/seamless.client")" "$stop" "$start")
	span="" other=$3
	[ "$1" != - ] && span="$1 $2"
	[ "$other" = 0 ] && other="<20"
	if [ -n "$span" ] && [ -n "$start" ] && [ "$dt" != "?" ]; then
		echo "$span $stop $start $dt" | awk '{
			p = ($2 - $1) * 1000; off = ($4 - $3) * 1000
			printf "%.1f %s %.0f %.0f %.0f %.0f/%.0f/%.0f", p, $5, off, p - $5, p - off,
				($3 - $1) * 1000, off, ($2 - $4) * 1000 }'
	else
		printf "<20 %s ? ? ? n/a" "$dt"
	fi
	printf " %s %s" "$other" "$([ "$bad" = 0 ] && [ "$sent" = "$got" ] && echo "exact" || echo "lost/repeated")"
	grep '^frame ' "$d/seamless.client" | awk -v s="${stop:-0}" -v e="${start:-0}" '
		$2 <= s { l = $2 } $2 > s && !f { t[n++] = $2 } $2 >= e && !f { f = $2 }
		END { if (!l || !f || !e) { print " n/a n/a n/a n/a"; exit }
			p = l; for (i = 0; i < n; i++) { g = t[i] - p; if (g > m) m = g; p = t[i] }
			printf " %.0f %.0f %.0f %.0f/%.0f/%.0f\n", m * 1000, (f - l) * 1000,
				(f - l - (e - s)) * 1000, (s - l) * 1000, (e - s) * 1000, (f - e) * 1000 }'
	rm -rf "$d"
}

echo "| stream | server | run | pause across the switch (ms) | QEMU downtime (ms) | VM off, stop->start (ms) | pause - QEMU downtime | pause - VM off | split: before stop / VM off / after start | largest other pause | port stream | display freeze (ms) | display stop->live (ms) | stop->live - VM off | split: last frame->stop / VM off / start->first frame |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for w in $WINDOWS; do
	name=$([ "$w" = 512 ] && echo probe || echo "${w}B")
	for i in $(seq 1 "$RUNS"); do
		set -- $(one "$PWD/$BUILD/shim" "$w")
		echo "| $name | Saffron | $i | $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $9 | ${10} | ${11} | ${12} |"
		set -- $(one "" "$w")
		echo "| $name | reference | $i | $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $9 | ${10} | ${11} | ${12} |"
	done
done
