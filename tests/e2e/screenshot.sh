#!/bin/sh
# tests/e2e/screenshot.sh: stock spicy-screenshot against saffron-demo must
# give a PPM identical, byte for byte, to the demo's own --dump-frame; with
# and without a password, and with several clients at once.
. "$(dirname "$0")/lib.sh"

shot() { timeout 30 spicy-screenshot -h 127.0.0.1 -p "$PORT" -o "$@"; }
same() { cmp -s "$1" "$2"; }
denied() { ! timeout 30 spicy-screenshot -h 127.0.0.1 -p "$PORT" -w wrong -o "$TMP/denied.ppm" && [ ! -e "$TMP/denied.ppm" ]; }

check "dump-frame writes the static desktop" "$BUILD/saffron-demo" --static --dump-frame "$TMP/ref.ppm"

start_demo plain --static
check "spicy-screenshot succeeds" shot "$TMP/a.ppm"
check "screenshot identical to dump-frame" same "$TMP/a.ppm" "$TMP/ref.ppm"
(shot "$TMP/m1.ppm" &)
(shot "$TMP/m2.ppm" &)
shot "$TMP/m3.ppm"
sleep 1
check "three concurrent clients all identical" sh -c "cmp -s $TMP/m1.ppm $TMP/ref.ppm && cmp -s $TMP/m2.ppm $TMP/ref.ppm && cmp -s $TMP/m3.ppm $TMP/ref.ppm"
stop_demo plain

# each image codec, decoded by the stock client, must give the same pixels
for codec in off lz lz4; do
	start_demo "codec_$codec" --static --image-compression "$codec"
	check "image-compression $codec: screenshot identical to dump-frame" sh -c \
		"timeout 30 spicy-screenshot -h 127.0.0.1 -p $PORT -o $TMP/$codec.ppm && cmp -s $TMP/$codec.ppm $TMP/ref.ppm"
	stop_demo "codec_$codec"
done

start_demo pw --static --password s3cret
check "spicy-screenshot with password succeeds" shot "$TMP/b.ppm" -w s3cret
check "password screenshot identical to dump-frame" same "$TMP/b.ppm" "$TMP/ref.ppm"
check "wrong password is refused" denied
stop_demo pw
finish
