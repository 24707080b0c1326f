# tests/e2e/lib.sh: helpers shared by the end-to-end scripts. Each script
# prints one TAP-style line per check ("ok N - what" / "not ok N - what");
# tests/run.sh counts them. Loopback only; every wait is bounded.
BUILD=${BUILD:-build}
N=0
FAILED=0
TMP=$(mktemp -d /tmp/saffron-e2e.XXXXXX)
trap 'cleanup' EXIT INT TERM

check() { # check "what" command...
	what=$1
	shift
	N=$((N + 1))
	if "$@" >>"$TMP/log" 2>&1; then
		echo "ok $N - $what"
	else
		echo "not ok $N - $what"
		FAILED=$((FAILED + 1))
		tail -5 "$TMP/log" | sed 's/^/#   /'
	fi
}

# start_demo NAME ARGS...: start saffron-demo on a free port; sets PORT and PID_NAME.
start_demo() {
	name=$1
	shift
	"$BUILD/saffron-demo" --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	eval "PID_$name=$!"
	for _ in $(seq 1 100); do
		PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/$name.out")
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "# demo $name did not start"; cat "$TMP/$name.err" | sed 's/^/#   /'
	return 1
}

# stop_demo NAME: SIGTERM, bounded wait; the exit status must be 0 (under
# ASan this is also the leak check).
demo_exits_cleanly() {
	pid=$(eval echo "\$PID_$1")
	# a demo that died earlier gets no signal, but its status and stderr
	# are still what the failure needs to show
	gone=
	kill -TERM "$pid" 2>/dev/null || gone=1
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	[ -z "$gone" ] || { echo "demo $1 had exited before it was stopped"; [ $rc -ne 0 ] || rc=1; }
	[ $rc -eq 0 ] || { echo "demo $1 exit status $rc"; cat "$TMP/$1.err"; }
	return $rc
}
stop_demo() { check "demo $1 exits cleanly" demo_exits_cleanly "$1"; }

free_port() { # a port nobody listens on, from the kernel's ephemeral range
	"$BUILD/saffron-demo" --static --port 0 --quit-after 1 | sed -n 's/.*:\([0-9]*\)$/\1/p'
}

cleanup() {
	# through a file: dash runs $(jobs -p) in a subshell, which has no jobs
	jobs -p >"$TMP/.jobs" 2>/dev/null
	for p in $(cat "$TMP/.jobs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}

finish() {
	echo "1..$N"
	[ "$FAILED" -eq 0 ]
}
