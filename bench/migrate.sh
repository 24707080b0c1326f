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
	gap=$(echo "$r" | sed -n 's/.*max_gap_ms=\([0-9.]*\).*/\1/p')
	bad=$(echo "$r" | sed -n 's/.*bad=\([0-9]*\).*/\1/p')
	sent=$(echo "$r" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
	got=$(echo "$r" | sed -n 's/.* got=\([0-9]*\).*/\1/p')
	# Saffron's debug log stamps monotonic seconds on both sides: the VM's
	# own pause as the client sees it is source stop -> target vm_start
	stop=$(grep -h 'stopped with' "$d/$2_src.log" 2>/dev/null | tail -1 | awk '{print $3}')
	start=$(grep -h 'vm_start' "$d/$2_dst.log" 2>/dev/null | tail -1 | awk '{print $3}')
	vm="n/a"
	[ -n "$stop" ] && [ -n "$start" ] && vm=$(echo "$start $stop" | awk '{printf "%.0f", ($1 - $2) * 1000}')
	echo "${gap:-?} $(cat "$d/$2.downtime" 2>/dev/null || echo ?) $vm $([ "$bad" = 0 ] && [ "$sent" = "$got" ] && echo exact || echo "lost/repeated")"
	rm -rf "$d"
}

echo "| server | mode | run | client-visible pause (ms) | QEMU downtime (ms) | source stop -> target start (ms) | port stream |"
echo "|---|---|---|---|---|---|---|"
for mode in seamless; do
	for i in $(seq 1 "$RUNS"); do
		set -- $(one "$PWD/$BUILD/shim" $mode)
		echo "| Saffron | $mode | $i | $1 | $2 | $3 | $4 |"
		set -- $(one "" $mode)
		echo "| reference | $mode | $i | $1 | $2 | $3 | $4 |"
	done
done
