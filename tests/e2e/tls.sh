#!/bin/sh
# tests/e2e/tls.sh: the TLS port with the test CA in tests/tls: stock
# spicy-screenshot over TLS gives the same PPM as --dump-frame; the
# spice-gtk client does its full round (pixels, cursor, key, click) with
# every channel on TLS; a client that does not trust the CA fails; a plain
# link to a secure-only server gets SPICE_LINK_ERR_NEED_SECURED.
. "$(dirname "$0")/lib.sh"
# spice-gtk leaks a GLib buffer at exit: leak checks stay on for the server only
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

CA=$PWD/tests/tls/ca-cert.pem
tls_port() { sed -n 's/.*tls on 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/$1.out"; }

"$BUILD/saffron-demo" --static --dump-frame "$TMP/ref.ppm"
start_demo tls --static --tls-port 0 --tls-dir tests/tls --secure-only
TP=$(tls_port tls)
# spicy-screenshot has no CA option; it uses OpenSSL's default paths
check "spicy-screenshot over TLS succeeds" env SSL_CERT_FILE="$CA" \
	timeout 30 spicy-screenshot -h 127.0.0.1 -s "$TP" -o "$TMP/tls.ppm"
check "TLS screenshot identical to dump-frame" cmp -s "$TMP/tls.ppm" "$TMP/ref.ppm"
check "spice-gtk client: pixels, cursor, key and click over TLS" env SF_TLS_PORT="$TP" \
	SF_CA_FILE="$CA" timeout 40 "$BUILD/tests/glib-client" "$TP"
check "a client that does not trust the CA is not served" sh -c \
	"! SSL_CERT_FILE=/dev/null timeout 30 spicy-screenshot -h 127.0.0.1 -s $TP -o $TMP/untrusted.ppm"
timeout 30 "$BUILD/tests/rawclient" "$PORT" "" need-secured >"$TMP/ns.out"
check "plain link to a secure-only server gets NEED_SECURED" grep -q '^ok' "$TMP/ns.out"
check "the server logged the refusal" grep -q "rejected: need secured" "$TMP/tls.err"
stop_demo tls
finish
