#!/bin/sh
# tests/e2e/qemu-linux-qxl.sh: a real guest QXL driver on the shim. Debian's
# kernel boots under TCG with a busybox initramfs that loads the qxl DRM
# driver and writes a test pattern to its framebuffer (/dev/fb0, QXL native
# mode: the driver's own draw commands, chunked bitmaps, surfaces). The
# spicy-screenshot must match the reference libspice-server1's on the same
# guest (>= 99.5%) and the pattern itself (>= 99.5%; the console's text
# cursor is drawn before the console is unbound).
. "$(dirname "$0")/lib.sh"

K=$BUILD/linux
SAN_ENV=""
case "$BUILD" in
*tsan*) echo "# skipped under TSan: QEMU's coroutine switches abort the TSan runtime"; finish; exit 0 ;;
*asan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0" ;;
esac

. "$(dirname "$0")/lib-linux.sh"

# boot NAME LIBDIR: boot, wait for the pattern, screenshot into $TMP/NAME.ppm
boot() {
	port=$(free_port)
	[ -n "$2" ] && san=$SAN_ENV || san=""
	env $san LD_LIBRARY_PATH="$2" qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
		-kernel "$K/vmlinuz" -initrd "$K/initrd.gz" -append "console=ttyS0 quiet" \
		-device qxl-vga -spice "port=$port,addr=127.0.0.1,disable-ticketing=on" \
		-display none -serial "file:$TMP/$1.serial" >"$TMP/$1.log" 2>&1 &
	qpid=$!
	for _ in $(seq 1 180); do
		grep -q PATTERN-DRAWN "$TMP/$1.serial" 2>/dev/null && break
		sleep 1
	done
	sleep 2
	timeout 30 spicy-screenshot -h 127.0.0.1 -p "$port" -o "$TMP/$1.ppm" >/dev/null 2>&1
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	grep -q PATTERN-DRAWN "$TMP/$1.serial" && [ -s "$TMP/$1.ppm" ]
}

if ! linux_guest "$K" "" >"$TMP/prepare.log" 2>&1; then
	echo "# skipped: could not fetch and unpack the Debian kernel/busybox packages"
	finish
	exit 0
fi
check "Linux qxl DRM guest draws through Saffron's shim" boot saffron "$PWD/$BUILD/shim"
check "the same guest through the reference libspice-server1" boot reference ""
check "Saffron and reference screens match (>= 99.5%)" \
	"$BUILD/tests/ppmcmp" "$TMP/saffron.ppm" "$TMP/reference.ppm" 99.5
check "the screen shows the guest's test pattern (>= 99.5%)" \
	"$BUILD/tests/ppmcmp" "$TMP/saffron.ppm" "$K/expected.ppm" 99.5
"$BUILD/tests/ppmcmp" "$TMP/saffron.ppm" "$TMP/reference.ppm" | sed 's/^/# vs reference: /'
finish
