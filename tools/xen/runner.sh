#!/bin/sh
# dom0 side of the nested Xen suite (busybox sh; $1, the mode, is not used yet).
# Not part of dom0's initramfs (so editing it rebuilds nothing): the host puts it in each
# run's archive as /xt/runner.sh, next to /xt/plan, /xt/cfg/NAME.cfg (xl configs) and
# /xt/k/ (guest kernels). dom0's /init runs it once the toolstack is up.
#
# /xt/plan is the manifest as the host normalised it (tests/xen/README.md): one directive
# a line, "KEYWORD REST", a "guest NAME" line opening each block and "end" closing it:
#   timeout S | expect REASON | reboots N | disk VDEV BYTES FILL |
#   wait TEXT | run CMD | after CMD | marker TEXT | absent TEXT | paused 1
#
# It reports to the host on the console (hvc0 -> Xen -> serial), one "@@XT ..." line
# per event, so the host can follow along and survive a crash at any point:
#   @@XT START NAME                 @@XT LOG NAME|console line
#   @@XT OUT NAME|check output      @@XT DMESG NAME|xl dmesg line (on failure)
#   @@XT RESULT NAME PASS|FAIL SECONDS CREATE_SECONDS OUTCOME [REASON...]
# SECONDS: xl create to the domain gone (and checks done); CREATE_SECONDS: xl create to
# the domain running ("-" if it never did).
# OUTCOME: how the domain ended: poweroff reboot suspend crash watchdog soft_reset,
# running (alive after its steps, destroyed as expected), timeout, destroyed, nodomain.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
export XT_RUNNER_PID=$$   # for checks that test the harness itself (kill -STOP it)

tick=0.2
up() { read -r _u _ </proc/uptime; echo "$_u"; }
# secs_since T0: elapsed seconds (one decimal) since uptime T0
secs_since() { awk -v a="$1" -v b="$(up)" 'BEGIN{printf "%.1f", b-a}'; }
# past DEADLINE: uptime has reached DEADLINE (both in seconds, fractional)
past() { awk -v d="$1" -v n="$(up)" 'BEGIN{exit !(n >= d)}'; }

# ---- console streaming: complete new lines of the console log go to the host ----
sent=0
stream() {  # stream NAME LOG [final]
	[ -f "$2" ] || return 0
	if [ "$3" = final ]; then
		awk -v a="$sent" -v p="@@XT LOG $1|" 'NR>a {sub(/\r$/, ""); print p $0}' "$2"
		return
	fi
	_n=$(wc -l <"$2")
	[ "$_n" -gt "$sent" ] || return 0
	awk -v a="$sent" -v b="$_n" -v p="@@XT LOG $1|" \
		'NR>a && NR<=b {sub(/\r$/, ""); print p $0}' "$2"
	sent=$_n
}

# ---- the fate of the domain, from xl create -F's output ----
# shutdown reason codes (libxl_shutdown_reason): 0 poweroff, 1 reboot, 2 suspend,
# 3 crash, 4 watchdog, 5 soft_reset.
reason_name() {
	case $1 in
	0) echo poweroff ;; 1) echo reboot ;; 2) echo suspend ;; 3) echo crash ;;
	4) echo watchdog ;; 5) echo soft_reset ;; *) echo "code$1" ;;
	esac
}
# xl_state: sets domid, ncodes (shutdowns seen), last (last code), nreboots
xl_state() {
	domid='' ncodes=0 last='' nreboots=0
	while read -r _l; do
		case $_l in
		"Waiting for domain "*"(domid "*)
			domid=${_l#*(domid }; domid=${domid%%)*} ;;
		"Domain "*" has shut down, reason code "*)
			_c=${_l#*reason code }; _c=${_c%% *}
			ncodes=$((ncodes + 1)); last=$_c
			[ "$_c" = 1 ] && nreboots=$((nreboots + 1)) ;;
		esac
	done <"$G/xl.out"
}
# alive: xl create -F still runs (a zombie counts as gone; read is a builtin: no fork)
alive() {
	[ -n "$xlpid" ] && read -r _ _ _st _ 2>/dev/null <"/proc/$xlpid/stat" && [ "$_st" != Z ]
}
destroy() {
	xl destroy "$name" >>"$G/out" 2>&1
	kill "$xlpid" 2>/dev/null
	wait "$xlpid" 2>/dev/null
}
# wait_end DEADLINE: wait for the domain's fate. Ends early once xl reports a shutdown
# that will not be followed by a restart (suspend keeps the domain around: destroy it).
wait_end() {
	while alive; do
		stream "$name" "$log"
		xl_state
		if [ "$ncodes" -gt 0 ] && { [ "$last" != 1 ] || [ "$nreboots" -gt "$reboots" ]; }; then
			# give xl a moment to finish its own clean-up, then make sure
			_i=0
			while alive && [ $_i -lt 25 ]; do sleep $tick; _i=$((_i + 1)); done
			alive && destroy
			return 0
		fi
		past "$1" && return 1
		sleep $tick
	done
	return 0
}

fail() { [ -n "$why" ] || why="$*"; }

# run_check KIND CMD: run a dom0-side check with the guest's environment, bounded by the
# guest's deadline. Output goes to the host as OUT lines.
run_check() {
	_left=$(awk -v d="$deadline" -v n="$(up)" 'BEGIN{l=int(d-n); print (l < 1 ? 1 : l)}')
	echo "$1: $2" >>"$G/out"
	echo "@@XT OUT $name|\$ $2"
	(cd "$G" && timeout "$_left" sh -c "$2") </dev/null >"$G/check.out" 2>&1
	_rc=$?
	sed "s/^/@@XT OUT $name|/" "$G/check.out"
	cat "$G/check.out" >>"$G/out"
	[ $_rc -eq 0 ] || fail "$1 check failed (exit $_rc): $2"
	return $_rc
}

# ---- one guest: its plan lines are in $G/steps ----
run_guest() {
	G=/tmp/xt/$name
	log=/var/log/xen/console/guest-$name.log
	rm -f "$log"
	sent=0 why='' xlpid=''
	for _v in $(env | sed -n 's/^\(DISK_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$_v"; done
	export NAME=$name GUEST_DIR=$G CONSOLE=$log DOMID=
	xl dmesg -c >/dev/null 2>&1   # so that a failure's dmesg tail is about this guest
	echo "@@XT START $name"
	t0=$(up)
	deadline=$(awk -v a="$t0" -v t="$timeout" 'BEGIN{print a + t}')

	# Disks first (tmpfs files; the block hotplug script loop-mounts them).
	mkdir -p /tmp/disks
	while read -r key a b c; do
		[ "$key" = disk ] || continue
		f=/tmp/disks/$name-$a.img
		rm -f "$f"
		case $c in
		pattern) yes xenolith-disk-pattern | head -c "$b" >"$f" ;;
		*) truncate -s "$b" "$f" ;;
		esac
		export "DISK_$a=$f"
	done <"$G/steps"

	# "paused": created paused, for a step to set things up and run xl unpause.
	_paused=
	grep -q '^paused' "$G/steps" && _paused=-p
	xl create -F $_paused "/xt/cfg/$name.cfg" </dev/null >"$G/xl.out" 2>&1 &
	xlpid=$!
	# Until xl says the domain runs (or gives up).
	while alive; do
		xl_state
		[ -n "$domid" ] && break
		past "$deadline" && break
		sleep $tick
	done
	xl_state
	export DOMID=$domid
	created=-
	[ -n "$domid" ] && created=$(secs_since "$t0")
	outcome=nodomain
	if [ -z "$domid" ]; then
		alive && { fail "timeout: xl create did not finish in ${timeout}s"; destroy; }
		fail "xl create failed: $(grep -v '^Parsing config' "$G/xl.out" | tail -n 3 | tr '\n' ' ')"
	fi

	# Steps while the guest lives: wait for console text, run checks, in order.
	if [ -z "$why" ]; then
		while read -r key rest; do
			case $key in
			wait)
				until grep -qF -- "$rest" "$log" 2>/dev/null; do
					stream "$name" "$log"
					if ! alive; then
						grep -qF -- "$rest" "$log" 2>/dev/null ||
							fail "domain ended before '$rest' appeared"
						break
					fi
					past "$deadline" && { fail "timeout: waited ${timeout}s for '$rest'"; break; }
					sleep $tick
				done ;;
			run) run_check live "$rest" ;;
			esac
			[ -n "$why" ] && break
		done <"$G/steps"
	fi

	if [ -n "$domid" ] && [ -z "$why" ] && [ "$expect" = running ]; then
		if alive; then
			destroy
			outcome=running
		else
			xl_state; outcome=$(reason_name "$last")
		fi
	elif [ -n "$domid" ]; then
		timed_out=
		if [ -n "$why" ]; then
			alive && destroy           # a failed step: no need to wait for the end
		elif ! wait_end "$deadline"; then
			fail "timeout: still running after ${timeout}s"
			timed_out=1
			destroy
		fi
		xl_state
		if [ "$ncodes" -gt 0 ]; then
			outcome=$(reason_name "$last")
		elif [ -n "$timed_out" ]; then
			outcome=timeout
		else
			outcome=destroyed
		fi
	fi
	stream "$name" "$log" final
	# A leftover domain would make the next create with this name fail.
	xl domid "$name" >/dev/null 2>&1 && xl destroy "$name" >/dev/null 2>&1

	if [ -z "$why" ]; then
		[ "$outcome" = "$expect" ] || fail "shutdown: expected $expect, got $outcome"
		[ "$nreboots" -eq "$reboots" ] || [ "$expect" = reboot ] ||
			fail "expected $reboots reboot(s), saw $nreboots"
	fi
	# Console markers, then checks after the end.
	while read -r key rest; do
		case $key in
		marker) grep -qF -- "$rest" "$log" 2>/dev/null || fail "marker missing: '$rest'" ;;
		absent) grep -qF -- "$rest" "$log" 2>/dev/null && fail "unwanted marker present: '$rest'" ;;
		after) [ -z "$why" ] && run_check after "$rest" ;;
		esac
	done <"$G/steps"

	secs=$(secs_since "$t0")
	if [ -z "$why" ]; then
		echo "@@XT RESULT $name PASS $secs $created $outcome"
	else
		xl dmesg 2>/dev/null | tail -n 40 | sed "s/^/@@XT DMESG $name|/"
		sed "s/^/@@XT XL $name|/" "$G/xl.out"
		echo "@@XT RESULT $name FAIL $secs $created $outcome $why"
	fi
	rm -f /tmp/disks/"$name"-*.img
}

# ---- read the plan, one guest block at a time ----
[ -f /xt/plan ] || { echo "@@XT DOM0-FAIL no /xt/plan"; exit 1; }
echo "@@XT PLAN $(grep -c '^guest ' /xt/plan)"
while read -r key rest <&3; do
	case $key in
	guest)
		name=$rest timeout=30 expect=poweroff reboots=0
		mkdir -p "/tmp/xt/$name"
		: >"/tmp/xt/$name/steps" ;;
	timeout) timeout=$rest ;;
	expect) expect=$rest ;;
	reboots) reboots=$rest ;;
	end) run_guest </dev/null ;;
	'' | '#'*) ;;
	*) echo "$key $rest" >>"/tmp/xt/$name/steps" ;;
	esac
done 3</xt/plan
