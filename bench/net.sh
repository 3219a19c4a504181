#!/usr/bin/env bash
# Network benchmark: xenolith (lwIP over netfront) against the Linux PVH peer (its own
# TCP/IP over xen-netfront), in ROUNDS interleaved rounds (xenolith, linux, xenolith,
# ...) in one nested Xen boot. Both guests run the same C server (bench/netbench/
# netbench.c: a xenolith app, and a static Linux binary in the peer's initramfs) and
# dom0 runs the same client (bench/dom0/netclient.c) against each: TCP each way with
# every byte checked on arrival, one-byte TCP round trips, 64-byte UDP datagrams into
# the guest (counted and checked by the guest), and dom0's ping. Reported, never asserted.
#
#   bench/net.sh [--rounds N] [--bytes N] [--name NAME]   run (default 5 rounds, 64 MiB)
#   bench/net.sh --report LOG                             the table of a kept raw log
#
# Writes bench/results/NAME.raw (every figure of every round) and NAME.md (the table).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rounds=${ROUNDS:-5} bytes=$((64 << 20)) name="" rr=1000 udp_count=20000
cmd="bench/net.sh$(printf ' %q' "$@")"
usage="bench/net.sh [--rounds N] [--bytes N] [--name NAME] | --report LOG"
while (($#)); do
	case $1 in
	--bytes) bytes=${2:?$usage} ;;
	*) bench_opt "$usage" "$@" ;;
	esac
	shift 2
done
bench_rounds_ok "$rounds"
bench_result_paths net "$name"
out=$B/bench/net
mkdir -p "$out/tree/bin"

# ---- build: the xenolith app, the same server for Linux, dom0's client ----
make -s --no-print-directory B="$B" APP=bench/netbench app >/dev/null
bench_static "$out/tree/bin/netbench" bench/netbench/netbench.c
bench_static "$out/netclient" bench/dom0/netclient.c
tools/xen/build.sh >/dev/null
bench_linux_initrd "$out/tree" "$out/linux-initrd.cpio.gz"

# ---- the manifest: one guest per side and round, the same dom0 steps for each ----
# Each guest gets its own address, so dom0's ARP cache never points at the last one.
m=$out/net-bench.manifest
steps() {  # steps IP: dom0's measurements, each printing "BENCH METRIC VALUE"
	local c="/xt/bin/netclient $1"
	cat <<M
  wait     netbench: ready
  run      xenstore-ls /local/domain/\$DOMID/device/vif/0 | awk '/^(feature|request|multi-queue)/ {gsub(/"/, "", \$3); printf "%s%s=%s", n++ ? " " : "NOTE vif0 frontend: ", \$1, \$3} END {print ""}'
  run      ping -q -c 20 -i 0.2 -W 3 $1 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|BENCH ping_rtt_ms \1|p'
  run      $c rr $rr
  run      $c rx $bytes
  run      $c tx $bytes
  run      $c udp $udp_count 64
  run      $c quit
  expect   poweroff
  marker   netbench: done
M
}
timeout=$((bytes / 1000000 + 200))
{
	echo "# bench/net.sh: $rounds interleaved rounds (generated)"
	for r in $(seq 1 "$rounds"); do
		ip=169.254.2.$((10 + r))
		cat <<M
guest net-xenolith-$r
  kernel   $B/netbench.elf
  cmdline  xenolith.ip=$ip/16
  xl       vif = ["bridge=xenbr0"]
  xl       memory = 64
  timeout  $timeout
  tool     $out/netclient
M
		steps "$ip"
		ip=169.254.2.$((110 + r))
		cat <<M

guest net-linux-$r
  kernel   @linux
  ramdisk  $out/linux-initrd.cpio.gz
  cmdline  console=hvc0 quiet xt.ip=$ip -- /bin/netbench
  xl       vif = ["bridge=xenbr0"]
  xl       memory = 256
  timeout  $((timeout + 60))
M
		steps "$ip"
		echo
	done
} >"$m"

bench_begin "$RAW" "Network" "$rounds" "$cmd"
cat >>"$RAW" <<H
# sides xenolith linux
# ratio xenolith/linux
# metric tcp_guest_to_dom0_mbit TCP guest → dom0, $((bytes >> 20)) MiB checked by dom0 (Mbit/s)
# metric tcp_dom0_to_guest_mbit TCP dom0 → guest, $((bytes >> 20)) MiB checked by the guest (Mbit/s)
# metric tcp_rr_us TCP 1-byte round trip, mean of $rr (µs, lower is better)
# metric udp64_received_pps UDP 64 B into the guest, counted and checked there (/s)
# metric udp64_sent_pps UDP 64 B dom0's send rate ($udp_count sent) (/s)
# metric ping_rtt_ms dom0 ping RTT, mean of 20 (ms, lower is better)
# text Both guests run bench/netbench/netbench.c (xenolith: lwIP; Linux: \`gcc -static\`, in its initramfs), dom0 runs bench/dom0/netclient.c against each; 1 VCPU each, xenolith memory=64, Linux memory=256, same bridge and netback.
H
bench_suite "$m" $((rounds * (2 * timeout + 100) + 300)) "$rounds rounds"

# ---- raw log: every figure of every round, from the guests' check logs ----
for r in $(seq 1 "$rounds"); do
	for s in xenolith linux; do
		g=net-$s-$r
		awk -v r="$r" -v s="$s" '
			$1 == "BENCH" { print "sample", r, s, $2, $3 }
			$1 == "NOTE" { sub(/^NOTE /, ""); print "note", r, s, $0 }' "$SUITE_LOGS/$g.checks.log" 2>/dev/null >>"$RAW" || true
		st=$(bench_guest_status "$g")
		if [[ $st != PASS ]]; then
			said=$(grep -a '^netclient: ' "$SUITE_LOGS/$g.checks.log" 2>/dev/null | tail -n 1 || true)
			echo "fail $r $s ${st#FAIL }${said:+ ($said)}" >>"$RAW"
		fi
	done
done
bench_finish "$RAW" "$MD"
