#!/bin/sh
# bench/run-one.sh SERVER WORKLOAD N [COUNT] [extra loadclient args]: one
# measurement. SERVER is saffron (LD_LIBRARY_PATH=build/shim) or reference
# (the system libspice-server1, SPICE_DEBUG_ALLOW_MC=1). COMPRESSION=mode
# sets spice_server_set_image_compression in both, JPEG=always|never|auto
# spice_server_set_jpeg_compression. Prints one line:
# server workload clients connected commands cpu_s bytes_avg verified
# peak_rss_kb server_s (cpu_s less the host's own loop, see harness.c)
# stream_frames (STREAM_DATA messages per client, averaged)
BUILD=${BUILD:-build}
server=$1 workload=$2 n=$3 count=${4:-1000}
shift 4 2>/dev/null || shift $#
TMP=$(mktemp -d)
port=$(( 20000 + ($$ % 20000) ))
if [ "$server" = saffron ]; then env="LD_LIBRARY_PATH=$PWD/$BUILD/shim"; else env="SPICE_DEBUG_ALLOW_MC=1"; fi
env $env "$BUILD/bench/harness" --port $port --clients "$n" --workload "$workload" \
	--count "$count" ${COMPRESSION:+--compression "$COMPRESSION"} ${JPEG:+--jpeg "$JPEG"} --dump "$TMP/expected.ppm" >"$TMP/h.out" 2>"$TMP/h.err" &
hp=$!
sleep 0.5
[ -n "$VERIFY" ] && set -- "$@" --verify "$TMP/expected.ppm"
"$BUILD/bench/loadclient" --port $port --clients "$n" "$@" >"$TMP/l.out" 2>"$TMP/l.err" &
lp=$!
peak=0
for _ in $(seq 1 3000); do
	grep -q cpu_s "$TMP/h.out" 2>/dev/null && break
	kill -0 $hp 2>/dev/null || break
	rss=$(awk '/VmRSS/ {print $2}' /proc/$hp/status 2>/dev/null)
	[ "${rss:-0}" -gt "$peak" ] && peak=$rss
	sleep 0.1
done
sleep 1
kill -TERM $lp 2>/dev/null
for _ in $(seq 1 3000); do kill -0 $lp 2>/dev/null || break; sleep 0.1; done
wait $lp 2>/dev/null
kill -TERM $hp 2>/dev/null; sleep 0.3; kill -9 $hp 2>/dev/null; wait $hp 2>/dev/null
cpu=$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' "$TMP/h.out")
srv=$(sed -n 's/.*server_s=\([0-9.-]*\).*/\1/p' "$TMP/h.out")
conn=$(sed -n 's/.*connected=\([0-9]*\).*/\1/p' "$TMP/h.out")
bytes=$(sed -n 's/.*bytes_avg=\([0-9]*\).*/\1/p' "$TMP/l.out")
frames=$(sed -n 's/.*frames_avg=\([0-9]*\).*/\1/p' "$TMP/l.out")
ver=$(sed -n 's/^verified=\([0-9]*\) of \([0-9]*\) undecodable=\([0-9]*\).*/\1\/\2(undec \3)/p' "$TMP/l.out")
echo "$server $workload $n ${conn:-0} $count ${cpu:-NA} ${bytes:-NA} ${ver:--} $peak ${srv:-NA} ${frames:-NA}"
rm -rf "$TMP"
