#!/bin/sh
# The files test's archive, made with the README's command from a tree of fixed
# contents (so the nested Xen suite's markers can name their cksums):
#   mkarchive.sh OUT.cpio ROOT     ROOT is left behind for the QEMU test's comparisons
set -eu
out=$1
root=$2
rm -rf "$root"
mkdir -p "$root/etc" "$root/data" "$root/sub/dir"
printf 'hello from the initrd\n' >"$root/hello.txt"
printf 'message of the day\nsecond line\n' >"$root/etc/motd"
printf 'x' >"$root/etc/x"
awk 'BEGIN { for (i = 0; i < 30000; i++) printf "%08x\n", (i * 2654435761) % 4294967296 }' \
    >"$root/data/pattern.txt"
ln "$root/data/pattern.txt" "$root/data/link.txt"
: >"$root/empty"
printf 'deep\n' >"$root/sub/dir/deep.txt"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
