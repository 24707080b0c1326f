#!/bin/sh
# tests/e2e/abi.sh: the shim's dynamic ABI against the reference
# libspice-server.so.1: the same exported functions and data, each with the
# same version node, and every versioned spice symbol Debian's QEMU 7.2
# modules import is defined. (abigail-tools is not in the base image; the
# ELF symbol tables say what the dynamic linker checks.)
. "$(dirname "$0")/lib.sh"
REF=/usr/lib/x86_64-linux-gnu/libspice-server.so.1
OURS=$BUILD/shim/libspice-server.so.1

# NAME@VERSION for every defined, versioned dynamic symbol
exports() {
	objdump -T "$1" | awk '$2 == "g" && $0 !~ /\*UND\*/ && $(NF-1) ~ /^SPICE_SERVER_/ { print $NF "@" $(NF-1) }' | sort -u
}

same_exports() {
	exports "$REF" >"$TMP/ref.syms"
	exports "$OURS" >"$TMP/ours.syms"
	echo "reference $(wc -l <"$TMP/ref.syms") symbols, ours $(wc -l <"$TMP/ours.syms")"
	[ -s "$TMP/ref.syms" ] && diff "$TMP/ref.syms" "$TMP/ours.syms"
}

same_nodes() { # the version definitions, with their parents
	objdump -p "$REF" | sed -n '/Version definitions/,/^$/p' | grep -o 'SPICE_SERVER_[0-9.]*' | sort -u >"$TMP/ref.nodes"
	objdump -p "$OURS" | sed -n '/Version definitions/,/^$/p' | grep -o 'SPICE_SERVER_[0-9.]*' | sort -u >"$TMP/ours.nodes"
	diff "$TMP/ref.nodes" "$TMP/ours.nodes"
}

qemu_imports_resolve() {
	for m in /usr/lib/x86_64-linux-gnu/qemu/ui-spice-core.so /usr/lib/x86_64-linux-gnu/qemu/hw-display-qxl.so \
		/usr/lib/x86_64-linux-gnu/qemu/audio-spice.so /usr/lib/x86_64-linux-gnu/qemu/chardev-spice.so; do
		[ -f "$m" ] || { echo "missing $m"; return 1; }
		objdump -T "$m" | awk '/\*UND\*/ && $(NF-1) ~ /^\(SPICE_SERVER_/ { v = $(NF-1); gsub(/[()]/, "", v); print $NF "@" v }'
	done | sort -u >"$TMP/qemu.syms"
	echo "QEMU modules import $(wc -l <"$TMP/qemu.syms") versioned spice symbols"
	[ -s "$TMP/qemu.syms" ] && ! comm -23 "$TMP/qemu.syms" "$TMP/ours.syms" | grep .
}

check "exported symbols and versions equal the reference's" same_exports
check "version nodes equal the reference's" same_nodes
check "every spice symbol QEMU 7.2's modules import is defined with its version" qemu_imports_resolve
finish
