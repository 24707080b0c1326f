#!/bin/sh
# tests/e2e/remote-viewer.sh: stock remote-viewer (virt-viewer) under Xvfb
# shows the demo: the X screen, captured with xwd, must contain the demo
# desktop's colours over large areas. The capture is kept as
# $BUILD/remote-viewer.png (docs/remote-viewer.png is one such capture).
. "$(dirname "$0")/lib.sh"

DISP=:$((90 + $$ % 100))
Xvfb "$DISP" -screen 0 1280x1024x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XPID=$!
sleep 1
start_demo rv --static
DISPLAY=$DISP timeout 60 remote-viewer --full-screen "spice://127.0.0.1:$PORT" \
	>"$TMP/rv.log" 2>&1 &
RVPID=$!

captured() {
	for _ in $(seq 1 30); do
		sleep 1
		DISPLAY=$DISP xwd -root -silent >"$TMP/shot.xwd" 2>/dev/null || continue
		/usr/bin/convert "$TMP/shot.xwd" -format %c histogram:info:- >"$TMP/hist.txt" 2>/dev/null
		bg=$(grep -i '#2E5E8C' "$TMP/hist.txt" | sed 's/^ *\([0-9]*\):.*/\1/' | head -1)
		[ "${bg:-0}" -gt 200000 ] && return 0
	done
	return 1
}
check "remote-viewer window shows the demo desktop" captured
check "the moving-rectangle and taskbar colours are on screen" sh -c \
	"grep -qi '#FF9900' $TMP/hist.txt && grep -qi '#3A9A3A' $TMP/hist.txt"
/usr/bin/convert "$TMP/shot.xwd" "$BUILD/remote-viewer.png" 2>/dev/null
kill "$RVPID" 2>/dev/null
wait "$RVPID" 2>/dev/null
stop_demo rv
kill "$XPID" 2>/dev/null
finish
