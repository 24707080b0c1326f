#!/bin/sh
# tests/e2e/bad-link.sh: hostile link input (see tests/e2e/rawclient.c) gets
# a clear error and a disconnect of that client only.
. "$(dirname "$0")/lib.sh"

start_demo bad --static --password pw --link-timeout 1500
timeout 120 "$BUILD/tests/rawclient" "$PORT" pw | tee "$TMP/raw.out" | grep -v '^1\.\.'
rc=$?
N=$(grep -c '^\(not \)\?ok' "$TMP/raw.out")
FAILED=$(grep -c '^not ok' "$TMP/raw.out")
check "stock client still served after the hostile ones" sh -c \
	"timeout 30 spicy-screenshot -h 127.0.0.1 -p $PORT -w pw -o $TMP/after.ppm && \
	 $BUILD/saffron-demo --static --dump-frame $TMP/ref.ppm && cmp -s $TMP/after.ppm $TMP/ref.ppm"
check "server logged each rejection with its reason" grep -q "rejected: invalid magic" "$TMP/bad.err"
stop_demo bad
finish
