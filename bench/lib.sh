# shellcheck shell=bash
# Shared by the bench/*.sh scripts (sourced): the raw log every run writes, the
# Markdown table made from it, and the build steps several benchmarks need.
#
# A raw log is plain text, one record a line, and holds all a table needs, so
# `bench/NAME.sh --report LOG` can re-print the table of a kept run:
#   # title TEXT               also: # date, # commit, # command, # rounds N
#   # sides A B C              the table's columns, in order
#   # metric KEY LABEL         one per table row, in order
#   # ratio A/B                one "A / B" column: median of A over median of B
#   # text TEXT                a line under the heading (what was run, how)
#   # kind search              not rounds but one search (bench/memory.sh)
#   sample ROUND SIDE KEY VALUE
#   info SIDE KEY TEXT         a fact about a side (image size, features); shown as a table
#   note ROUND SIDE TEXT       shown once per distinct text, with the rounds it came in
#   fail ROUND SIDE TEXT       a run that gave no (or not all) numbers, and why

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-build}
XT_BUILD=${XT_BUILD:-$BENCH_ROOT/build/xen}
export XT_BUILD

bench_die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
bench_log() { printf 'bench: %s\n' "$*" >&2; }

# bench_commit -> "abc1234" or "abc1234-dirty" (tracked files changed)
bench_commit() {
	local c
	c=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$BENCH_ROOT" diff --quiet HEAD -- 2>/dev/null || c+=-dirty
	echo "$c"
}

# bench_begin RAW TITLE ROUNDS COMMAND...: start a raw log with its header.
bench_begin() {
	local raw=$1 title=$2 rounds=$3 commit
	shift 3
	mkdir -p "$(dirname "$raw")"
	commit=$(bench_commit) # before the redirection truncates RAW, itself a tracked file
	{
		echo "# title $title"
		echo "# date $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# commit $commit"
		echo "# command $*"
		echo "# rounds $rounds"
	} >"$raw"
}

# bench_opt USAGE OPTION VALUE: the options every benchmark takes (--rounds N, --name
# NAME, --report LOG, which prints the table of LOG and exits); dies with USAGE on others.
bench_opt() {
	(($# >= 3)) || bench_die "usage: $1"
	case $2 in
	--rounds) rounds=$3 ;;
	--name) name=$3 ;;
	--report) bench_report "$3"; exit ;;
	*) bench_die "usage: $1" ;;
	esac
}

# bench_rounds_ok N: a count of rounds; fewer than 5 is allowed for trying a bench out,
# and the table says so.
bench_rounds_ok() {
	[[ $1 =~ ^[1-9][0-9]*$ ]] || bench_die "rounds: a positive number, not '$1'"
	((${1} >= 5)) || bench_log "warning: $1 round(s): fewer than 5, for trying the bench out only"
}

# bench_result_paths BENCH NAME: sets RAW and MD (bench/results/NAME.{raw,md}; NAME
# defaults to BENCH-<UTC date and time>).
bench_result_paths() {
	local name=${2:-$1-$(date -u +%Y%m%d-%H%M)}
	RAW=$BENCH_ROOT/bench/results/$name.raw
	MD=$BENCH_ROOT/bench/results/$name.md
}

# bench_suite MANIFEST LIMIT WHAT: one nested Xen boot running MANIFEST's guests (the
# suite's wall-clock cap raised to LIMIT seconds unless XT_SUITE_LIMIT says otherwise).
# Its output goes to the terminal and to $SUITE_OUT; the guests' logs are in $SUITE_LOGS.
# A failed guest does not stop the benchmark: its round is reported as failed.
bench_suite() {
	local name
	name=$(basename "$1" | tr -c 'A-Za-z0-9_-' _)
	SUITE_LOGS=$XT_BUILD/suite-${name%_}/logs
	SUITE_OUT=$(dirname "$1")/suite.out
	bench_log "tools/xen/suite.sh $1 ($3)"
	XT_SUITE_LIMIT=${XT_SUITE_LIMIT:-$2} tools/xen/suite.sh "$1" 2>&1 | tee "$SUITE_OUT" || true
}

# bench_guest_status NAME -> "PASS" or "FAIL reason..." (after bench_suite)
bench_guest_status() {
	local line
	line=$(grep -E "^\[xen\] (PASS|FAIL|SKIP) $1 " "$SUITE_OUT" | tail -n 1)
	if [[ -z $line ]]; then
		echo "FAIL no result line"
	elif [[ $line == "[xen] PASS "* ]]; then
		echo PASS
	else
		# "[xen] FAIL NAME   T s (create C)   REASON"
		echo "FAIL $(sed -E 's/^\[xen\] [A-Z]+ [^ ]+ +[^ ]+ s \(create [^)]*\) +//' <<<"$line")"
	fi
}

# bench_static OUT SRC...: a static binary for dom0 or the Linux peer (host gcc).
bench_static() {
	local out=$1
	shift
	mkdir -p "$(dirname "$out")"
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$out" "$@"
}

# bench_linux_initrd TREE OUT: the Linux peer's initramfs with TREE's files added.
# One gzip stream holding both archives (the kernel unpacks concatenated cpio archives
# in turn; libxc sizes a gzip ramdisk from its trailer).
bench_linux_initrd() {
	local tree=$1 out=$2
	(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.cpio"
	{ zcat "$XT_BUILD/linux/initrd.cpio.gz"; cat "$out.cpio"; } | gzip -1 >"$out"
	rm -f "$out.cpio"
}

# bench_driver NAME TIMEOUT FILE...: the manifest lines of a placeholder guest whose
# steps run a benchmark's own domains from dom0 (bench/dom0/xlrun.c): the harness runs
# a guest's steps while that guest exists, so this one is created paused and never
# runs (hello, 16 MiB). FILEs are staged as /xt/bin/NAME. The caller adds "run" lines.
bench_driver() {
	local name=$1 timeout=$2 f
	shift 2
	printf 'guest %s\n  kernel   %s\n  paused\n  xl       memory = 16\n' "$name" "$B/hello.elf"
	printf '  timeout  %s\n  expect   running\n' "$timeout"
	for f; do printf '  tool     %s\n' "$f"; done
}

# bench_report RAW: the Markdown table (and facts, notes, failures) of a raw log.
bench_report() {
	[[ -f $1 ]] || bench_die "no raw log $1"
	awk -f "$BENCH_ROOT/bench/stats.awk" -f "$BENCH_ROOT/bench/report.awk" "$1"
}

# bench_finish RAW MD: write the table next to the raw log and print it.
bench_finish() {
	local raw=$1 md=$2
	{
		bench_report "$raw"
		echo
		echo "Raw log: \`bench/results/$(basename "$raw")\`."
	} >"$md"
	echo
	cat "$md"
	bench_log "table: $md, raw log: $raw"
}
