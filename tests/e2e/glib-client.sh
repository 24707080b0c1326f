#!/bin/sh
# tests/e2e/glib-client.sh: the spice-client-glib test client sees the
# desktop, types and clicks, and sees the demo react; also while animating.
. "$(dirname "$0")/lib.sh"
# spice-gtk itself leaks a GLib buffer at exit; leak checking stays on for the
# server (see demo_exits_cleanly), off for this peer.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

start_demo st --static
check "glib client: static desktop, key and click reactions" timeout 40 "$BUILD/tests/glib-client" "$PORT"
stop_demo st

start_demo audio --static
check "glib client hears the guest's 440 Hz tone (Opus playback)" timeout 40 "$BUILD/tests/glib-audio" "$PORT"
# the client sent a 330 Hz tone on the record channel: the guest side measured it
record_ok() {
	for _ in $(seq 1 30); do
		grep -q "record:" "$TMP/audio.out" && break
		sleep 0.2
	done
	sed -n 's/.*record: .*pitch \([0-9.]*\) Hz, rms \([0-9]*\)/\1 \2/p' "$TMP/audio.out" |
		awk '{ exit !($1 > 320 && $1 < 340 && $2 > 3600 && $2 < 4900) }'
}
check "the guest hears the client's 330 Hz tone (Opus record)" record_ok
grep "record:" "$TMP/audio.out" | sed 's/^/# /'
stop_demo audio

start_demo anim --password pw
check "glib client with password on the animated demo" timeout 40 "$BUILD/tests/glib-client" "$PORT" pw
stop_demo anim
finish
