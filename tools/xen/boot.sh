#!/usr/bin/env bash
# Boot Xen + dom0 once under QEMU TCG.
#
#   tools/xen/boot.sh MODE RUN_CPIO SERIAL_LOG [TIMEOUT_S]
#
# MODE      suite | run | shell (passed to dom0's /init as xt.mode=MODE)
# RUN_CPIO  the per-run initramfs (guest images, plan, runner) or "-" for none
# SERIAL_LOG  where the serial port (Xen's and dom0's console) goes; "-" = this terminal,
#           interactive (Ctrl-] x quits QEMU)
# TIMEOUT_S wall-clock limit; QEMU is killed after it (exit status 124)
#
# Xen gives dom0 one initrd only, so the per-run archive is appended to dom0's: the
# kernel unpacks concatenated (separately compressed) cpio archives one after another.
set -euo pipefail
source "$(dirname "$0")/common.sh"

mode=$1 run_cpio=$2 serial=$3 limit=${4:-0}
"$XT_TOOLS/build.sh"
command -v qemu-system-x86_64 >/dev/null ||
	xt_die "qemu-system-x86_64 not found (Debian package qemu-system-x86)"

initrd=$XT_BUILD/initrd-$mode-$$.cpio.gz
trap 'rm -f "$initrd"' EXIT
if [[ $run_cpio == - ]]; then
	cp "$XT_BUILD/dom0.cpio.gz" "$initrd"
else
	cat "$XT_BUILD/dom0.cpio.gz" "$run_cpio" >"$initrd"
fi

mem=${XT_QEMU_MEM:-2048}
# 768 MB: dom0's /tmp is its RAM (rootfs), and holds the run's archive (about 70 MB),
# the guests' disks and, for save/restore tests, a whole guest image; with 512 MB a
# save late in the full suite failed with ENOSPC.
dom0_mem=${XT_DOM0_MEM:-768M}
# smap=0: a PV dom0 dies at its first bounce frame with SMAP under emulated SVM.
# bootscrub=0: QEMU's RAM is already zero; scrubbing 2 GB under TCG takes seconds.
xen_args="console=com1 com1=115200,8n1 smap=0 dom0_mem=$dom0_mem,max:$dom0_mem"
# tdt=0: Xen's TSC-deadline LAPIC timer under QEMU TCG lost a wake-up now and then: with
# every domain idle the whole machine then slept forever (seen with a guest sleeping 1 ms
# at a time). The plain LAPIC timer has not.
xen_args+=" dom0_max_vcpus=1 bootscrub=0 tdt=0 loglvl=all guest_loglvl=all ${XT_XEN_ARGS:-}"
# No commas in here: QEMU splits -initrd on them. panic=1 turns a dom0 panic into a
# reboot, which Xen turns into a machine reboot, which -no-reboot turns into QEMU's exit.
dom0_args="console=hvc0 earlyprintk=xen quiet panic=1 xt.mode=$mode ${XT_DOM0_ARGS:-}"
[[ $dom0_args != *,* ]] || xt_die "dom0 arguments must not contain commas: $dom0_args"

# -cpu max without XSAVE (and so without AVX): with it, dom0's processes crash now and
# then (heap and TLS pointers read back as zero) while an HVM/PVH guest runs: extended
# FPU state is lost across Xen's world switches under TCG. Seen 1-4 dom0 segfaults in 3
# xenstore-test guests with XSAVE on, none in 15 without; PCID, INVPCID, FSGSBASE, AVX
# alone and Xen's asid=0 made no difference.
cpu=${XT_QEMU_CPU:-max,-xsave,-xsaveopt,-xgetbv1,-avx,-avx2,-fma,-f16c,-vaes}
qemu=(qemu-system-x86_64 -accel tcg -machine q35 -cpu "$cpu" -smp 1 -m "$mem"
	${XT_QEMU_PIDFILE:+-pidfile "$XT_QEMU_PIDFILE"}
	-nodefaults -no-reboot -nographic
	-kernel "$XT_BUILD/xen" -append "$xen_args"
	-initrd "$XT_BUILD/linux/vmlinux $dom0_args,$initrd")

if [[ $serial == - ]]; then
	# Ctrl-] is QEMU's escape key here, so that Ctrl-A reaches Xen (its console switch).
	"${qemu[@]}" -echr 0x1d -serial mon:stdio
	exit
fi
# The serial port is a "pipe" chardev: output to SERIAL (through the PREFIX.out link),
# input from the FIFO PREFIX.in, through which follow.sh sends Xen's debug keys when a
# run hangs (QEMU opens both read-write, so neither open blocks).
prefix=${serial%.log}
rm -f "$prefix.in" "$prefix.out"
mkfifo "$prefix.in"
: >"$serial"
[[ $prefix.out -ef $serial ]] || ln -s "$(basename "$serial")" "$prefix.out"
chardev=(-chardev "pipe,id=ser0,path=$prefix" -serial chardev:ser0)
if ((limit > 0)); then
	timeout -k 5 "$limit" "${qemu[@]}" "${chardev[@]}" </dev/null
else
	"${qemu[@]}" "${chardev[@]}" </dev/null
fi
