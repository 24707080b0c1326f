#!/bin/sh
# bench/codecs.sh: encoder figures. First each Saffron encoder alone
# (bench/codecs.c: MB/s, ratio; liblz4 over raw bytes as the limit). Then
# the servers: the same spice.h harness and load client, one client, each
# workload (bitmap, office, blend: WORKLOADS=) and image-compression setting, Saffron's shim and the reference side by side
# (RUNS times each, alternating); the load client decodes and verifies the
# final frame. Server MB/s = guest pixels drawn / server CPU seconds.
# Usage: sh bench/codecs.sh   (RUNS=3 MODES="off lz lz4 quic auto_glz glz jpeg";
# jpeg = auto_glz with jpeg-wan-compression=always, verified at 25 dB PSNR)
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
MODES=${MODES:-off lz lz4 quic auto_glz glz jpeg}
WORKLOADS=${WORKLOADS:-bitmap office blend}
"$BUILD/bench/codecs"
echo
echo "mode workload server run cpu_s bytes_per_client verified server_MB/s"
for w in $WORKLOADS; do
	# blend: 256x256 RGBA photo tiles alpha-blended (LZ RGBA, JPEG_ALPHA)
	case $w in bitmap | blend) count=300 px=65536 ;; office) count=1000 px=1440 ;; esac
	[ $w = office ] && px=$((px / 2)) # half the office commands are fills
	for m in $MODES; do
		for r in $(seq 1 "$RUNS"); do
			for s in saffron reference; do
				# fields: server workload n connected count cpu bytes verified peak
				# "jpeg": auto_glz with jpeg-wan-compression=always (lossy stills)
				if [ "$m" = jpeg ]; then comp=auto_glz jpeg=always; else comp=$m jpeg=; fi
				set -- $(COMPRESSION=$comp JPEG=$jpeg VERIFY=1 sh bench/run-one.sh "$s" "$w" 1 "$count" | sed 's/(undec \([0-9]*\))/(undec:\1)/')
				mbs=$(echo "$6" | awk -v n="$count" -v px="$px" '$1 > 0 {printf "%.1f", n * px * 4 / $1 / 1e6}')
				echo "$m $w $s $r $6 $7 $8 ${mbs:-NA}"
			done
		done
	done
done
