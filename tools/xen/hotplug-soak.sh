#!/usr/bin/env bash
# Write a manifest for a device hotplug soak (make soak-hotplug): the nethotplug and
# blkhotplug guests of tests/xen/hotplug.manifest with N attach/detach cycles each
# instead of 10, and timeouts to match. Not CI.
#
#   tools/xen/hotplug-soak.sh N > soak.manifest
set -euo pipefail
n=${1:?usage: $0 CYCLES}
((n >= 1 && n <= 1000)) || { echo "$0: 1 to 1000 cycles" >&2; exit 2; }
cat <<EOT
guest nethotplug-soak-$n
  kernel   build/tests/nethotplug.elf
  cmdline  xenolith.ip=169.254.3.5/16 $n
  xl       vif = ["bridge=xenbr0,mac=00:16:3e:00:03:04"]
  timeout  $((120 + n * 30))
  tool     tests/xen/hotplug/net-cycles
  wait     nethotplug-test: ready
  run      /xt/bin/net-cycles $n
  expect   poweroff
  marker   nethotplug-test: cycle $n: detached
  marker   nethotplug-test: all ok
  absent   FAIL
  absent   still running

guest blkhotplug-soak-$n
  kernel   build/tests/blkhotplug.elf
  cmdline  $n
  timeout  $((120 + n * 30))
  tool     tests/xen/hotplug/blk-cycles
  wait     hotplug-test: ready
  run      /xt/bin/blk-cycles $n
  expect   poweroff
  marker   hotplug-test: cycle $n: detached
  marker   hotplug-test: all ok
  absent   FAIL
EOT
