# shellcheck shell=bash
# Sourced by the tests/sdk scripts: the PASS/FAIL lines and their counts.
pass=0
fail=0
ok() {
    echo "PASS $1"
    pass=$((pass + 1))
}
bad() {
    echo "FAIL $1"
    fail=$((fail + 1))
}
