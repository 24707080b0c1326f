#!/bin/sh
# scripts/deps.sh: install the Debian packages Saffron builds and tests with.
# Idempotent: does nothing when every package is already installed.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev liburcu-dev libck-dev libssl-dev
libpixman-1-dev libjpeg62-turbo-dev liblz4-dev libopus-dev libjemalloc-dev
libspice-protocol-dev libspice-server-dev libspice-client-glib-2.0-dev spice-client-gtk
libglib2.0-dev xvfb virt-viewer x11-apps imagemagick netcat-openbsd qemu-system-x86 cpio"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
