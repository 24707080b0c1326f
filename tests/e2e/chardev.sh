#!/bin/sh
# tests/e2e/chardev.sh: char devices through libspice-server.so.1. A spice.h
# host (tests/e2e/chardev-host.c) with an echo port and a fake vdagent, and a
# spice-client-glib client: 1 MiB through the port and back, 300 KiB of
# clipboard each way through the agent, a monitors config to the agent. The
# same run on the reference library checks the test against spice-server.
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# run NAME LIBDIR [nomouse]: host and client; the host's report lands in $TMP/NAME.host
run() {
	port=$(free_port)
	LD_LIBRARY_PATH=$2 "$BUILD/tests/chardev-host" "$port" 60 $3 >"$TMP/$1.host" 2>"$TMP/$1.err" &
	hpid=$!
	for _ in $(seq 1 50); do
		grep -q "host: ready" "$TMP/$1.host" && break
		sleep 0.1
	done
	timeout 50 "$BUILD/tests/glib-chardev" "$port" 1048576 40 >"$TMP/$1.client" 2>&1
	rc=$?
	sleep 0.3 # the host sees the disconnect
	kill -TERM $hpid 2>/dev/null
	wait $hpid
	hrc=$?
	# the host's exit status is the leak check under ASan (not for the reference)
	[ "$1" = reference ] || [ $hrc -eq 0 ] || { echo "host exit $hrc"; rc=1; }
	sed 's/^/# /' "$TMP/$1.client"
	return $rc
}

host_saw() { grep -q "$2" "$TMP/$1.host" || { echo "missing: $2"; cat "$TMP/$1.host"; false; }; }

for lib in saffron reference; do
	dir=$BUILD/shim mouse=
	# the reference offers agent mouse mode only with a QXL primary surface,
	# which this host does not have; its agent is told not to wait for one
	[ $lib = reference ] && dir= mouse=nomouse
	check "$lib: 1 MiB through a port and back, clipboard both ways (glib client)" run $lib "$dir" $mouse
	check "$lib: the agent got the client's 300 KiB clipboard intact" \
		host_saw $lib "agent got client clipboard 307200 bytes, 0 wrong"
	check "$lib: the agent got the client's monitors config" \
		host_saw $lib "agent monitors 1 first 1024x768"
	[ $lib = saffron ] && check "$lib: client mouse mode through the agent (VD_AGENT_MOUSE_STATE)" \
		host_saw $lib "agent mouse 123,45 buttons 0x2"
	check "$lib: port state follows the client" host_saw $lib "port state 0"
	check "$lib: the agent is told the client left" host_saw $lib "agent message type 13 size 0"
done

# QEMU 7.2's chardev-spice module on the shim: a spiceport and a usb-redir
# device become channels; the port's name reaches the client. TSan cannot
# run QEMU (see qemu-seabios.sh).
case "$BUILD" in *tsan*) finish; exit $? ;; esac
SAN_ENV=""
case "$BUILD" in *asan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so)" ;; esac

qemu_channels() { # NAME LIBDIR
	port=$(free_port)
	[ -n "$2" ] && san=$SAN_ENV || san=""
	env $san LD_LIBRARY_PATH="$2" qemu-system-x86_64 -accel tcg -nodefaults -display none \
		-device qxl-vga -spice "port=$port,addr=127.0.0.1,disable-ticketing=on" \
		-device qemu-xhci -chardev spicevmc,name=usbredir,id=u1 -device usb-redir,chardev=u1 \
		-device virtio-serial -chardev spiceport,id=p1,name=org.saffron.qemu \
		-device virtserialport,chardev=p1,name=org.saffron.qemu >"$TMP/$1.qemu" 2>&1 &
	qpid=$!
	for _ in $(seq 1 20); do
		sleep 0.5
		timeout 20 "$BUILD/tests/glib-chardev" --list "$port" 0 3 >"$TMP/$1.list" 2>&1 &&
			grep -q "port name" "$TMP/$1.list" && break
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	grep -q "channel usbredir 0" "$TMP/$1.list" && grep -q "channel port 0" "$TMP/$1.list" &&
		grep -q "port name org.saffron.qemu" "$TMP/$1.list" && ! grep -q "spice-server bug" "$TMP/$1.qemu" ||
		{ cat "$TMP/$1.list" "$TMP/$1.qemu"; false; }
}
check "QEMU 7.2 on the shim: spiceport and usb-redir channels, port name" qemu_channels saffron \
	"$PWD/$BUILD/shim"
check "QEMU 7.2 on the reference: the same channels" qemu_channels reference ""
finish
