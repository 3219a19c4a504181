#!/usr/bin/env bash
# The nested Xen suite: boot real Xen + dom0 once under QEMU and run every guest of a
# manifest with xl create, one after the other.
#
#   tools/xen/suite.sh [MANIFEST] [GUEST...]     (default MANIFEST: tests/xen/manifest)
#
# Environment: XT_SKIP_MISSING=1 reports guests whose kernel is not built as skipped
# instead of failed; XT_BOOT_LIMIT (s, default 240) is the fixed part of the wall-clock
# limit. Logs stay in build/xen/suite-MANIFEST/ (serial.log, logs/NAME.*.log).
# Ends with "N passed, N failed[, N skipped]"; exit status 0 only if none failed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$XT_TOOLS/plan.sh"
source "$XT_TOOLS/follow.sh"

manifest=${1:-$XT_ROOT/tests/xen/manifest}
(($# == 0)) || shift
name=$(basename "$manifest" | tr -c 'A-Za-z0-9_-' _)
rundir=$XT_BUILD/suite-${name%_}

t0=$EPOCHREALTIME
"$XT_TOOLS/build.sh"
t_build=$(xt_since "$t0")
xt_plan "$manifest" "$rundir" "$@"
xt_pack "$rundir"
xt_log "manifest $(basename "$manifest"): ${#XT_GUESTS[@]} guest(s); packages and initramfs ${t_build} s, guest archive $(du -h "$rundir/run.cpio.gz" | cut -f1)"
for n in "${XT_GUESTS[@]}"; do
	case ${XT_STATUS[$n]:-} in
	SKIP | FAIL) printf '[xen] %s %-24s %-22s %s\n' "${XT_STATUS[$n]}" "$n" - "${XT_WHY[$n]}" >&2 ;;
	esac
done

xt_follow suite "$rundir"

pass=0 fail=0 skip=0
for n in "${XT_GUESTS[@]}"; do
	case ${XT_STATUS[$n]} in
	PASS) pass=$((pass + 1)) ;; SKIP) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;;
	esac
done
if [[ -n ${XT_T[total]:-} ]]; then
	xt_log "timings: build ${t_build} s; QEMU: Xen banner ${XT_T[xen]:-?} s, dom0 kernel ${XT_T[dom0_kernel]:-?} s, dom0 ready ${XT_T[ready]:-?} s, all done ${XT_T[total]} s"
fi
((fail == 0)) || xt_log "logs: $rundir/serial.log, $rundir/logs/"
summary="$pass passed, $fail failed"
((skip == 0)) || summary+=", $skip skipped"
echo "$summary"
((fail == 0))
