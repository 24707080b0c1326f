#!/bin/sh
# tests/e2e/formats.sh: guest bitmaps in 16-bit (x1r5g5b5), 24-bit, 8-bit
# paletted and 32-bit formats, odd widths, padded strides, top-down and
# bottom-up rows, and alpha blends of RGBA bitmaps over them, sent through
# the spice.h API (bench/harness.c, a QXL device) in every lossless image
# setting, then in the lossy WAN setting. The stock spice-client-glib must
# show exactly the frame the server rendered (the harness dumps it with
# spice_qxl_update_area at the end), and Saffron's frame must equal the
# reference libspice-server1's, the same commands through the same API.
. "$(dirname "$0")/lib.sh"

REF_LIB=/usr/lib/x86_64-linux-gnu/libspice-server.so.1
# sanitizer builds of the shim: the harness is not instrumented, so the
# runtime is preloaded (as for QEMU)
SAN_ENV=""
case "$BUILD" in
*asan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0" ;;
*tsan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libtsan.so)" ;;
esac

# serve NAME SERVER MODE [ARGS]: the harness on a free port with one client
# awaited
serve() {
	port=$(free_port)
	if [ "$2" = saffron ]; then
		env="LD_LIBRARY_PATH=$PWD/$BUILD/shim $SAN_ENV"
	else
		env="SPICE_DEBUG_ALLOW_MC=1"
	fi
	env $env "$BUILD/bench/harness" --port "$port" --clients 1 --workload formats \
		--count 96 --compression "$3" --dump "$TMP/$1.ppm" --wait 30 $4 \
		>"$TMP/$1.out" 2>"$TMP/$1.err" &
	eval "HPID_$1=$!"
	for _ in $(seq 1 100); do
		grep -q "ready on port" "$TMP/$1.err" 2>/dev/null && break
		sleep 0.05
	done
	PORT=$port
}

unserve() {
	pid=$(eval echo "\$HPID_$1")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

for mode in off lz lz4 quic glz auto_glz; do
	for server in saffron reference; do
		[ "$server" = reference ] && [ ! -e "$REF_LIB" ] && continue
		serve "${server}_$mode" "$server" "$mode"
		check "$server, image-compression $mode: the stock client shows the server's frame exactly" \
			env ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/glib-frame" "$PORT" \
			"$TMP/${server}_$mode.ppm" 40
		unserve "${server}_$mode"
	done
	if [ -e "$REF_LIB" ]; then
		check "$mode: Saffron renders the guest formats as the reference does" \
			"$BUILD/tests/ppmcmp" "$TMP/saffron_$mode.ppm" "$TMP/reference_$mode.ppm" 100
	fi
done
# the WAN setting: photo-like RGBA blends go as JPEG_ALPHA (Saffron and
# spice-server alike), within a stated PSNR of the server's own frame
for server in saffron reference; do
	[ "$server" = reference ] && [ ! -e "$REF_LIB" ] && continue
	serve "${server}_jpeg" "$server" auto_glz "--jpeg always"
	check "$server, jpeg-compression always: the stock client shows the frame within 30 dB" \
		env ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/glib-frame" "$PORT" \
		"$TMP/${server}_jpeg.ppm" 40 30
	unserve "${server}_jpeg"
done
finish
