#!/usr/bin/env bash
# Block I/O benchmark: xenolith's blkfront against the Linux PVH peer's, on the same
# nested Xen, dom0, blkback and disk size, one after the other in one boot. Sequential
# 1 MiB and random 4 KiB reads and writes at queue depth 1 and 32, SECONDS each.
# Prints a table with ratios; numbers are reported, never asserted.
#
#   bench/blk.sh [SECONDS]        (default 5; B=build dir, default build)
#
# The Linux side runs bench/blk-linux.c (O_DIRECT + native AIO), built static here and
# appended to the peer's initramfs as /bin/blk-linux (the kernel unpacks concatenated
# cpio archives in turn), with /etc/init.d/blkbench.sh giving its init a blk_bench command.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
secs=${1:-5}
out=$B/bench
xt_build=${XT_BUILD:-build/xen}

make -s B="$B" "$B/tests/blkbench.elf"
tools/xen/build.sh >/dev/null # the peer's kernel and initramfs
rm -rf "$out/tree"
mkdir -p "$out/tree/bin" "$out/tree/etc/init.d"
gcc -O2 -Wall -Wextra -Werror -static -o "$out/tree/bin/blk-linux" bench/blk-linux.c
cat >"$out/tree/etc/init.d/blkbench.sh" <<'SH'
# blk_bench DEV SECS: bench/blk-linux.c on /dev/DEV once the disk is connected.
blk_bench() { wait_disk "$1" && /bin/blk-linux "/dev/$1" "$2"; }
SH
# One gzip stream holding both archives: libxc sizes a gzip ramdisk from its trailer.
(cd "$out/tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out/extra.cpio"
{ zcat "$xt_build/linux/initrd.cpio.gz"; cat "$out/extra.cpio"; } | gzip -1 >"$out/linux-initrd.cpio.gz"

timeout=$((secs * 8 + 150))
sed -e "s|@B@|$B|g" -e "s|@SECS@|$secs|g" -e "s|@TIMEOUT@|$timeout|g" \
	-e "s|@RAMDISK@|$out/linux-initrd.cpio.gz|g" bench/blkbench.manifest >"$out/blkbench.manifest"
echo "bench: tools/xen/suite.sh $out/blkbench.manifest  ($secs s per test)"
tools/xen/suite.sh "$out/blkbench.manifest" || true

logs=$xt_build/suite-blkbench_manifest/logs
x=$logs/blkbench-xenolith.console.log l=$logs/blkbench-linux.console.log
grep -h 'blk-bench: ' "$x" "$l" 2>/dev/null | sed 's/\r$//'
echo
awk '
function key(line) { match(line, /(seq|rand)-(read|write) qd[0-9]+/); return substr(line, RSTART, RLENGTH) }
function val(line, rnd) {
	if (rnd) { match(line, /[0-9.]+ IOPS/) } else { match(line, /[0-9.]+ MB\/s/) }
	split(substr(line, RSTART, RLENGTH), v, " "); return v[1]
}
/blk-bench: (xenolith|linux) (seq|rand)-/ {
	sub(/\r$/, "")
	k = key($0); rnd = ($0 ~ /rand-/)
	if (!(k in seen)) { seen[k] = 1; order[++n] = k; unit[k] = rnd ? "IOPS" : "MB/s" }
	if ($0 ~ /xenolith/) xv[k] = val($0, rnd); else lv[k] = val($0, rnd)
}
END {
	printf "| %-18s | %-6s | %10s | %10s | %16s |\n", "test", "unit", "xenolith", "linux", "xenolith / linux"
	printf "|%s|%s|%s|%s|%s|\n", "--------------------", "--------", "------------", "------------", "------------------"
	for (i = 1; i <= n; i++) {
		k = order[i]; r = (lv[k] > 0 && xv[k] != "") ? sprintf("%.2f", xv[k] / lv[k]) : "-"
		bs = (k ~ /seq/) ? " 1M" : " 4K"
		printf "| %-18s | %-6s | %10s | %10s | %16s |\n", k bs, unit[k], xv[k] == "" ? "-" : xv[k], lv[k] == "" ? "-" : lv[k], r
	}
}' "$x" "$l"
