#!/usr/bin/env bash
# Run libFuzzer binaries one after another (never two at once: the machine is shared),
# each under nice -n 19, from its committed seeds in tests/fuzz/corpus/NAME/ plus what
# earlier runs found (build/fuzz/corpus/NAME/, not committed). Prints one line per target
# with executions and crashes, and closes with "fuzz: N passed, N failed".
#
#   run.sh --runs N BIN...      each for N inputs after its corpus, fixed seed (make fuzz-quick)
#   run.sh --seconds S BIN...   each for S seconds (make fuzz)
#   run.sh --execs N BIN...     each until N inputs (the long run), or FUZZ_MAX_SECONDS if set
#
# A crash, a timeout (one input taking more than 10 s) or a leak fails the target; its
# input is kept as build/fuzz/crash/NAME-*: reproduce with `BIN FILE`.
set -uo pipefail
cd "$(dirname "$0")/../.."

mode=$1
limit=$2
shift 2
case $mode in
--runs) args=(-runs="$limit" -seed=1) ;;
--seconds) args=(-max_total_time="$limit") ;;
--execs) args=(-runs="$limit" ${FUZZ_MAX_SECONDS:+-max_total_time="$FUZZ_MAX_SECONDS"}) ;;
*)
    echo "usage: $0 --runs N | --seconds S | --execs N BIN..." >&2
    exit 2
    ;;
esac

B=build/fuzz
mkdir -p "$B/crash" "$B/log"
pass=0
fail=0
for bin in "$@"; do
    name=${bin##*/fuzz_}
    seeds=tests/fuzz/corpus/$name
    work=$B/corpus/$name
    log=$B/log/$name.${mode#--}.log
    mkdir -p "$work"
    if [ ! -x "$bin" ]; then
        echo "fuzz: $name: $bin is missing"
        fail=$((fail + 1))
        continue
    fi
    # Extra libFuzzer flags a target asks for on a line "// FUZZ-FLAGS: -max_len=1024".
    src=tests/fuzz/fuzz_$name.c
    read -r -a flags <<<"$(sed -n 's|^// *FUZZ-FLAGS: *||p' "$src" 2>/dev/null)"
    dirs=("$work")
    [ -d "$seeds" ] && dirs+=("$seeds")
    t0=$SECONDS
    nice -n 19 "$bin" "${args[@]}" "${flags[@]}" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$B/crash/$name-" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //')
    # libFuzzer stops at the first crash: a run finds 0 or 1.
    crashes=$([ "$rc" -eq 0 ] && echo 0 || echo 1)
    echo "fuzz: $name: ${execs:-0} execs in $((SECONDS - t0)) s, coverage ${cov:-?}, $crashes crash(es)"
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "fuzz: $name FAILED (exit $rc); log $log:"
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written|ALARM|abort' "$log" | head -n 20
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
