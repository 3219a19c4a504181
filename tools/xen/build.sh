#!/usr/bin/env bash
# Build the fixed parts of the nested Xen harness from the unpacked Debian packages:
#
#   build/xen/xen             the hypervisor, uncompressed (QEMU's multiboot loader needs it)
#   build/xen/linux/vmlinux   Debian's kernel, uncompressed: dom0's kernel and the Linux
#                             peer domU's (Xen and libxc would otherwise unpack the xz
#                             bzImage each time: about 3 s at boot, 7 s per guest start)
#   build/xen/dom0.cpio.gz    dom0's initramfs: busybox, Xen toolstack, libraries, modules
#   build/xen/linux/initrd.cpio.gz  the Linux peer's own busybox initramfs
#   build/xen/libvirt.cpio.gz  libvirtd (libxl driver) and virsh, appended to a run's
#                             archive only when a guest starts with virsh
#
# Each output is rebuilt only when a hash of its inputs changes (a stamp beside it).
set -euo pipefail
source "$(dirname "$0")/common.sh"

# One builder at a time (two suites started together would race on the same outputs).
mkdir -p "$XT_BUILD"
exec 9>"$XT_BUILD/.lock"
flock 9
"$XT_TOOLS/fetch.sh"

R=$XT_STAGE
kver=$(cd "$R/lib/modules" && ls | head -n1)
[[ -n $kver && -f $R/boot/vmlinuz-$kver ]] || xt_die "no kernel image in $R (fetch.sh failed?)"
LD_SO=$R/lib64/ld-linux-x86-64.so.2
LIBPATH=$R/lib/x86_64-linux-gnu:$R/usr/lib/x86_64-linux-gnu:$R/usr/lib/xen-$XT_XENVER/lib/x86_64-linux-gnu

# stamp_ok OUTPUT INPUTS... : true when OUTPUT exists and was built from these inputs.
stamp_ok() {
	local out=$1; shift
	stamp_new=$(xt_hash_files "$@")
	[[ -e $out && $(cat "$out.stamp" 2>/dev/null) == "$stamp_new" ]]
}
stamp_set() { echo "$stamp_new" >"$1.stamp"; }

# ---- hypervisor ----
if ! stamp_ok "$XT_BUILD/xen" "$R/boot/xen-$XT_XENVER-amd64.gz"; then
	zcat "$R/boot/xen-$XT_XENVER-amd64.gz" >"$XT_BUILD/xen"
	stamp_set "$XT_BUILD/xen"
fi

# ---- copying helpers for initramfs trees ----
# put TREE FILE... : copy staged files (paths relative to $R) into TREE, same paths.
put() {
	local tree=$1 f; shift
	for f; do
		[[ -e $R/$f ]] || xt_die "$f missing from the unpacked packages"
		mkdir -p "$tree/$(dirname "$f")"
		cp -RL "$R/$f" "$tree/$f"   # dereference: libraries are symlinks
	done
}
# put_bin TREE FILE... : copy executables and every shared library they load, found by
# the staged loader (so nothing comes from the host), plus libgcc_s (glibc dlopens it).
put_bin() {
	local tree=$1 f lib; shift
	put "$tree" "$@" lib64/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/libgcc_s.so.1
	for f; do
		while read -r lib; do
			[[ $lib == "$R"/* ]] || xt_die "$f needs $lib, not in the unpacked packages"
			put "$tree" "${lib#"$R"/}"
		done < <("$LD_SO" --library-path "$LIBPATH" --list "$R/$f" 2>/dev/null |
			awk '$2 == "=>" && $3 ~ /^\// {print $3} $2 == "=>" && $3 == "not" {print "MISSING:" $1}')
	done
}
# busybox_tree TREE : busybox with a symlink per applet (real binaries put later win).
busybox_tree() {
	local tree=$1 a
	put "$tree" bin/busybox
	for a in $("$R/bin/busybox" --list-full); do
		[[ -e $tree/$a || -L $tree/$a ]] && continue
		mkdir -p "$tree/$(dirname "$a")"
		ln -s /bin/busybox "$tree/$a"
	done
}
# mkcpio TREE OUT : newc archive, gzip -1 (fast to make and fast for the kernel to unpack).
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | "$R/bin/busybox" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$2.tmp"
	mv "$2.tmp" "$2"
}

# ---- dom0 initramfs ----
mapfile -t dom0_files < <(find "$XT_TOOLS/dom0" -type f | LC_ALL=C sort)
dom0_inputs=("$R/.stamp" "$0" "$XT_TOOLS/common.sh" "${dom0_files[@]}")
if ! stamp_ok "$XT_BUILD/dom0.cpio.gz" "${dom0_inputs[@]}"; then
	t0=$(xt_now)
	T=$XT_BUILD/dom0-tree
	rm -rf "$T"
	mkdir -p "$T"/{proc,sys,dev,run,tmp,root,etc,lib/modules}
	X=usr/lib/xen-$XT_XENVER/bin
	# libxl-save-helper: xl save, restore and migrate run libxc's stream code in it.
	put_bin "$T" $X/xl $X/xenstored $X/xenconsoled $X/xen-init-dom0 $X/xenconsole $X/xenctx \
		$X/libxl-save-helper usr/bin/xenstore bin/bash usr/bin/stat usr/bin/flock sbin/losetup
	# xenstore-utils is one binary under many names.
	for n in read write exists list ls rm chmod watch; do
		ln -sfn xenstore "$T/usr/bin/xenstore-$n"
	done
	mkdir -p "$T/usr/sbin"
	ln -sfn /$X/xl "$T/usr/sbin/xl"
	put "$T" etc/xen/scripts etc/xen/xl.conf
	# Our lean hotplug scripts replace Debian's (kept under .debian; see the scripts).
	for f in vif-bridge block; do
		mv "$T/etc/xen/scripts/$f" "$T/etc/xen/scripts/$f.debian"
		install -m 755 "$XT_TOOLS/dom0/hotplug/$f" "$T/etc/xen/scripts/$f"
	done
	busybox_tree "$T"
	for m in "${XT_DOM0_MODULES[@]}"; do
		cp "$R/lib/modules/$kver/kernel/$m" "$T/lib/modules/"
		basename "$m" >>"$T/lib/modules/order"
	done
	install -m 755 "$XT_TOOLS/dom0/init" "$T/init"
	install -m 644 "$XT_TOOLS/dom0/profile" "$T/etc/profile"
	mkcpio "$T" "$XT_BUILD/dom0.cpio.gz"
	stamp_set "$XT_BUILD/dom0.cpio.gz"
	xt_log "dom0 initramfs: $(du -h "$XT_BUILD/dom0.cpio.gz" | cut -f1) in $(xt_since "$t0") s"
fi

# ---- libvirt: an archive laid over dom0's tree, only for runs with a virsh guest ----
# libvirtd with the libxl driver and virsh pull in about 60 libraries (glib, gnutls,
# curl, ICU's 30 MB of data ...); in dom0's own image every boot would pay for them.
# Files dom0's image already has are left out.
mapfile -t lv_files < <(find "$XT_TOOLS/libvirt" -type f | LC_ALL=C sort)
lv_inputs=("$R/.stamp" "$0" "$XT_TOOLS/common.sh" "${lv_files[@]}" "$XT_BUILD/dom0.cpio.gz.stamp")
if ! stamp_ok "$XT_BUILD/libvirt.cpio.gz" "${lv_inputs[@]}"; then
	t0=$(xt_now)
	T=$XT_BUILD/libvirt-tree
	rm -rf "$T"
	mkdir -p "$T"
	D=usr/lib/x86_64-linux-gnu/libvirt/connection-driver
	put_bin "$T" usr/sbin/libvirtd usr/bin/virsh $D/libvirt_driver_libxl.so
	# The libxl driver names the host CPU from libvirt's CPU map or does not start; the
	# map gets one model of ours that fits Xen-under-TCG's host CPU (see the file).
	M=usr/share/libvirt/cpu_map
	(cd "$R" && find $M -name 'x86_*.xml') | while read -r f; do put "$T" "$f"; done
	install -m 644 "$XT_TOOLS/libvirt/x86_xenolith-nested.xml" "$T/$M/"
	sed "s|<include filename='x86_486.xml'/>|&\n    <include filename='x86_xenolith-nested.xml'/>|" \
		"$R/$M/index.xml" >"$T/$M/index.xml"
	grep -q xenolith-nested "$T/$M/index.xml" || xt_die "libvirt's $M/index.xml: no x86_486.xml include"
	install -D -m 644 "$XT_TOOLS/libvirt/libvirtd.conf" "$T/etc/libvirt/libvirtd.conf"
	install -D -m 755 "$XT_TOOLS/libvirt/libvirt-up" "$T/usr/sbin/libvirt-up"
	# glibc's getpwuid (libvirt asks who root is) reads /etc/passwd.
	echo 'root:x:0:0:root:/root:/bin/sh' >"$T/etc/passwd"
	echo 'root:x:0:' >"$T/etc/group"
	(cd "$T" && find . -type f) | while read -r f; do
		if cmp -s "$T/$f" "$XT_BUILD/dom0-tree/$f"; then rm "$T/$f"; fi
	done
	mkcpio "$T" "$XT_BUILD/libvirt.cpio.gz"
	stamp_set "$XT_BUILD/libvirt.cpio.gz"
	xt_log "libvirt archive: $(du -h "$XT_BUILD/libvirt.cpio.gz" | cut -f1) in $(xt_since "$t0") s"
fi

# ---- the Linux peer guest: uncompressed kernel and its own initramfs ----
L=$XT_BUILD/linux
mkdir -p "$L"
if ! stamp_ok "$L/vmlinux" "$R/boot/vmlinuz-$kver"; then
	# The bzImage payload is an xz stream: unpacking it here saves dom0 about 7 s per
	# guest start. xz complains about the trailer after the stream; the ELF check decides.
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$R/boot/vmlinuz-$kver" | head -n1 | cut -d: -f1)
	[[ -n $off ]] || xt_die "no xz payload in vmlinuz-$kver"
	tail -c +$((off + 1)) "$R/boot/vmlinuz-$kver" | xz -dc >"$L/vmlinux.tmp" 2>/dev/null || true
	[[ $(head -c4 "$L/vmlinux.tmp" | od -An -c | tr -d ' ') == 177ELF ]] ||
		xt_die "could not extract vmlinux from vmlinuz-$kver"
	mv "$L/vmlinux.tmp" "$L/vmlinux"
	stamp_set "$L/vmlinux"
fi
mapfile -t guest_files < <(find "$XT_TOOLS/linux-guest" -type f | LC_ALL=C sort)
guest_inputs=("$R/.stamp" "$0" "$XT_TOOLS/common.sh" "${guest_files[@]}")
if ! stamp_ok "$L/initrd.cpio.gz" "${guest_inputs[@]}"; then
	T=$L/tree
	rm -rf "$T"
	mkdir -p "$T"/{proc,sys,dev,tmp,root,etc,lib/modules}
	busybox_tree "$T"
	for m in "${XT_GUEST_MODULES[@]}"; do
		cp "$R/lib/modules/$kver/kernel/$m" "$T/lib/modules/"
		basename "$m" >>"$T/lib/modules/order"
	done
	install -m 755 "$XT_TOOLS/linux-guest/init" "$T/init"
	[[ -d $XT_TOOLS/linux-guest/init.d ]] && cp -a "$XT_TOOLS/linux-guest/init.d" "$T/etc/"
	mkcpio "$T" "$L/initrd.cpio.gz"
	stamp_set "$L/initrd.cpio.gz"
fi
