#!/usr/bin/env bash
# Block I/O benchmark: xenolith's blkfront against the Linux PVH peer's, on the same
# nested Xen, dom0, blkback and disk size (64 MiB, a file in dom0's tmpfs), in ROUNDS
# interleaved rounds in one boot. Each round runs xenolith with its defaults,
# xenolith with the limits Linux's blkfront negotiates (the "equal features" side,
# set with kernel options: xenolith.blk.ring_order/indirect/queues/persistent), and
# Linux. Sequential 1 MiB and random 4 KiB reads and writes at queue depth 1 and 32,
# SECS each: tests/apps/blkbench on xenolith (async API), bench/blk-linux.c on Linux
# (O_DIRECT, native AIO). What each blkfront negotiated is logged from the guest and
# from dom0's xenstore and printed beside the table. Reported, never asserted.
#
#   bench/blk.sh [--rounds N] [--secs S] [--equal "OPTIONS"] [--name NAME]
#   bench/blk.sh --report LOG
#
# --equal: the equal-features side's kernel options (default: what Linux 6.1's blkfront
# takes with its module defaults against this blkback: 1 ring page, 32 indirect
# segments, 1 queue with 1 VCPU, persistent grants; the table shows whether the run's
# Linux agreed).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rounds=${ROUNDS:-5} secs=5 name=""
equal="xenolith.blk.ring_order=0 xenolith.blk.indirect=32 xenolith.blk.queues=1 xenolith.blk.persistent=1"
cmd="bench/blk.sh$(printf ' %q' "$@")"
usage="bench/blk.sh [--rounds N] [--secs S] [--equal OPTIONS] [--name NAME] | --report LOG"
while (($#)); do
	case $1 in
	--secs) secs=${2:?$usage} ;;
	--equal) equal=${2:?$usage} ;;
	*) bench_opt "$usage" "$@" ;;
	esac
	shift 2
done
bench_rounds_ok "$rounds"
bench_result_paths blk "$name"
out=$B/bench/blk
rm -rf "$out/tree"
mkdir -p "$out/tree/bin" "$out/tree/etc/init.d"

# ---- build ----
make -s --no-print-directory B="$B" "$B/tests/blkbench.elf"
bench_static "$out/tree/bin/blk-linux" bench/blk-linux.c
# blk_bench DEV SECS: what Linux's blkfront took (module parameters, the queue's
# limits), then bench/blk-linux.c on /dev/DEV.
cat >"$out/tree/etc/init.d/blkbench.sh" <<'SH'
blk_bench() {
	wait_disk "$1" || return 1
	p=/sys/module/xen_blkfront/parameters q=/sys/block/$1
	l="blk-bench: linux blkfront:"
	for f in max_ring_page_order max_indirect_segments max_queues feature_persistent; do
		l="$l $f=$(cat $p/$f 2>/dev/null || echo -)"
	done
	l="$l hw_queues=$(ls $q/mq 2>/dev/null | wc -l)"
	for f in max_segments max_hw_sectors_kb nr_requests; do
		l="$l $f=$(cat $q/queue/$f 2>/dev/null || echo -)"
	done
	echo "$l"
	/bin/blk-linux "/dev/$1" "$2"
}
SH
tools/xen/build.sh >/dev/null
bench_linux_initrd "$out/tree" "$out/linux-initrd.cpio.gz"

# ---- the manifest ----
# dom0's view of the connection, from xenstore: the frontend's and the backend's nodes.
xs_note='F=/local/domain/$DOMID/device/vbd/51712; K=/local/domain/0/backend/vbd/$DOMID/51712; l="NOTE xenstore frontend:"; for k in ring-page-order multi-queue-num-queues feature-persistent; do l="$l $k=$(xenstore-read $F/$k 2>/dev/null || echo -)"; done; l="$l backend:"; for k in max-ring-page-order feature-max-indirect-segments multi-queue-max-queues feature-persistent; do l="$l $k=$(xenstore-read $K/$k 2>/dev/null || echo -)"; done; echo "$l"'
timeout=$((secs * 8 * 2 + 150))
m=$out/blk-bench.manifest
{
	echo "# bench/blk.sh: $rounds interleaved rounds (generated)"
	for r in $(seq 1 "$rounds"); do
		for s in xenolith xenolith-eq; do
			opts=""
			[[ $s == xenolith-eq ]] && opts=" $equal"
			cat <<M
guest blk-$s-$r
  kernel   $B/tests/blkbench.elf
  cmdline  dev=xvda secs=$secs$opts
  xl       memory = 160
  disk     xvda 64M
  timeout  $timeout
  wait     blk-bench: filled
  run      $xs_note
  expect   poweroff
  marker   blk-bench: done

M
		done
		cat <<M
guest blk-linux-$r
  kernel   @linux
  ramdisk  $out/linux-initrd.cpio.gz
  cmdline  console=hvc0 quiet -- blk_bench xvda $secs
  xl       memory = 256
  disk     xvda 64M
  timeout  $((timeout + 60))
  wait     blk-bench: filled
  run      $xs_note
  expect   poweroff
  marker   blk-bench: done

M
	done
} >"$m"

bench_begin "$RAW" "Block I/O" "$rounds" "$cmd"
{
	echo "# sides xenolith xenolith-eq linux"
	echo "# ratio xenolith/linux"
	echo "# ratio xenolith-eq/linux"
	for t in seq-write seq-read rand-read rand-write; do
		for q in 1 32; do
			if [[ $t == seq-* ]]; then
				echo "# metric ${t}_qd$q $t 1 MiB, qd $q (MB/s)"
			else
				echo "# metric ${t}_qd$q $t 4 KiB, qd $q (IOPS)"
			fi
		done
	done
	echo "# text 64 MiB disk (a file in dom0's tmpfs behind blkback), 1 VCPU each, $secs s per test; xenolith memory=160, Linux memory=256. xenolith-eq: xenolith with \`$equal\`."
} >>"$RAW"
bench_suite "$m" $((rounds * (3 * timeout + 120) + 300)) "$rounds rounds, $secs s per test"

# ---- raw log ----
# "blk-bench: xenolith seq-read qd32 bs=1048576: 146.0 MB/s, 1234 IOPS (...)": MB/s for
# the sequential tests, IOPS for the random ones. What each blkfront uses, in one form:
# xenolith from its own description of the disk, Linux from xenstore (ring pages,
# queues, persistent grants) and its queue's max_segments (the indirect segments it
# takes when above the 11 of a direct request).
for r in $(seq 1 "$rounds"); do
	for s in xenolith xenolith-eq linux; do
		g=blk-$s-$r
		{ cat "$SUITE_LOGS/$g.console.log" "$SUITE_LOGS/$g.checks.log" 2>/dev/null || true; } | tr -d '\r' | awk -v r="$r" -v s="$s" '
			/blk-bench: (xenolith|linux) (seq|rand)-(read|write) qd[0-9]+ / {
				match($0, /(seq|rand)-(read|write) qd[0-9]+/)
				split(substr($0, RSTART, RLENGTH), t, " ")
				unit = t[1] ~ /^seq/ ? "MB/s" : "IOPS"
				match($0, "[0-9.]+ " (unit == "MB/s" ? "MB/s" : "IOPS"))
				split(substr($0, RSTART, RLENGTH), v, " ")
				print "sample", r, s, t[1] "_" t[2], v[1]
			}
			/^NOTE / { sub(/^NOTE /, ""); print "note", r, s, $0; xs = $0 }
			/blk-bench: linux blkfront:/ { sub(/.*blk-bench: linux blkfront: /, ""); print "note", r, s, "sysfs: " $0; sys = $0 }
			/blk-bench: xvda: / {
				queues = ring = 0; indirect = 0; persistent = "no"
				if (match($0, /[0-9]+ queues? x [0-9]+-page ring/)) {
					split(substr($0, RSTART, RLENGTH), w, /[ -]/); queues = w[1]; ring = w[4]
				}
				if (match($0, /indirect [0-9]+/)) indirect = substr($0, RSTART + 9, RLENGTH - 9)
				if ($0 ~ /persistent grants/) persistent = "yes"
				used = "ring pages " ring ", indirect " indirect ", queues " queues ", persistent " persistent
			}
			END {
				if (s == "linux" && xs != "") {
					order = 0; queues = 1; fp = bp = "-"
					n = split(xs, w, " ")
					for (i = 1; i <= n; i++) {
						if (w[i] == "backend:") back = 1
						split(w[i], kv, "=")
						if (!back && kv[1] == "ring-page-order" && kv[2] != "-") order = kv[2]
						if (!back && kv[1] == "multi-queue-num-queues" && kv[2] != "-") queues = kv[2]
						if (kv[1] == "feature-persistent") { if (back) bp = kv[2]; else fp = kv[2] }
					}
					segs = 0
					if (match(sys, /max_segments=[0-9]+/)) segs = substr(sys, RSTART + 13, RLENGTH - 13) + 0
					used = "ring pages " 2 ^ order ", indirect " (segs > 11 ? segs : 0) ", queues " queues \
						", persistent " (fp == 1 && bp == 1 ? "yes" : "no")
				}
				if (used != "") print "note", r, s, "in use: " used
			}' >>"$RAW"
		st=$(bench_guest_status "$g")
		[[ $st == PASS ]] || echo "fail $r $s ${st#FAIL }" >>"$RAW"
	done
done
# The sides' features in use, side by side (every distinct value over the rounds).
awk '$1 == "note" && $4 == "in" && $5 == "use:" {
	t = $0; sub(/^note [0-9]+ [^ ]+ in use: /, "", t)
	if (!(($3, t) in seen)) { seen[$3, t] = 1; u[$3] = u[$3] (u[$3] == "" ? "" : "; ") t }
}
END {
	for (s in u) print "info", s, "blkfront_in_use", u[s]
	if ("xenolith-eq" in u && "linux" in u)
		print "info xenolith-eq same_as_linux", u["xenolith-eq"] == u["linux"] ? "yes" : "**no**"
}' "$RAW" >"$RAW.info"
cat "$RAW.info" >>"$RAW"
rm -f "$RAW.info"
bench_finish "$RAW" "$MD"
