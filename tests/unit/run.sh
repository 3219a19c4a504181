#!/usr/bin/env bash
# Host unit tests: run each cmocka binary given on the command line, show its output,
# and close with "unit: N passed, N failed" counted over individual test cases.
# A binary that dies before cmocka's summary (ASan abort, crash) counts every test
# it did not finish as failed, and at least one.
set -uo pipefail

pass=0
fail=0
bad=0

for bin in "$@"; do
    echo "---- $bin"
    if [ ! -x "$bin" ]; then
        echo "unit: $bin is missing or not executable"
        fail=$((fail + 1))
        bad=1
        continue
    fi
    out=$(CMOCKA_MESSAGE_OUTPUT=STDOUT "$bin" 2>&1)
    rc=$?
    printf '%s\n' "$out"

    # cmocka prints "[  PASSED  ] N test(s)." and, when any failed,
    # "[  FAILED  ] N test(s), listed below:" (one pair per test group).
    p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test\(s\)\..*/\1/p' <<<"$out" | awk '{s += $1} END {print s + 0}')
    f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test\(s\).*/\1/p' <<<"$out" | awk '{s += $1} END {print s + 0}')
    summaries=$(grep -cE '^\[  PASSED  \] [0-9]+ test\(s\)\.' <<<"$out")
    groups=$(grep -cE '^\[==========\] Running [0-9]+ test\(s\)\.' <<<"$out")

    if [ "$summaries" -eq 0 ] || [ "$summaries" -lt "$groups" ]; then
        # No (or an incomplete) summary: the binary crashed part-way.
        total=$(sed -nE 's/^\[==========\] Running ([0-9]+) test\(s\)\..*/\1/p' <<<"$out" |
            awk '{s += $1} END {print s + 0}')
        p=$(grep -cE '^\[       OK \]' <<<"$out")
        f=$((total - p))
        [ "$f" -lt 1 ] && f=1
        echo "unit: $bin died (exit status $rc) before finishing its tests"
        bad=1
    elif [ "$rc" -ne 0 ]; then
        if [ "$f" -eq 0 ]; then
            # cmocka passed everything but the process still failed (leak report, ...).
            echo "unit: $bin exited with status $rc"
            f=1
        fi
        bad=1
    fi
    pass=$((pass + p))
    fail=$((fail + f))
done

echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$bad" -eq 0 ]
