#!/usr/bin/env bash
# Network benchmark, reported and not asserted: xenolith (lwIP over netfront) next to
# the Linux PVH peer, both measured from dom0 in one nested Xen run (bench/net.manifest):
# TCP throughput each way (64 MiB), UDP 64-byte datagrams per second into the guest
# (20,000 sent as fast as dom0 can), and ping round-trip time.
#
#   bench/net.sh            build, run, print the table
#   bench/net.sh --report   print the table of the last run only
#
# Under QEMU's emulation of a nested hypervisor the absolute numbers are tiny and
# noisy; the ratios are what to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
XT_BUILD=${XT_BUILD:-$PWD/$B/xen}
logs=$XT_BUILD/suite-net_manifest/logs

if [ "${1:-}" != --report ]; then
	make --no-print-directory B="$B" "$B/tests/tcpbulk.elf"
	status=0
	XT_BUILD=$XT_BUILD tools/xen/suite.sh bench/net.manifest || status=$?
	[ $status -eq 0 ] || echo "bench: the suite reported failures (exit $status); numbers may be missing" >&2
fi

cat "$logs"/bench-*.checks.log 2>/dev/null | awk '
	$1 == "BENCH" { v[$2 "," $3] = $4; m[$3] = 1 }
	END {
		split("tcp_guest_to_dom0_mbit tcp_dom0_to_guest_mbit udp64_received_pps udp64_sent_pps ping_rtt_ms", order)
		label["tcp_guest_to_dom0_mbit"] = "TCP guest -> dom0 (Mbit/s)"
		label["tcp_dom0_to_guest_mbit"] = "TCP dom0 -> guest (Mbit/s)"
		label["udp64_received_pps"] = "UDP 64 B into guest (received/s)"
		label["udp64_sent_pps"] = "UDP 64 B dom0 send rate (/s)"
		label["ping_rtt_ms"] = "ping RTT (ms, lower is better)"
		printf "%-34s %12s %12s %8s\n", "metric", "xenolith", "linux", "ratio"
		for (i = 1; i <= 5; i++) {
			k = order[i]
			x = v["xenolith," k]; l = v["linux," k]
			r = (x != "" && l != "" && l + 0 > 0) ? sprintf("%.2f", x / l) : "-"
			printf "%-34s %12s %12s %8s\n", label[k], x == "" ? "-" : x, l == "" ? "-" : l, r
		}
	}'
echo "(ratio = xenolith / linux; logs: $logs)"
