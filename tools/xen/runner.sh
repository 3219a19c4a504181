#!/bin/sh
# dom0 side of the nested Xen suite (busybox sh; $1, the mode, is not used yet).
# Not part of dom0's initramfs (so editing it rebuilds nothing): the host puts it in each
# run's archive as /xt/runner.sh, next to /xt/plan, /xt/cfg/NAME.cfg (xl configs) and
# /xt/k/ (guest kernels). dom0's /init runs it once the toolstack is up.
#
# /xt/plan is the manifest as the host normalised it (tests/xen/README.md): one directive
# a line, "KEYWORD REST", a "guest NAME" line opening each block and "end" closing it:
#   timeout S | expect REASON | reboots N | disk VDEV BYTES FILL |
#   wait TEXT | run CMD | after CMD | cleanup CMD | marker TEXT | absent TEXT | paused 1 |
#   save | restore | restore-paused | checkpoint | migrate | migrate-fail RECEIVER
#   (xl save, restore -F [-p], save -c, migrate to this host, a migration that
#   fails: see save_guest) | start virsh XML (virsh create instead of xl create:
#   see virsh_start)
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
	# After a migration the console also goes to guest-NAME--incoming.log: follow both.
	[ -n "$clog_in" ] && cat "$clog" "$clog_in" >"$log" 2>/dev/null
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
	[ -n "$virsh" ] && { virsh_state; return; }
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
	if [ -n "$polled" ]; then
		poll_state
		domid=$pdomid
		case $pstate in *s* | *c*) ncodes=$((ncodes + 1)) last=$preason ;; esac
	fi
}
# After a checkpoint there is no monitor (xl exits when its domain suspends, even
# for xl save -c): the state and the shutdown reason then come from xl list -v.
poll_state() {  # sets pstate (flags, empty: no such domain), preason, pdomid
	set -- $(xl list -v "$name" 2>/dev/null | awk 'NR == 2 {print $5, $8, $2}')
	pstate=${1:-} preason=${2:-} pdomid=${3:-}
}
# alive: the monitor (xl create -F / restore -F) still runs (a zombie counts as gone; read
# is a builtin: no fork), or, polled, the domain exists and has not shut down
alive() {
	[ -n "$virsh" ] && { virsh_alive; return; }
	if [ -n "$polled" ]; then
		poll_state
		case $pstate in '' | *s* | *c*) return 1 ;; esac
		return 0
	fi
	[ -n "$xlpid" ] && read -r _ _ _st _ 2>/dev/null <"/proc/$xlpid/stat" && [ "$_st" != Z ]
}
destroy() {
	[ -n "$virsh" ] && virsh destroy "$name" >>"$G/out" 2>&1
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

# run_cleanup CMD: put back what the guest's steps changed in dom0, whatever became of
# the guest (after checks are skipped once it failed). Bounded on its own, not by the
# guest's deadline, which may be gone.
run_cleanup() {
	echo "cleanup: $1" >>"$G/out"
	echo "@@XT OUT $name|\$ $1"
	(cd "$G" && timeout 30 sh -c "$1") </dev/null >"$G/check.out" 2>&1
	_rc=$?
	sed "s/^/@@XT OUT $name|/" "$G/check.out"
	cat "$G/check.out" >>"$G/out"
	[ $_rc -eq 0 ] || fail "cleanup failed (exit $_rc): $1"
}

# wait_domid: until the monitor says the domain runs (or gives up); sets domid
wait_domid() {
	while alive; do
		xl_state
		[ -n "$domid" ] && break
		past "$deadline" && break
		sleep $tick
	done
	xl_state
}

# ---- save and restore: the domain goes to $G/save.chk and comes back ----
# save: xl save; the monitor (xl create -F, or the last restore -F) must then end
# with the domain suspended (reason code 2).
save_guest() {
	xl save "$name" "$G/save.chk" >>"$G/out" 2>&1 ||
		{ fail "xl save failed: $(tail -n 2 "$G/out" | tr '\n' ' ')"; return; }
	stream "$name" "$log"
	[ -n "$polled" ] && return # no monitor to ask; xl save succeeding says it all
	while alive && ! past "$deadline"; do sleep $tick; done
	xl_state
	[ "$last" = 2 ] || fail "xl save: the domain did not end suspended (reason '$last')"
}
# checkpoint: xl save -c; the domain goes on, its monitor does not (see poll_state).
checkpoint_guest() {
	xl save -c "$name" "$G/save.chk" >>"$G/out" 2>&1 ||
		{ fail "xl save -c failed: $(tail -n 2 "$G/out" | tr '\n' ' ')"; return; }
	rm -f "$G/save.chk"
	while [ -z "$polled" ] && alive && ! past "$deadline"; do sleep $tick; done
	nmon=$((nmon + 1))
	mv "$G/xl.out" "$G/xl.out.$nmon"
	: >"$G/xl.out"
	polled=1
}
# migrate: live migration to this same host (xl's localhost migration: the receiver is
# a local xl migrate-receive instead of one behind ssh). The new domain has no monitor.
migrate_guest() {
	xl migrate -s '' "$name" "xl migrate-receive -e" >>"$G/out" 2>&1 ||
		{ fail "xl migrate failed: $(tail -n 3 "$G/out" | tr '\n' ' ')"; return; }
	while [ -z "$polled" ] && [ -n "$xlpid" ] && kill -0 "$xlpid" 2>/dev/null &&
		! past "$deadline"; do sleep $tick; done
	nmon=$((nmon + 1))
	mv "$G/xl.out" "$G/xl.out.$nmon"
	: >"$G/xl.out"
	polled=1
	clog_in=/var/log/xen/console/guest-$name--incoming.log log=$G/console.log
	poll_state
	[ -n "$pdomid" ] || fail "xl migrate: no domain $name afterwards"
	export DOMID=$pdomid
}
# migrate-fail RECEIVER: a live migration that must fail, to a receiving side that
# dom0 has made fail (RECEIVER is the command xl runs in place of the target's
# migrate-receive). A failure after the suspend resumes the same domain, its suspend
# cancelled: xl migrate must exit non-zero and the domain go on, with the same domid.
# xl's monitor exits at the suspend, so from here its fate is polled.
migrate_fail_guest() {
	if xl migrate -s '' "$name" "$1" >>"$G/out" 2>&1; then
		fail "xl migrate to '$1' did not fail"
		return
	fi
	tail -n 4 "$G/out" | sed "s/^/@@XT OUT $name|/"
	_i=0
	while [ -z "$polled" ] && alive && [ $_i -lt 25 ]; do sleep $tick; _i=$((_i + 1)); done
	[ -z "$polled" ] && alive && kill "$xlpid" 2>/dev/null
	nmon=$((nmon + 1))
	mv "$G/xl.out" "$G/xl.out.$nmon"
	: >"$G/xl.out"
	polled=1
	poll_state
	[ "$pdomid" = "$DOMID" ] ||
		fail "after the failed migration domain $name is '$pdomid', not $DOMID"
	case $pstate in '' | *s* | *c*) fail "after the failed migration $name is not running ('$pstate')" ;; esac
}
# restore: xl restore -F becomes the monitor (its output the new xl.out; the
# previous one is kept as xl.out.N); the console log goes on under the same name.
# restore_guest -p (restore-paused): the new domain stays paused, its backends set up,
# so that dom0 can act before it runs; a later step runs xl unpause $DOMID.
restore_guest() {
	nmon=$((nmon + 1))
	mv "$G/xl.out" "$G/xl.out.$nmon"
	xl restore -F $1 "$G/save.chk" </dev/null >"$G/xl.out" 2>&1 &
	xlpid=$! polled=
	wait_domid
	rm -f "$G/save.chk" # dom0's /tmp is RAM: a guest's image is as big as the guest
	[ -n "$domid" ] || fail "xl restore failed: $(tail -n 3 "$G/xl.out" | tr '\n' ' ')"
	export DOMID=$domid
}

# ---- guests started with virsh: libvirt's Xen (libxl) driver instead of xl ----
# libvirtd starts before the first such guest (libvirt-up, from libvirt's archive,
# which the host adds to the run only then). A transient domain (virsh create) leaves
# libvirt as soon as it stops, so its fate comes from one `virsh event` watcher that
# runs from then on: "event 'lifecycle' for domain 'NAME': Stopped Shutdown".
export LIBVIRT_DEFAULT_URI=xen:///system
events=/tmp/xt/libvirt-events
libvirt_up() {
	[ -n "$libvirt_ready" ] && return 0
	libvirt-up >"$G/libvirt-up" 2>&1
	_rc=$?
	sed "s/^/@@XT OUT $name|/" "$G/libvirt-up"
	cat "$G/libvirt-up" >>"$G/out"
	[ $_rc -eq 0 ] || { fail "libvirt: $(tail -n 1 "$G/libvirt-up")"; return 1; }
	# The watcher counts once it has connected (one more libvirt-sock connection in
	# /proc/net/unix) and registered (a moment later).
	_n0=$(grep -c libvirt-sock /proc/net/unix)
	virsh event --loop --event lifecycle >"$events" 2>&1 &
	evpid=$!
	_i=0
	while [ "$(grep -c libvirt-sock /proc/net/unix)" -le "$_n0" ] && [ $_i -lt 50 ]; do
		sleep $tick; _i=$((_i + 1))
	done
	sleep 0.5
	libvirt_ready=1
}
# After the last virsh guest of the plan: libvirtd and the watcher go, so that the
# guests after it have dom0 as xl alone left it.
libvirt_down() {
	virsh_left=$((virsh_left - 1))
	[ "$virsh_left" -gt 0 ] || [ -z "$libvirt_ready" ] && return 0
	kill "$evpid" 2>/dev/null
	[ -f /run/libvirtd.pid ] && kill "$(cat /run/libvirtd.pid)" 2>/dev/null
	libvirt_ready=''
}
# virsh_start XML: virsh create; virsh returns once the domain runs. Sets domid ("-"
# when the domain has already gone again: hello is that quick).
virsh_start() {
	libvirt_up || return 0
	ev0=$(wc -l <"$events")
	if ! virsh create "$1" >"$G/xl.out" 2>&1; then
		fail "virsh create failed: $(tail -n 3 "$G/xl.out" | tr '\n' ' ')"
		return 0
	fi
	domid=$(xl domid "$name" 2>/dev/null) || domid=-
}
# the last lifecycle event of this guest since its create
virsh_event() { tail -n +$((ev0 + 1)) "$events" | grep -F "for domain '$name': " | tail -n 1; }
virsh_alive() {
	case $(virsh_event) in *": Stopped "*) return 1 ;; esac
	xl domid "$name" >/dev/null 2>&1
}
# As xl_state. libvirt may take the domain away a moment before its event arrives.
virsh_state() {
	ncodes=0 last='' nreboots=0
	_i=0
	while _ev=$(virsh_event) && [ "${_ev#*: Stopped }" = "$_ev" ] && [ $_i -lt 15 ] &&
		! xl domid "$name" >/dev/null 2>&1; do
		sleep $tick; _i=$((_i + 1))
	done
	case $_ev in
	*": Stopped Shutdown"*) ncodes=1 last=0 ;;
	*": Stopped Crashed"*) ncodes=1 last=3 ;;
	*": Stopped Saved"*) ncodes=1 last=2 ;;
	esac
}

# ---- one guest: its plan lines are in $G/steps ----
run_guest() {
	G=/tmp/xt/$name
	log=/var/log/xen/console/guest-$name.log clog=$log clog_in=
	rm -f "$log" "/var/log/xen/console/guest-$name--incoming.log"
	sent=0 why='' xlpid='' nmon=0 polled='' virsh=''
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
	virsh=$(sed -n 's/^start virsh //p' "$G/steps")
	if [ -n "$virsh" ]; then
		virsh_start "$virsh"
	else
		xl create -F $_paused "/xt/cfg/$name.cfg" </dev/null >"$G/xl.out" 2>&1 &
		xlpid=$!
		wait_domid
	fi
	export DOMID=$domid
	created=-
	[ -n "$domid" ] && created=$(secs_since "$t0")
	outcome=nodomain
	if [ -z "$domid" ]; then
		[ -z "$virsh" ] && alive && { fail "timeout: xl create did not finish in ${timeout}s"; destroy; }
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
			save) save_guest ;;
			restore) restore_guest ;;
			restore-paused) restore_guest -p ;;
			checkpoint) checkpoint_guest ;;
			migrate) migrate_guest ;;
			migrate-fail) migrate_fail_guest "$rest" ;;
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
			# Ask the guest for its VCPUs' and threads' state (sysrq 't') before it goes.
			xl sysrq "$name" t >>"$G/out" 2>&1 && sleep 2 && stream "$name" "$log"
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
		cleanup) run_cleanup "$rest" ;;
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
	rm -f /tmp/disks/"$name"-*.img "$G/save.chk"
	[ -z "$virsh" ] || libvirt_down
}

# ---- read the plan, one guest block at a time ----
[ -f /xt/plan ] || { echo "@@XT DOM0-FAIL no /xt/plan"; exit 1; }
echo "@@XT PLAN $(grep -c '^guest ' /xt/plan)"
virsh_left=$(grep -c '^start virsh ' /xt/plan)
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
