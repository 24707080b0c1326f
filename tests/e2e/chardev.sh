#!/bin/sh
# tests/e2e/chardev.sh: char devices through libspice-server.so.1. A spice.h
# host (tests/e2e/chardev-host.c) with an echo port and a fake vdagent, and a
# spice-client-glib client: 1 MiB through the port and back, 300 KiB of
# clipboard each way through the agent, a monitors config to the agent. The
# same run on the reference library checks the test against spice-server.
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# run NAME LIBDIR: host and client; the host's report lands in $TMP/NAME.host
run() {
	port=$(free_port)
	LD_LIBRARY_PATH=$2 "$BUILD/tests/chardev-host" "$port" 60 >"$TMP/$1.host" 2>"$TMP/$1.err" &
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
	dir=$BUILD/shim
	[ $lib = reference ] && dir=
	check "$lib: 1 MiB through a port and back, clipboard both ways (glib client)" run $lib "$dir"
	check "$lib: the agent got the client's 300 KiB clipboard intact" \
		host_saw $lib "agent got client clipboard 307200 bytes, 0 wrong"
	check "$lib: the agent got the client's monitors config" \
		host_saw $lib "agent monitors 1 first 1024x768"
	check "$lib: port state follows the client" host_saw $lib "port state 0"
	check "$lib: the agent is told the client left" host_saw $lib "agent message type 13 size 0"
done
finish
