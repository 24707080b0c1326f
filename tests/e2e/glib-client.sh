#!/bin/sh
# tests/e2e/glib-client.sh: the spice-client-glib test client sees the
# desktop, types and clicks, and sees the demo react; also while animating.
. "$(dirname "$0")/lib.sh"

start_demo st --static
check "glib client: static desktop, key and click reactions" timeout 40 "$BUILD/tests/glib-client" "$PORT"
stop_demo st

start_demo anim --password pw
check "glib client with password on the animated demo" timeout 40 "$BUILD/tests/glib-client" "$PORT" pw
stop_demo anim
finish
