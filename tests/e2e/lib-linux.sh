#!/bin/sh
# tests/e2e/lib-linux.sh: a small Linux guest for QEMU tests, sourced by
# them (needs lib.sh's BUILD).
# Kernel and busybox come as Debian packages, unpacked, never installed.
# linux_guest DIR TAIL [PROGRAM...]: DIR/vmlinuz and DIR/initrd.gz whose init
# loads the qxl driver, draws the test pattern (DIR/expected.ppm) and then
# runs TAIL; each PROGRAM (a static binary) goes into the guest's /bin. A
# guest built for another TAIL or PROGRAM list is built again.
linux_guest() {
	K=$1
	l_stamp="$2 $(shift 2; for f in "$@"; do cksum <"$f"; done)"
	[ -s "$K/initrd.gz" ] && [ -s "$K/vmlinuz" ] && [ "$(cat "$K/stamp" 2>/dev/null)" = "$l_stamp" ] &&
		return 0
	rm -f "$K/initrd.gz"
	R=$BUILD/linux-pkgs # the unpacked packages, shared by every guest
	mkdir -p "$R/deb" "$K/ir/bin" "$K/ir/lib" "$K/ir/proc" "$K/ir/sys" "$K/ir/dev" || return 1
	if ! ls "$R"/root/boot/vmlinuz-* >/dev/null 2>&1; then
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		[ -n "$kpkg" ] || return 1
		(cd "$R/deb" && apt-get download "$kpkg" busybox-static >/dev/null 2>&1) || return 1
		for d in "$R"/deb/*.deb; do dpkg-deb -x "$d" "$R/root" || return 1; done
	fi
	cp "$R"/root/boot/vmlinuz-* "$K/vmlinuz" && cp "$R/root/bin/busybox" "$K/ir/bin/" || return 1
	for m in drm drm_kms_helper ttm drm_ttm_helper qxl; do
		find "$R/root/lib/modules" -name "$m.ko" -exec cp {} "$K/ir/lib/" \; -quit
		[ -s "$K/ir/lib/$m.ko" ] || return 1
	done
	"$BUILD/tests/pattern" 1024 768 "$K/ir/pattern.raw" "$K/expected.ppm" || return 1
	cat >"$K/ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in drm drm_kms_helper ttm drm_ttm_helper qxl; do insmod /lib/$m.ko || echo "insmod $m failed"; done
for i in $(seq 1 50); do [ -e /dev/fb0 ] && break; sleep 0.2; done
echo "FB: $(cat /sys/class/graphics/fb0/virtual_size) stride $(cat /sys/class/graphics/fb0/stride)"
for v in /sys/class/vtconsole/vtcon*/bind; do echo 0 > $v; done
cat /pattern.raw > /dev/fb0
echo PATTERN-DRAWN
INIT
	printf '%s\n' "$2" 'while true; do sleep 1000; done' >>"$K/ir/init"
	chmod +x "$K/ir/init"
	shift 2
	for f in "$@"; do cp "$f" "$K/ir/bin/" || return 1; done
	(cd "$K/ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >../initrd.gz)
	[ -s "$K/initrd.gz" ] && printf '%s' "$l_stamp" >"$K/stamp"
}

