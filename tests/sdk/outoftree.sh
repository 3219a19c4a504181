#!/usr/bin/env bash
# Build an app from a temporary directory outside the tree with the README's
# command, then boot it under QEMU. The ELF is kept as build/sdk/outoftree.elf
# for the nested Xen suite (guest "outoftree" in tests/xen/sdk.manifest).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/xenolith-app.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
app=$tmp/outoftree
mkdir -p "$app"
cat >"$app/main.c" <<'C'
#include <stdio.h>
#include <xenolith/thread.h>
#include "message.h"

int main(int argc, char **argv)
{
    printf("%s: %s, %d VCPU(s), %d argument(s)\n", argv[0], MESSAGE, xenolith_online_cpus(),
           argc - 1);
    return 0;
}
C
echo '#define MESSAGE "built outside the tree"' >"$app/message.h"

# The documented command, run from the app's own directory.
(cd "$app" && make --no-print-directory -C "$root" app APP="$app" B="$app/build") >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log"
    echo "sdk: FAIL: the out-of-tree build failed"
    echo "sdk: 0 passed, 1 failed"
    exit 1
}
mkdir -p "$root/build/sdk"
cp "$app/build/outoftree.elf" "$root/build/sdk/outoftree.elf"

timeout 60 qemu-system-x86_64 -accel tcg -machine q35 -m 64 -nodefaults -nographic -no-reboot \
    -serial "file:$tmp/console.log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -kernel "$app/build/outoftree.elf" -append "a b" </dev/null >/dev/null 2>&1 && rc=0 || rc=$?
if [ "$rc" = 1 ] && grep -qF "outoftree: built outside the tree, 1 VCPU(s), 2 argument(s)" "$tmp/console.log"; then
    echo "PASS out-of-tree app built by 'make -C <xenolith> app APP=<dir>' boots"
    echo "sdk: 1 passed, 0 failed"
else
    cat "$tmp/console.log"
    echo "FAIL out-of-tree app (QEMU status $rc)"
    echo "sdk: 0 passed, 1 failed"
    exit 1
fi
