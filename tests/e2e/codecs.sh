#!/bin/sh
# tests/e2e/codecs.sh: every image codec setting, decoded by the stock
# spice-client-glib, must give the demo's gallery (text, UI, photo, gradient
# and noise images, widths 1..4096, areas of a larger image, RGBA alpha
# blends over them) pixel for pixel;
# the demo's own counters must show each image went out in the codec the
# setting asks for (AUTO: photos as QUIC, drawn content as GLZ or LZ; with
# jpeg-compression always, photos as JPEG within a stated PSNR).
. "$(dirname "$0")/lib.sh"

# images_sent NAME CODEC: how many images the demo encoded with CODEC;
# blends_sent: how many of them were alpha blends
images_sent() { sed -n "s/.*images:.* $2 \([0-9]*\).*/\1/p" "$TMP/$1.out"; }
blends_sent() { sed -n "s/.*blends:.* $2 \([0-9]*\).*/\1/p" "$TMP/$1.out"; }
at_least() { [ "${1:-0}" -ge "$2" ]; }

# seconds the client may take: the gallery's 4096-wide QUIC and QUIC RGBA
# images take a TSan-built client (its every memcpy intercepted) over 30 s
WAIT=30
case "$BUILD" in *san*) WAIT=120 ;; esac

check "dump-frame writes the gallery" "$BUILD/saffron-demo" --gallery --dump-frame "$TMP/ref.ppm"
for mode in off lz lz4 quic glz auto_glz auto_lz; do
	start_demo "g_$mode" --gallery --image-compression "$mode"
	# glib's caches look like leaks to ASan; the demo keeps its leak check
	check "image-compression $mode: the stock client shows the gallery exactly" \
		env ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/glib-frame" "$PORT" "$TMP/ref.ppm" "$WAIT"
	stop_demo "g_$mode"
done
# lossy WAN setting: photos and gradients as JPEG (quality 85), the rest exact
start_demo g_jpeg --gallery --jpeg-compression always
check "jpeg-compression always: the stock client shows the gallery within 30 dB PSNR" \
	env ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/glib-frame" "$PORT" "$TMP/ref.ppm" "$WAIT" 30
stop_demo g_jpeg
# 63 gallery images and one snapshot of the blank surface
check "off: every image raw" at_least "$(images_sent g_off raw)" 64
check "lz: every image LZ" at_least "$(images_sent g_lz lz)" 64
check "lz4: every image LZ4" at_least "$(images_sent g_lz4 lz4)" 64
check "quic: every image QUIC (noise goes raw when QUIC cannot shrink it)" \
	at_least "$(images_sent g_quic quic)" 64
# the snapshot stays LZ so that clients may still join the empty dictionary
check "glz: every drawn image GLZ" at_least "$(images_sent g_glz glz)" 63
check "auto_glz: photos and gradients as QUIC" at_least "$(images_sent g_auto_glz quic)" 10
check "auto_glz: text, UI and noise as GLZ" at_least "$(images_sent g_auto_glz glz)" 30
check "jpeg always: photos and gradients as JPEG" at_least "$(images_sent g_jpeg jpeg)" 10
check "jpeg auto on loopback (not low bandwidth): no JPEG" [ "$(images_sent g_auto_glz jpeg)" = 0 ]
check "auto_lz: the same split" at_least "$(images_sent g_auto_lz quic)" 10
# 16 blends (15 RGBA, one opaque at half alpha): never GLZ (the dictionary
# must not depend on drawables occlusion may drop), LZ4 has no alpha plane
# here: LZ (RGBA) for both; QUIC RGBA where the setting says QUIC
check "blends: raw when off" at_least "$(blends_sent g_off raw)" 16
for m in lz lz4 glz; do
	check "blends in $m: LZ, with the alpha" \
		sh -c "[ $(blends_sent "g_$m" lz) -ge 15 ] && [ $(blends_sent "g_$m" glz) = 0 ]"
done
check "blends in quic: QUIC RGBA (noise may go raw)" at_least "$(blends_sent g_quic quic)" 10
check "blends in auto_glz: photos and gradients as QUIC RGBA, the rest LZ" \
	sh -c "[ $(blends_sent g_auto_glz quic) -ge 3 ] && [ $(blends_sent g_auto_glz lz) -ge 3 ]"
check "jpeg always: RGBA photo and gradient blends as JPEG_ALPHA" \
	at_least "$(blends_sent g_jpeg jpeg)" 2
finish
