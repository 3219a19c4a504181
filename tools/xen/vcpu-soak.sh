#!/usr/bin/env bash
# Write a manifest for a VCPU hotplug soak: one guest (tests/apps/vcpuhotplug, 4 of 8
# VCPUs, a workload running all along) through N cycles of xl vcpu-set 1 and back to
# 4 (tests/xen/hotplug/vcpu-cycles); the app checks every offline and online and the
# workload's exact sum at the end (make soak-vcpu). Not CI.
#
#   tools/xen/vcpu-soak.sh N > soak.manifest
set -euo pipefail
n=${1:?usage: $0 CYCLES}
((n >= 1 && n <= 500)) || { echo "$0: 1 to 500 cycles" >&2; exit 2; }
cat <<EOM
guest vcpu-soak-$n
  kernel   build/tests/vcpuhotplug.elf
  cmdline  cycles $n
  xl       vcpus = 4
  xl       maxvcpus = 8
  timeout  $((120 + n * 60))
  tool     tests/xen/hotplug/vcpu-cycles
  tool     tests/xen/hotplug/vcpus-running
  wait     vcpu-test: ready with 4 online
  run      /xt/bin/vcpu-cycles $n
  expect   poweroff
  marker   vcpu-test: cycle $n: 4 online: 4 workers each on its own vcpu, sum 800000
  marker   vcpu-test: workload:
  marker   vcpu-test: all ok
  absent   FAIL
  absent   cannot bring vcpu
  absent   did not go offline
  absent   could not go down
  absent   still runs it
EOM
