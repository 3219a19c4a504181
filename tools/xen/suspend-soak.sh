#!/usr/bin/env bash
# Write a manifest for a save/restore soak: one guest (tests/apps/suspend, 4 VCPUs and
# a disk written all along) through N cycles, each an xl save + xl restore, then a
# checkpoint; every resume is checked by the app (make soak-suspend). Not CI.
#
#   tools/xen/suspend-soak.sh N > soak.manifest
set -euo pipefail
n=${1:?usage: $0 CYCLES}
((n >= 1 && n <= 500)) || { echo "$0: 1 to 500 cycles" >&2; exit 2; }
plan=$(printf 'n%.0s' $(seq "$n"))c
cat <<HEAD
guest suspend-soak-$n
  kernel   build/tests/suspend.elf
  cmdline  $plan blk
  xl       vcpus = 4
  disk     xvda 8M
  timeout  $((120 + n * 30))
  wait     suspend-test: ready
HEAD
for ((i = 1; i <= n; i++)); do
	printf '  save\n  restore\n  wait     suspend-test: resumed %d (new domain\n' "$i"
done
cat <<TAIL
  checkpoint
  expect   poweroff
  marker   suspend-test: all ok ($((n + 1)) suspends)
  marker   suspend-test: disk:
  absent   suspend-test: FAIL
TAIL
