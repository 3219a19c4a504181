#!/usr/bin/env bash
# Run one xenolith image as a Xen PVH guest, its console on this terminal.
#
#   tools/run.sh ELF ['xl config line'...]
#   e.g. tools/run.sh build/hello.elf 'memory = 64' 'cmdline = "a b c"'
#
# In a real dom0 (xl works here): xl create -F -c with a generated config.
# Anywhere else: boots the nested Xen harness (tools/xen/, QEMU TCG) with this one guest
# and streams its console live; the run ends when the guest does.
# Exit status: 0 poweroff, 1 crash, 2 reboot, 3 suspend (or other shutdown), 124 timeout,
# 125 the guest could not be started or the harness failed.
# XT_RUN_TIMEOUT (seconds, default 600) bounds the guest's life under the harness.
set -euo pipefail

elf=${1:?usage: tools/run.sh ELF ['xl config line'...]}
shift
[[ -f $elf ]] || { echo "run.sh: $elf not found" >&2; exit 125; }
name=$(basename "$elf" .elf)

status_of() {  # outcome -> exit status
	case $1 in
	poweroff) echo 0 ;; crash) echo 1 ;; reboot) echo 2 ;; timeout) echo 124 ;;
	suspend | watchdog | soft_reset) echo 3 ;; *) echo 125 ;;
	esac
}

# ---- in a dom0: xl directly ----
if [[ -e /dev/xen/privcmd || -e /proc/xen/privcmd ]] && command -v xl >/dev/null &&
	xl info >/dev/null 2>&1; then
	cfg=$(mktemp)
	out=$(mktemp)
	trap 'rm -f "$cfg" "$out"' EXIT
	{
		echo "name = \"$name\""
		echo 'type = "pvh"'
		echo "kernel = \"$(realpath "$elf")\""
		echo 'memory = 32'
		echo 'vcpus = 1'
		for k in on_poweroff on_reboot on_crash; do echo "$k = \"destroy\""; done
		printf '%s\n' "$@"   # later lines override earlier ones in xl's parser
	} >"$cfg"
	# -F: stay until the domain is gone and say why it went; xl's own messages go to
	# $out, the console (xenconsole, attached by -c) to the terminal.
	xl create -F -c "$cfg" 2>"$out" || true
	code=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' "$out" | tail -n1)
	case $code in
	0) outcome=poweroff ;; 1) outcome=reboot ;; 2) outcome=suspend ;; 3) outcome=crash ;;
	'') cat "$out" >&2; outcome=none ;; *) outcome=other ;;
	esac
	echo "[run] $name: $outcome" >&2
	exit "$(status_of "$outcome")"
fi

# ---- anywhere else: the nested harness with a one-guest manifest ----
source "$(dirname "$0")/xen/common.sh"
source "$XT_TOOLS/plan.sh"
source "$XT_TOOLS/follow.sh"
rundir=$XT_BUILD/run
mkdir -p "$rundir"
case $elf in /*) kpath=$elf ;; *) kpath=$(realpath "$elf") ;; esac
{
	echo "guest $name"
	echo "kernel $kpath"
	echo "timeout ${XT_RUN_TIMEOUT:-600}"
	for l in "$@"; do echo "xl $l"; done
} >"$rundir/manifest"
"$XT_TOOLS/build.sh"
xt_plan "$rundir/manifest" "$rundir"
xt_pack "$rundir"
xt_follow run "$rundir"
outcome=${XT_OUTCOME[$name]:-none}
case $outcome in
poweroff | crash | reboot | suspend | watchdog | soft_reset) ;;
*) echo "[run] ${XT_WHY[$name]:-}" >&2 ;;
esac
echo "[run] $name: $outcome after ${XT_SECS[$name]:-?} s (logs: $rundir/)" >&2
exit "$(status_of "$outcome")"
