#!/usr/bin/env bash
# The sdk suite: every tests/sdk/*.sh but this one, their counts added up into one
# "sdk: N passed, N failed" line (a script that dies before counting is one failure).
set -uo pipefail
cd "$(dirname "$0")"
pass=0
fail=0
for t in *.sh; do
    [ "$t" = run.sh ] && continue
    echo "---- tests/sdk/$t"
    out=$(./"$t" 2>&1)
    rc=$?
    echo "$out"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
    p=$(sed -nE 's/.*\b([0-9]+) passed.*/\1/p' <<<"$line")
    f=$(sed -nE 's/.*\b([0-9]+) failed.*/\1/p' <<<"$line")
    if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; }; then
        f=$((${f:-0} + 1))
    fi
    pass=$((pass + ${p:-0}))
    fail=$((fail + ${f:-0}))
done
echo "sdk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
