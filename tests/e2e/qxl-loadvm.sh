#!/bin/sh
# tests/e2e/qxl-loadvm.sh: the surface commands a migration target's QEMU
# replays (spice_qxl_loadvm_commands) are released as the guest expects:
# the create when its surface is destroyed, once, and never before; the
# current cursor's SET when another SET replaces it or the cursor is reset
# (QEMU replays it on a target), other cursor commands at once. On Saffron's
# shim and, for comparison, on the reference libspice-server1.
. "$(dirname "$0")/lib.sh"

SAN_ENV=""
case "$BUILD" in
*asan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0" ;;
*tsan*) SAN_ENV="LD_PRELOAD=$(gcc -print-file-name=libtsan.so)" ;;
esac

saffron() { env LD_LIBRARY_PATH="$PWD/$BUILD/shim" $SAN_ENV timeout 30 "$BUILD/tests/qxl-loadvm" "$(free_port)"; }
reference() { timeout 30 "$BUILD/tests/qxl-loadvm" "$(free_port)"; }

check "saffron: replayed creates and the current cursor are released once, when replaced or destroyed" saffron
check "reference: the same" reference
finish
