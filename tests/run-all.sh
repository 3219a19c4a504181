#!/usr/bin/env bash
# Every test suite, fast ones first: host unit tests, QEMU boot tests, then the
# nested Xen suite. Each suite ends with "...: N passed, N failed"; this script adds
# them up and closes with the one summary line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."

total_pass=0
total_fail=0
total_skip=0
mkdir -p build
summary=build/test-summary.txt
: >"$summary"

suite() {
    local name=$1
    shift
    local log=build/test-$name.log
    local t0=$SECONDS
    echo "==== $name"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line p f s
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(sed -nE 's/.*\b([0-9]+) passed.*/\1/p' <<<"$line")
    f=$(sed -nE 's/.*\b([0-9]+) failed.*/\1/p' <<<"$line")
    s=$(sed -nE 's/.*\b([0-9]+) skipped.*/\1/p' <<<"$line")
    if [ -z "$line" ]; then
        # A suite that died before counting is one failure, not zero.
        p=0
        f=1
    elif [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
        f=1
    fi
    total_pass=$((total_pass + ${p:-0}))
    total_fail=$((total_fail + ${f:-0}))
    total_skip=$((total_skip + ${s:-0}))
    echo "$name: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped ($((SECONDS - t0)) s)" >>"$summary"
}

suite unit make --no-print-directory unit
suite fuzz make --no-print-directory fuzz-quick
suite xlcfg tests/tools/test_xlcfg.sh
suite boot tests/boot/run.sh
suite sdk tests/sdk/run.sh
suite xen make --no-print-directory xen-test
suite xen-selftest make --no-print-directory xen-selftest

echo "==== summary"
cat "$summary"
if [ "$total_skip" -gt 0 ]; then
    echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
