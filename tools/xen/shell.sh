#!/usr/bin/env bash
# Boot the nested Xen harness into an interactive dom0 shell on this terminal.
#
#   tools/xen/shell.sh [MANIFEST [GUEST...]]    (default: tests/xen/manifest, all guests)
#
# The manifest's guests are staged as in a suite run, but nothing is started:
#   xl create -c /xt/cfg/NAME.cfg     start one, console attached (Ctrl-] leaves it)
#   /xt/runner.sh                      run the whole plan as the suite would
#   xl list / xl dmesg / xenstore-ls   look around; logs in /var/log/xen/console/
# Keys: Ctrl-A three times switches the serial input between dom0 and Xen (debug keys,
# 'h' for help); Ctrl-] x quits QEMU; 'poweroff -f' ends it cleanly.
# Guests whose kernel is not built are left out.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$XT_TOOLS/plan.sh"

manifest=${1:-$XT_ROOT/tests/xen/manifest}
(($# == 0)) || shift
rundir=$XT_BUILD/shell
"$XT_TOOLS/build.sh"
XT_SKIP_MISSING=1 xt_plan "$manifest" "$rundir" "$@"
xt_pack "$rundir"
staged=$(cd "$rundir/tree/xt/cfg" && ls | sed 's/\.cfg$//' | tr '\n' ' ')
xt_log "staged guests (xl create -c /xt/cfg/NAME.cfg): ${staged:-none}"
xt_log "Ctrl-] x quits QEMU; Ctrl-A three times switches to Xen's console"
exec "$XT_TOOLS/boot.sh" shell "$rundir/run.cpio.gz" -
