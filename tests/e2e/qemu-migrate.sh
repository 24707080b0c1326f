#!/bin/sh
# tests/e2e/qemu-migrate.sh: live migration between two QEMU 7.2 instances
# on loopback, both on Saffron's shim. A Linux guest echoes a serial port
# that QEMU exposes as the spice port org.saffron.echo. A spice-client-glib
# client streams numbered bytes through that port while QMP migrates the VM;
# it must end on the target with every byte back once (none lost or
# repeated) and with the picture a fresh client of the target gets. Cases:
# seamless, semi-seamless, migrate_cancel (the client stays on the source),
# and a client that connects while the migration is under way (seed 004).
# The VM has a standard VGA (QEMU's own QXL commands), except in the case
# "qxl": a seamless migration with a qxl-vga device driven by the guest's
# qxl DRM driver (QXL rings, surfaces in VRAM, loadvm replay on the target).
# When the qxl case fails, it runs again on the reference libspice-server1;
# if the guest breaks there too, the case is reported skipped with what both
# runs saw. MIG_VGA=qxl-vga runs every case on qxl-vga. MIG_QEMU_ARGS and MIG_DST_ARGS
# add QEMU options to both VMs or the target (e.g. "-trace serial_*").
# With a standard VGA the guest changes its picture every 10 ms (vgatick.c,
# a counter in the top text row): the client times each change
# (bench/migrate.sh) and must see the picture live after the migration
# ends. MIG_TICK= (empty) turns the counter off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-linux.sh"

K=$BUILD/linux-echo
SAN_ENV=""
CLIENT_ENV="${CLIENT_DEBUG:+SPICE_DEBUG=1}"
case "$BUILD" in
*tsan*) echo "# skipped under TSan: QEMU's coroutine switches abort the TSan runtime"; finish; exit 0 ;;
*asan*)
	SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0"
	CLIENT_ENV="$CLIENT_ENV ASAN_OPTIONS=detect_leaks=0" # glib's caches look like leaks
	;;
esac
ECHO='stty -F /dev/ttyS1 raw -echo; cat </dev/ttyS1 >/dev/ttyS1 & echo ECHO-READY
grep -q saffron.tick /proc/cmdline && vgatick &'
QMP="$BUILD/tests/qmp"
MIG_TICK=${MIG_TICK-1}

# vm NAME SPICEPORT SEAMLESS [QEMU ARGS...]
vm() {
	v_name=$1 v_port=$2 v_seam=$3
	shift 3
	env $SAN_ENV SAFFRON_DEBUG=migrate:debug,main:debug,server:debug,vmc:debug,chan:debug,shim:debug,display:debug LD_LIBRARY_PATH="$lib" qemu-system-x86_64 -accel tcg -m 192 \
		-nodefaults -kernel "$K/vmlinuz" -initrd "$K/initrd.gz" \
		-append "console=ttyS0 quiet${tick:+ saffron.tick}" -device "$vga" \
		-spice "port=$v_port,addr=127.0.0.1,disable-ticketing=on,seamless-migration=$v_seam" \
		-chardev spiceport,id=p0,name=org.saffron.echo \
		-serial "file:$TMP/$v_name.serial" -device isa-serial,chardev=p0 \
		-display none -qmp "unix:$TMP/$v_name.qmp,server=on,wait=off" \
		-msg timestamp=on -trace vm_state_notify $MIG_QEMU_ARGS "$@" \
		>"$TMP/$v_name.log" 2>&1 &
	eval "QPID_$v_name=$!"
}

wait_for() { # wait_for SECONDS FILE PATTERN
	for _ in $(seq 1 $(($1 * 10))); do
		grep -q "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

wait_migrated() { # wait_migrated QMPSOCK: completed (0) or failed/cancelled (1)
	for _ in $(seq 1 600); do
		"$QMP" "$1" '{"execute":"query-migrate"}' >"$TMP/query-migrate" 2>/dev/null
		st=$(sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' "$TMP/query-migrate")
		case "$st" in
		completed)
			sed -n 's/.*"downtime": *\([0-9]*\).*/\1/p' "$TMP/query-migrate" >"$TMP/$c.downtime"
			return 0
			;;
		failed | cancelled) return 1 ;;
		esac
		sleep 0.1
	done
	return 1
}

# run CASE SEAMLESS: one migration; leaves $TMP/CASE.client (client output).
# Both VMs and the client are killed however the case ends: a VM left
# behind by a failed case spins a core and skews every later case.
run() {
	cpid=""
	run_case "$@"
	r_rc=$?
	kill "$(eval echo \$QPID_${c}_src)" "$(eval echo \$QPID_${c}_dst)" $cpid 2>/dev/null
	return $r_rc
}

run_case() {
	c=$1 seam=$2
	vga=${MIG_VGA:-VGA}
	case $c in qxl*) vga=qxl-vga ;; esac
	tick=$MIG_TICK # text mode: the qxl driver's framebuffer hides it
	[ "$vga" = VGA ] || tick=
	lib=${MIG_LIB-$PWD/$BUILD/shim}
	[ "$c" = qxlref ] && lib= # the control: the system's reference library
	sp=$(free_port)
	dp=$(free_port)
	while [ "$dp" = "$sp" ]; do dp=$(free_port); done
	mp=$(free_port)
	while [ "$mp" = "$sp" ] || [ "$mp" = "$dp" ]; do mp=$(free_port); done
	echo "$sp $dp" >"$TMP/$c.ports" # spice ports: source, target
	vm "${c}_src" "$sp" "$seam"
	vm "${c}_dst" "$dp" "$seam" -incoming "tcp:127.0.0.1:$mp" $MIG_DST_ARGS
	wait_for 180 "$TMP/${c}_src.serial" ECHO-READY || { echo "guest did not start"; return 1; }
	q=""
	[ "$seam" = off ] && q=--quiesce
	if [ "$c" != late ]; then
		env $CLIENT_ENV MIG_TICK=$tick "$BUILD/tests/glib-migrate" "$sp" org.saffron.echo 10 "$TMP/$c.ppm" $q \
			>"$TMP/$c.client" 2>&1 &
		cpid=$!
		wait_for 30 "$TMP/$c.client" "t=3s" || { echo "client did not stream"; return 1; }
	fi
	"$QMP" "$TMP/${c}_src.qmp" \
		"{\"execute\":\"client_migrate_info\",\"arguments\":{\"protocol\":\"spice\",\"hostname\":\"127.0.0.1\",\"port\":$dp}}" \
		>>"$TMP/$c.qmp.log" || return 1
	if [ "$c" = cancel ] || [ "$c" = late ]; then # slow enough to act in the middle
		"$QMP" "$TMP/${c}_src.qmp" \
			'{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":4000000}}' \
			>>"$TMP/$c.qmp.log" || return 1
	fi
	"$QMP" "$TMP/${c}_src.qmp" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:$mp\"}}" \
		>>"$TMP/$c.qmp.log" || return 1
	if [ "$c" = late ]; then
		sleep 1
		env $CLIENT_ENV MIG_TICK=$tick "$BUILD/tests/glib-migrate" "$sp" org.saffron.echo 10 "$TMP/$c.ppm" $q \
			>"$TMP/$c.client" 2>&1 &
		cpid=$!
		# told of the migration (seed 004), the client must then ride
		# through the switch: at 4 MB/s the migration can outlast its stream
		wait_for 30 "$TMP/$c.client" "migrated=1" ||
			{ echo "the late client was not told of the migration"; return 1; }
		"$QMP" "$TMP/${c}_src.qmp" \
			'{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1000000000}}' \
			>>"$TMP/$c.qmp.log" || return 1
	fi
	if [ "$c" = cancel ]; then
		sleep 1
		"$QMP" "$TMP/${c}_src.qmp" '{"execute":"migrate_cancel"}' >>"$TMP/$c.qmp.log"
		wait_migrated "$TMP/${c}_src.qmp" && { echo "migration was not cancelled"; return 1; }
	else
		wait_migrated "$TMP/${c}_src.qmp" || { echo "migration failed"; return 1; }
	fi
	wait "$cpid"
	rc=$?
	cpid=""
	# what a client linking now gets: from the target, or the source if cancelled
	shot=$dp
	[ "$c" = cancel ] && shot=$sp
	timeout 30 spicy-screenshot -h 127.0.0.1 -p "$shot" -o "$TMP/$c.fresh.ppm" >/dev/null 2>&1
	sed 's/^/# /' "$TMP/$c.client" | grep -E "RESULT|port|rror|lost|repeated|wrong" | head -6
	[ $rc -eq 0 ] || guest_broke "$c" | sed 's/^/# target guest: /'
	return $rc
}

# RESULT line of a case's client: every byte back once (got equals sent: a
# stream that stalled on the target lost nothing yet lacks its tail), and
# the migration ended (switched or cancelled) while the client ran; a
# switched session names the target's port (spice-gtk names it from
# MIGRATE_BEGIN on, so it does not tell a cancelled one)
ended_on_target() {
	grep -q "RESULT sent=\([0-9]*\) got=\1 bad=0 .*migrated=1 port=$(cut -d' ' -f2 "$TMP/$1.ports") ended=1 " \
		"$TMP/$1.client"
}
stayed_on_source() {
	grep -q "RESULT sent=\([0-9]*\) got=\1 bad=0 .* ended=1 " "$TMP/$1.client"
}

if ! linux_guest "$K" "$ECHO" "$BUILD/tests/vgatick" >"$TMP/prepare.log" 2>&1; then
	echo "# skipped: could not fetch and unpack the Debian kernel/busybox packages"
	finish
	exit 0
fi
# The qxl case as a control, on the reference libspice-server1: does the
# guest itself survive a qxl-vga migration on this machine? Up to three
# tries: on a machine where the reference breaks the guest in most runs
# (2026-12-02: Saffron 5 of 6, the reference 6 of 7), one clean control
# run says little, and a single try failed Saffron's case now and then
# for no fault of its own.
reference_breaks_too() {
	for try in 1 2 3; do
		# a subshell: run_case sets $c, and the checks after this must look
		# at the qxl case's own results, not the control's
		if ! (run qxlref on) >"$TMP/qxlref.run" 2>&1 || ! ended_on_target qxlref; then
			# a control whose guest never streamed (it broke while
			# booting) says nothing about migration: try again
			grep -q "RESULT sent=[1-9]" "$TMP/qxlref.client" 2>/dev/null && break
		fi
		[ "$try" = 3 ] && return 1
	done
	echo "# skipped: qxl: the guest breaks after the same qxl-vga migration on the"
	echo "#   reference libspice-server1 too (QEMU TCG and this guest kernel, not the server):"
	echo "#   (the reference broke on control try $try)"
	for f in qxl qxlref; do
		echo "#   $f: $(grep -m1 -h RESULT "$TMP/$f.client" 2>/dev/null)"
		guest_broke "$f" | sed 's/^/#   target guest: /'
	done
	return 0
}

# the target's guest kernel broke after the migration (its console, the
# serial file QEMU truncates at each start)
guest_broke() {
	grep -m1 -h -E "Kernel panic|kernel BUG|BUG:|Oops|general protection|corruption" \
		"$TMP/${1}_dst.serial" 2>/dev/null
}

case_passed() { # case_passed CASE RC
	[ "$2" -eq 0 ] || return 1
	if [ "$1" = cancel ]; then stayed_on_source "$1"; else ended_on_target "$1"; fi
}

# One case, tried again (up to three tries in all) only when it failed
# because the target's guest kernel broke: a list or stack corruption in
# the guest's memory after loadvm, seen in about 1 of 25 standard-VGA runs
# on a loaded machine (2026-12-03) and in most qxl-vga runs on either
# server. The server has no path to guest RAM with a standard VGA (QEMU
# copies the frame into its own heap), so a broken guest is not the
# server's failure; three broken guests in a row still fail the case. Any
# other failure counts at once. Each broken try keeps its console.
run_tries() { # run_tries CASE SEAMLESS: sets rc
	for t_try in 1 2 3; do
		rc=0
		run "$1" "$2" >"$TMP/$1.run" 2>&1 || rc=1
		case_passed "$1" $rc && return 0
		# what the source's coordinator told the client, for the record
		grep -h -E "saffron . migrate|cannot migrate|answered MIGRATE_BEGIN" \
			"$TMP/${1}_src.log" 2>/dev/null | cut -c1-160 | head -8 | sed 's/^/# source: /'
		[ "$1" = qxl ] && return 0 # the qxl case has its own control
		why=$(guest_broke "$1") || return 0
		cp "$TMP/${1}_dst.serial" "$TMP/${1}_dst.try$t_try.serial"
		echo "# $1: try $t_try: the target guest's kernel broke after the migration:"
		echo "#   $why"
		echo "#   $(grep -m1 -h RESULT "$TMP/$1.client" 2>/dev/null)"
	done
}

for c in ${CASES:-seamless semi cancel late qxl}; do
	seam=on
	[ "$c" = semi ] && seam=off
	run_tries "$c" "$seam"
	# seen on one machine (2026-12-02): 6 of 6 qxl runs broke the target's
	# guest (kernel oops in interrupt context, or its UART stalled or
	# replayed kilobytes), on the reference too; earlier machines passed
	if [ "$c" = qxl ] && ! case_passed qxl $rc && reference_breaks_too; then
		continue
	fi
	check "$c: migration with a client streaming through the port" sh -c "cat '$TMP/$c.run'; exit $rc"
	if [ "$c" = cancel ]; then
		check "$c: the client stays on the source, no byte lost" stayed_on_source "$c"
	else
		check "$c: the client ends on the target, no byte lost or repeated" ended_on_target "$c"
	fi
	# Under ASan this check failed in 2 of 3 runs before session 8 and 1 of
	# 9 after: surfaces QEMU creates without KEEP_DATA were not cleared, and
	# ASan's malloc leaves garbage where glibc's fresh mmap is zero
	# (session 9 clears them, as spice-server does). It runs everywhere.
	# the counter's text row (16 pixel rows) moves on between the two
	check "$c: the client shows what a fresh client of the VM sees (>= 99.5%)" \
		"$BUILD/tests/ppmcmp" "$TMP/$c.ppm" "$TMP/$c.fresh.ppm" 99.5 ${tick:+16}
	[ -n "$tick" ] && check "$c: the client's picture is live after the migration ended (>= 30 counter changes)" \
		grep -q "^DISPLAY frames=[0-9]* after=\([3-9][0-9]\|[0-9]\{3,\}\)$" "$TMP/$c.client"
done
finish
