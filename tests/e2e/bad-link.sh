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

start_demo limit --static --max-clients 1
timeout 60 "$BUILD/tests/rawclient" "$PORT" "" limit1 >"$TMP/limit.out"
sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /&/p' "$TMP/limit.out" | while read -r l; do echo "$l"; done
N=$((N + $(grep -c '^\(not \)\{0,1\}ok' "$TMP/limit.out")))
FAILED=$((FAILED + $(grep -c '^not ok' "$TMP/limit.out")))
stop_demo limit
finish
