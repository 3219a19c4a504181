#!/usr/bin/env bash
# Self-test of the nested Xen harness: run tests/xen/manifest.broken, whose guests fail on
# purpose, and check that the harness reports each failure with the right reason, goes
# on after failures, turns a dom0 crash into failures instead of a hang, and closes with
# the right counts and exit status. Prints "N passed, N failed" about these checks.
#
#   tests/xen/selftest.sh          (the suite's own output: build/xen/selftest.log)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

log=build/xen/selftest.log
mkdir -p build/xen
t0=$SECONDS
tools/xen/suite.sh tests/xen/manifest.broken >"$log" 2>&1
rc=$?
secs=$((SECONDS - t0))

pass=0 fail=0
check() {  # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "selftest: FAIL: $what" >&2
	fi
}
# reported NAME STATUS TEXT: the suite's line for NAME has STATUS and contains TEXT
reported() {
	grep -E "^\[xen\] $2 $1 " "$log" | grep -qF -- "$3"
}

check "exit status is 1 (got $rc)" test "$rc" -eq 1
check "closing line is '1 passed, 12 failed'" test "$(tail -n 1 "$log")" = "1 passed, 12 failed"
check "spin: timeout" reported spin-expect-poweroff FAIL "timeout: still running after 8s"
check "fault: wrong shutdown reason" reported fault-expect-poweroff FAIL \
	"shutdown: expected poweroff, got crash"
check "fault: its console log is shown" grep -q '^    | backtrace:' "$log"
check "missing marker" reported hello-missing-marker FAIL "marker missing: 'this text is never printed'"
check "unwanted marker" reported hello-absent-marker FAIL "unwanted marker present"
check "failing run step" reported spin-run-fails FAIL "live check failed (exit 1): echo about to fail; false"
check "failing run step: its output is shown" grep -q 'about to fail' "$log"
check "cleanup runs after a failed step" grep -q 'cleanup ran after the failure' "$log"
check "failing cleanup" reported hello-cleanup-fails FAIL "cleanup failed (exit 3): exit 3"
check "failing after check" reported hello-after-fails FAIL "after check failed (exit 1): false"
check "wait: the domain ended first" reported hello-wait-ends FAIL \
	"domain ended before 'hello never says this' appeared"
check "wait: timeout" reported spin-wait-timeout FAIL "timeout: waited 8s for 'spin never says this'"
check "wrong reboot count" reported hello-reboot-count FAIL "expected 1 reboot(s), saw 0"
check "goes on after failures" reported hello-still-runs PASS "poweroff"
check "dom0 panic: guest running" reported dom0-panics FAIL "Xen or dom0 crashed"
check "dom0 panic: guest after it" reported after-the-panic FAIL "(before this guest ran)"
check "timings are printed" grep -q '^\[xen\] timings: .*dom0 ready' "$log"

# Second run: dom0 goes silent (its runner stopped). Short slack so it is quick.
hang_log=build/xen/selftest-hang.log
XT_STALL_SLACK=5 tools/xen/suite.sh tests/xen/manifest.hang >"$hang_log" 2>&1
hang_rc=$?
hang_serial=build/xen/suite-manifest_hang/serial.log
check "hang: exit status is 1 (got $hang_rc)" test "$hang_rc" -eq 1
check "hang: reported as dom0 silence" grep -qE '^\[xen\] FAIL spin-runner-stops .*dom0 stopped reporting' "$hang_log"
check "hang: Xen was asked for its state (debug keys)" grep -q "pressed -> dumping" "$hang_serial"
check "hang: the guest after it is reported" grep -qE '^\[xen\] FAIL never-runs ' "$hang_log"
check "done in under 3 minutes (took ${secs}s)" test "$secs" -lt 180
check "both runs in under 4 minutes (took $((SECONDS - t0))s)" test $((SECONDS - t0)) -lt 240

if ((fail)); then
	echo "selftest: the suite's output ($log):" >&2
	sed 's/^/    > /' "$log" >&2
fi
echo "selftest: $pass passed, $fail failed"
((fail == 0))
