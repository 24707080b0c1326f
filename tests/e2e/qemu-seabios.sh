#!/bin/sh
# tests/e2e/qemu-seabios.sh: the Debian QEMU 7.2 binary and modules, unchanged,
# on Saffron's libspice-server.so.1 (LD_LIBRARY_PATH) and on the reference
# libspice-server1, side by side: spicy-screenshot of SeaBIOS's "No bootable
# device" screen must match in at least 99.5% of pixels (the cursor blinks).
. "$(dirname "$0")/lib.sh"

command -v qemu-system-x86_64 >/dev/null || { echo "# qemu-system-x86_64 missing"; exit 1; }

# Sanitizer builds: QEMU is not instrumented, so the runtime is preloaded.
# TSan cannot follow QEMU's coroutines (siglongjmp aborts its runtime): skip.
SAN_ENV=""
case "$BUILD" in
*tsan*)
	echo "# skipped under TSan: QEMU's coroutine switches abort the TSan runtime"
	finish
	exit 0
	;;
*asan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0" ;;
esac

# run_qemu NAME LIBDIR [SPICE_OPTS]: boot to "No bootable device", screenshot
# into $TMP/NAME.ppm
run_qemu() {
	name=$1
	port=$(free_port)
	[ -n "$2" ] && san=$SAN_ENV || san=""
	env $san LD_LIBRARY_PATH="$2" qemu-system-x86_64 -accel tcg -nodefaults -device qxl-vga \
		-spice "port=$port,addr=127.0.0.1,disable-ticketing=on${3:+,$3}" -display none \
		>"$TMP/$name.log" 2>&1 &
	qpid=$!
	for _ in $(seq 1 60); do
		sleep 1
		rm -f "$TMP/$name.ppm"
		timeout 15 spicy-screenshot -h 127.0.0.1 -p "$port" -o "$TMP/$name.ppm" \
			>>"$TMP/$name.shot.log" 2>&1 || continue
		# SeaBIOS is done once the last line is drawn: compare two shots
		sleep 2
		timeout 15 spicy-screenshot -h 127.0.0.1 -p "$port" -o "$TMP/$name.2.ppm" \
			>>"$TMP/$name.shot.log" 2>&1 &&
			"$BUILD/tests/ppmcmp" "$TMP/$name.ppm" "$TMP/$name.2.ppm" 99.5 >/dev/null &&
			[ "$(wc -c <"$TMP/$name.ppm")" -gt 100000 ] && break
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	[ -s "$TMP/$name.ppm" ]
}

check "QEMU 7.2 on Saffron's shim serves spicy-screenshot" run_qemu saffron "$PWD/$BUILD/shim"
check "QEMU 7.2 on the reference libspice-server1 serves spicy-screenshot" run_qemu reference ""
check "SeaBIOS screens match (>= 99.5% of pixels)" \
	"$BUILD/tests/ppmcmp" "$TMP/saffron.ppm" "$TMP/reference.ppm" 99.5
"$BUILD/tests/ppmcmp" "$TMP/saffron.ppm" "$TMP/reference.ppm" 99.5 | sed 's/^/# /'
cp "$TMP/saffron.ppm" "$BUILD/qemu-seabios-saffron.ppm" 2>/dev/null

# spice_server_set_image_compression(OFF) from QEMU's option: raw images
check "QEMU with image-compression=off on the shim: same screen" run_qemu raw "$PWD/$BUILD/shim" \
	image-compression=off
check "image-compression=off screen matches the reference (>= 99.5%)" \
	"$BUILD/tests/ppmcmp" "$TMP/raw.ppm" "$TMP/reference.ppm" 99.5

# QEMU's own TLS configuration (tls-port, x509-dir) through the shim
tls_shot() {
	port=$(free_port)
	tport=$(free_port)
	env $SAN_ENV LD_LIBRARY_PATH="$PWD/$BUILD/shim" qemu-system-x86_64 -accel tcg -nodefaults \
		-device qxl-vga -display none -spice \
		"port=$port,tls-port=$tport,addr=127.0.0.1,disable-ticketing=on,x509-dir=$PWD/tests/tls" \
		>"$TMP/tls.log" 2>&1 &
	qpid=$!
	for _ in $(seq 1 30); do
		sleep 1
		SSL_CERT_FILE=$PWD/tests/tls/ca-cert.pem timeout 15 spicy-screenshot -h 127.0.0.1 \
			-s "$tport" -o "$TMP/tls.ppm" >/dev/null 2>&1 &&
			"$BUILD/tests/ppmcmp" "$TMP/tls.ppm" "$TMP/saffron.ppm" 99.5 >/dev/null && break
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	"$BUILD/tests/ppmcmp" "$TMP/tls.ppm" "$TMP/saffron.ppm" 99.5
}
check "QEMU on the shim with tls-port/x509-dir: same screen over TLS" tls_shot
finish
