# shellcheck shell=bash disable=SC2034
# Boot the harness and follow dom0's "@@XT" reports on the serial log as they come
# (sourced by suite.sh and run.sh; needs common.sh and plan.sh, after xt_plan).
#
# xt_follow MODE RUNDIR
#   MODE suite: results are printed as they come, a failed guest's console log, checks,
#               and xl dmesg tail right under its FAIL line.
#   MODE run:   the (single) guest's console is streamed to the terminal live.
#   Fills XT_STATUS/XT_WHY/XT_SECS/XT_OUTCOME for every guest in XT_GUESTS; a guest that
#   never reported (Xen or dom0 crashed, or the whole run hung) gets FAIL with the reason.
#   Logs: RUNDIR/serial.log (everything), RUNDIR/logs/NAME.{console,checks,xl,dmesg}.log

declare -A XT_SECS=() XT_OUTCOME=() XT_CREATE=()
declare -A XT_T=()   # milestones, seconds after QEMU started

xt_follow() {
	local mode=$1 rundir=$2 n todo=0 limit
	local serial=$rundir/serial.log logs=$rundir/logs
	mkdir -p "$logs"
	rm -f "$serial" "$logs"/*.log "$rundir/qemu.pid"
	# Wall-clock limit for the whole boot: the fixed cost, generously, plus each guest's
	# own timeout and some slack for its disks and checks. A hang anywhere ends here at
	# the latest; the watchdog below usually ends it much sooner.
	# The sum is capped by the suite's budget (XT_SUITE_LIMIT, seconds): a run of many
	# slow guests then ends with the rest reported FAIL and a summary, inside CI's time.
	limit=${XT_BOOT_LIMIT:-240}
	for n in "${XT_GUESTS[@]}"; do
		[[ -z ${XT_STATUS[$n]:-} ]] || continue
		todo=$((todo + 1))
		limit=$((limit + XT_TIMEOUT[$n] + 20))
	done
	((todo)) || return 0
	_capped=""
	if ((limit > ${XT_SUITE_LIMIT:-2700})); then
		limit=${XT_SUITE_LIMIT:-2700}
		_capped=" (the suite's budget, XT_SUITE_LIMIT)"
	fi

	_t0=$EPOCHREALTIME _mode=$mode _logs=$logs _cur="" _done=0 _panic="" _killed="" _warns=0
	XT_QEMU_PIDFILE=$rundir/qemu.pid "$XT_TOOLS/boot.sh" "$mode" "$rundir/run.cpio.gz" \
		"$serial" "$limit" &
	local qpid=$!
	local part pending="" rc t_cur=0 t_line=$EPOCHREALTIME t_nudge=0
	_nudges=0 _nudged=""
	# Read the serial log as it grows. read -t lets the watchdog run while nothing comes;
	# a line cut by the timeout is kept and completed by the next read.
	while :; do
		rc=0
		IFS= read -r -t 2 part || rc=$?
		if ((rc == 0)); then
			_xt_line "$pending$part"
			pending=""
			t_line=$EPOCHREALTIME
			[[ ${_cur} == "${_cur_seen:-}" ]] || { _cur_seen=$_cur; t_cur=$EPOCHREALTIME; }
			continue
		fi
		if ((rc <= 128)); then   # end of file: QEMU is gone
			[[ -z $pending$part ]] || _xt_line "$pending$part"
			break
		fi
		pending+=$part
		# Watchdog: dom0 never got ready, or stopped reporting during a guest (its own
		# timeout runs inside dom0, so silence well past it means dom0 is stuck).
		local now_s=${EPOCHREALTIME%.*} why=""
		if [[ -z ${XT_T[ready]:-} ]] && ((now_s - ${_t0%.*} > ${XT_READY_LIMIT:-180})); then
			why="dom0 not ready after ${XT_READY_LIMIT:-180}s"
		elif [[ -n $_cur ]] && ((now_s - ${t_cur%.*} > XT_TIMEOUT[$_cur] + ${XT_STALL_SLACK:-60})); then
			why="dom0 stopped reporting (guest timeout ${XT_TIMEOUT[$_cur]}s + ${XT_STALL_SLACK:-60}s)"
		fi
		# Xen under TCG can lose its own LAPIC timer interrupt with every domain idle, and
		# then the whole machine sleeps ("Platform timer appears to have unexpectedly
		# wrapped" when it wakes). Any serial interrupt wakes it: after 10 s of silence, switch
		# Xen's serial input to Xen and back (Xen prints two lines; dom0 gets no input).
		if [[ -z $why && -z $_killed && -n $_cur ]] &&
			((now_s - ${t_line%.*} > ${XT_NUDGE_AFTER:-10} && now_s - ${t_nudge%.*} > ${XT_NUDGE_AFTER:-10})); then
			t_nudge=$EPOCHREALTIME
			((_nudges++)) || true
			[[ " $_nudged " == *" $_cur "* ]] || _nudged+=" $_cur"
			_xt_nudge "${serial%.log}.in" &
		fi
		if [[ -n $why && -z $_killed ]]; then
			_killed=$why
			xt_log "watchdog: $why: asking Xen for its state (debug keys), then stopping QEMU"
			_xt_debug_keys "${serial%.log}.in" "$rundir/qemu.pid" &
		fi
	done < <(tail -n +1 -s 0.2 -F --pid="$qpid" "$serial" 2>/dev/null)
	rc=0
	wait "$qpid" || rc=$?
	((_nudges == 0)) || xt_log "watchdog: Xen nudged $_nudges time(s) after ${XT_NUDGE_AFTER:-10}s of serial silence, during:$_nudged"
	XT_T[total]=$(awk -v a="$_t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')

	local why
	if ((_done)); then
		# dom0 finished: a guest without a result had its report line garbled on the way.
		for n in "${XT_GUESTS[@]}"; do
			[[ -z ${XT_STATUS[$n]:-} ]] || continue
			XT_STATUS[$n]=FAIL XT_WHY[$n]="no result line seen"
			if ((_warns)); then
				XT_WHY[$n]+=" (dom0's runner crashed? see the dom0 warnings above)"
			else
				XT_WHY[$n]+=" (garbled serial output?)"
			fi
			[[ $mode == run ]] || xt_report "$n" "$logs"
		done
		return 0
	fi
	# The boot ended early: every guest without a result fails, with the reason.
	if [[ -n $_killed ]]; then
		why="hang: $_killed"
	elif ((rc == 124)); then
		why="harness timeout: QEMU killed after ${limit}s$_capped"
	elif [[ -n $_panic ]]; then
		why="Xen or dom0 crashed: $_panic"
	else
		why="QEMU exited (status $rc) before dom0 finished"
	fi
	xt_log "the boot ended without finishing the plan: $why"
	xt_log "last lines of $serial:"
	grep -av '@@XT LOG ' "$serial" | tail -n 40 | sed 's/\r*$//; s/^/    | /' >&2 || true
	for n in "${XT_GUESTS[@]}"; do
		[[ -z ${XT_STATUS[$n]:-} ]] || continue
		XT_STATUS[$n]=FAIL
		if [[ $n == "$_cur" ]]; then
			XT_WHY[$n]="$why (while this guest ran)"
		else
			XT_WHY[$n]="$why (before this guest ran)"
		fi
		[[ $mode == run ]] || xt_report "$n" "$logs"
	done
	return 0
}

# _xt_line LINE: one line of the serial log (state in the _xt globals of xt_follow).
_xt_line() {
	local line=$1 l name rest kind
	while [[ $line == *$'\r' ]]; do line=${line%$'\r'}; done   # Xen and hvc add \r
	if [[ $line != *"@@XT "* ]]; then
		# Milestones and trouble in Xen's and dom0's own output ("(dN)" lines are a
		# guest's, through Xen's debug console: never a reason to blame Xen or dom0).
		case $line in
		"(d"[0-9]*) ;;
		*"Xen version "*) [[ -n ${XT_T[xen]:-} ]] || _xt_stamp xen ;;
		*"Linux version "*) [[ -n ${XT_T[dom0_kernel]:-} ]] || _xt_stamp dom0_kernel ;;
		*"Panic on CPU"* | *"Kernel panic"* | *"Hardware Dom0 crashed"* | \
			*"Reboot in five seconds"* | *"general protection fault"* | *"BUG: "*)
			[[ -n $_panic ]] || _panic=$line ;;
		esac
		return 0
	fi
	l=${line#*@@XT }
	case $l in
	INIT*) _xt_stamp init ;;
	READY*)
		_xt_stamp ready
		xt_log "dom0 ready ${XT_T[ready]} s after QEMU start" \
			"(Xen banner ${XT_T[xen]:-?} s, dom0 kernel ${XT_T[dom0_kernel]:-?} s, /init ${XT_T[init]:-?} s)"
		if awk -v r="${XT_T[ready]}" 'BEGIN{exit !(r > 120)}'; then
			xt_log "WARNING: the fixed cost (QEMU start -> dom0 ready) is over 2 minutes"
		fi ;;
	"DOM0-FAIL "*) _panic="dom0 setup failed: ${l#DOM0-FAIL }" ;;
	"DOM0-WARN "*)
		# a process crashed in dom0 during the run (dmesg): the platform is not sound
		_warns=$((_warns + 1))
		xt_log "WARNING: dom0: ${l#DOM0-WARN }" ;;
	"START "*)
		_cur=${l#START }
		# a progress note on a terminal only (the result line overwrites it)
		if [[ $_mode == suite && -t 2 ]]; then
			printf '[xen] .... %-24s running\r' "$_cur" >&2
		fi ;;
	"LOG "*)
		rest=${l#LOG }; name=${rest%%|*}
		printf '%s\n' "${rest#*|}" >>"$_logs/$name.console.log"
		if [[ $_mode == run ]]; then printf '%s\n' "${rest#*|}"; fi ;;
	"OUT "* | "XL "* | "DMESG "*)
		kind=${l%% *}
		rest=${l#* }; name=${rest%%|*}
		case $kind in OUT) kind=checks ;; XL) kind=xl ;; DMESG) kind=dmesg ;; esac
		printf '%s\n' "${rest#*|}" >>"$_logs/$name.$kind.log"
		if [[ $_mode == run && $kind == checks ]]; then printf '[dom0] %s\n' "${rest#*|}"; fi ;;
	"RESULT "*)
		local res secs created outcome why
		read -r name res secs created outcome why <<<"${l#RESULT }"
		XT_STATUS[$name]=$res XT_SECS[$name]=$secs XT_OUTCOME[$name]=$outcome
		XT_CREATE[$name]=$created
		[[ $res == PASS ]] || XT_WHY[$name]=$why
		_cur=""
		if [[ $_mode != run ]]; then xt_report "$name" "$_logs"; fi ;;
	DONE*) _done=1 ;;
	esac
	return 0
}
# _xt_nudge FIFO: an interrupt for Xen without side effects (Ctrl-A three times, twice).
_xt_nudge() {
	[[ -p $1 ]] || return 0
	printf '\001\001\001' >"$1"
	sleep 1
	printf '\001\001\001' >"$1"
}

# _xt_debug_keys FIFO PIDFILE: a hung run's last words. Ctrl-A three times gives Xen the
# serial input; then r (run queues), q (domains and their VCPUs), d (registers: what
# each physical CPU runs), e (event channels). Xen answers unless it is itself stuck.
# Then QEMU is stopped.
_xt_debug_keys() {
	local fifo=$1 pidfile=$2 k
	if [[ -p $fifo ]]; then
		printf '\001\001\001' >"$fifo"
		for k in r q d; do
			sleep 2
			printf '%s' "$k" >"$fifo"
		done
		sleep 8
	fi
	[[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
	return 0
}

_xt_stamp() { XT_T[$1]=$(awk -v a="$_t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'); }

# xt_report NAME LOGDIR: one line per guest; on failure its logs under it.
xt_report() {
	local n=$1 logs=$2 f
	local t="${XT_SECS[$n]:--} s (create ${XT_CREATE[$n]:--})"
	if [[ ${XT_STATUS[$n]} == PASS ]]; then
		printf '[xen] PASS %-24s %-22s %s\n' "$n" "$t" "${XT_OUTCOME[$n]}" >&2
		return
	fi
	printf '[xen] FAIL %-24s %-22s %s\n' "$n" "$t" "${XT_WHY[$n]}" >&2
	# (the logs are a courtesy: nothing in here may stop the run under set -e)
	for f in console checks xl dmesg; do
		[[ -s $logs/$n.$f.log ]] || continue
		printf '    --- %s (%s) ---\n' "$f" "$logs/$n.$f.log" >&2
		if [[ $f == dmesg ]]; then
			# Xen's own lines only: not its HVM context chatter, nor the guest's
			# early console (dN) lines, which the console log has already shown.
			grep -av -e 'HVM[0-9]* restore:' -e 'HVM d[0-9v]* save:' -e '^(d[0-9]*) ' \
				"$logs/$n.$f.log" | tail -n 20 || true
		else
			tail -n 60 "$logs/$n.$f.log"
		fi | sed 's/^/    | /' >&2 || true
	done
	return 0
}
