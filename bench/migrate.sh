#!/bin/sh
# bench/migrate.sh: client-visible downtime of a seamless and a
# semi-seamless migration, Saffron's shim against the reference
# libspice-server1, same QEMU 7.2 pair, guest and client
# (tests/e2e/qemu-migrate.sh). The client streams bytes through an echoing
# guest port; its longest pause between echoes spans the switch. QEMU's own
# downtime (query-migrate) is reported next to it, and a run without a
# migration gives the pause the guest's echo shows anyway.
# Usage: sh bench/migrate.sh [RUNS]   (prints a table; build first)
BUILD=${BUILD:-build}
RUNS=${1:-3}
cd "$(dirname "$0")/.." || exit 2
export BUILD KEEP_TMP=1

one() { # one LIB CASE -> "gap_ms qemu_downtime_ms ok"
	MIG_LIB=$1 CASES=$2 sh tests/e2e/qemu-migrate.sh >/dev/null 2>&1
	d=$(ls -td /tmp/saffron-e2e.* | head -1)
	r=$(grep '^RESULT' "$d/$2.client")
	bad=$(echo "$r" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
	sent=$(echo "$r" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	got=$(echo "$r" | sed -n 's/.* got=\([0-9]*\).*/\1/p')
	# QEMU's vm_state_notify trace (wall clock) on both sides splits the
	# client's pause that spans the source's stop: before the stop, the
	# VM's own pause (source stop -> target start), after the target starts
	stop=$(grep -h 'vm_state_notify running 0.*finish-migrate' "$d/$2_src.log" | head -1 | sed 's/^[0-9]*@\([0-9.]*\):.*/\1/')
	start=$(grep -h 'vm_state_notify running 1' "$d/$2_dst.log" | head -1 | sed 's/^[0-9]*@\([0-9.]*\):.*/\1/')
	span=$(grep '^gap ' "$d/$2.client" | awk -v s="${stop:-0}" '$2 <= s && $3 >= s {print $2, $3; exit}')
	gap="<20" split="n/a"
	if [ -n "$span" ] && [ -n "$start" ]; then
		gap=$(echo "$span" | awk '{printf "%.1f", ($2 - $1) * 1000}')
		split=$(echo "$span $stop $start" |
			awk '{printf "%.0f/%.0f/%.0f", ($3 - $1) * 1000, ($4 - $3) * 1000, ($2 - $4) * 1000}')
	fi
	echo "${gap:-?} $(cat "$d/$2.downtime" 2>/dev/null || echo ?) $split $([ "$bad" = 0 ] && [ "$sent" = "$got" ] && echo exact || echo "lost/repeated")"
	rm -rf "$d"
}

echo "| server | mode | run | client-visible pause across the switch (ms) | QEMU downtime (ms) | pause split: before stop / stop->start / after start (ms) | port stream |"
echo "|---|---|---|---|---|---|---|"
for mode in seamless; do
	for i in $(seq 1 "$RUNS"); do
		set -- $(one "$PWD/$BUILD/shim" $mode)
		echo "| Saffron | $mode | $i | $1 | $2 | $3 | $4 |"
		set -- $(one "" $mode)
		echo "| reference | $mode | $i | $1 | $2 | $3 | $4 |"
	done
done
