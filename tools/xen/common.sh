# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for the nested Xen harness (sourced by the host scripts).
# Everything the harness builds lives under build/xen; downloaded .debs live in a cache
# outside the tree so a fresh clone or `make clean` does not download them again.

XT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XT_TOOLS=$XT_ROOT/tools/xen
XT_BUILD=${XT_BUILD:-$XT_ROOT/build/xen}
XT_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xenolith/debs
XT_STAGE=$XT_BUILD/root          # all .debs unpacked here with dpkg -x
XT_XENVER=4.17
XT_XENBIN=/usr/lib/xen-$XT_XENVER/bin

# Debian packages for dom0 and the Linux peer guest. The kernel package is looked up from
# linux-image-amd64's Depends at run time (its name changes with security updates), and
# the shared libraries come in through the Depends closure (see fetch.sh).
# libvirt's Xen (libxl) driver, libvirtd and virsh go into a separate archive
# (build/xen/libvirt.cpio.gz) that a run carries only when a guest starts with virsh.
XT_LIBVIRT_PACKAGES=(libvirt-daemon-driver-xen libvirt-daemon libvirt-clients)
XT_PACKAGES=(
	xen-hypervisor-$XT_XENVER-amd64 xen-utils-$XT_XENVER xen-utils-common xenstore-utils
	busybox-static bash util-linux mount coreutils "${XT_LIBVIRT_PACKAGES[@]}"
	${XT_EXTRA_PACKAGES:-}
)

xt_log() { printf '[xen] %s\n' "$*" >&2; }
xt_die() { printf '[xen] error: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with microseconds (bash 5's EPOCHREALTIME, no fork).
xt_now() { printf '%s' "$EPOCHREALTIME"; }
# xt_since START -> "12.3" (seconds, one decimal)
xt_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }

# Hash of files' contents and names: the stamp that decides whether to rebuild.
xt_hash_files() { sha256sum "$@" | sha256sum | cut -c1-16; }

# Kernel modules (paths under lib/modules/VERSION/kernel), in insmod order. Only these and
# the kernel image are unpacked from the (large) kernel package.
XT_DOM0_MODULES=(
	drivers/xen/xen-evtchn.ko drivers/xen/xen-privcmd.ko drivers/xen/xenfs/xenfs.ko
	drivers/xen/xen-gntdev.ko drivers/xen/xen-gntalloc.ko
	drivers/net/xen-netback/xen-netback.ko drivers/block/xen-blkback/xen-blkback.ko
	net/llc/llc.ko net/802/stp.ko net/bridge/bridge.ko drivers/block/loop.ko
)
XT_GUEST_MODULES=(drivers/net/xen-netfront.ko drivers/block/xen-blkfront.ko)
