#!/usr/bin/env bash
# Memory benchmark: the smallest `memory =` (MiB) each example boots in and does its
# job, found by bisection in one nested Xen boot (dom0 runs the search: bench/dom0/
# memsearch.sh with bench/dom0/xlrun.c), and the guest's own count of its pages at that
# size ("memory: pages K=N ..." when the kernel prints it). The jobs, as the suite's
# tests define them (tests/xen/*.manifest):
#   hello     prints, 10,000 allocations checked, exits 0
#   echo      answers dom0's ping and echoes a TCP line, then powers off on xl shutdown
#   httpd     serves its page and a 1 MiB body (sha256 checked in dom0), then xl shutdown
#   blkstore  formats a fresh 16 MiB disk, commits keys, is rebooted by dom0 while
#             writing, verifies every committed key on the second boot, exits 0
# A size counts when the domain is created, does its job and powers off. The net apps
# keep one MAC and address over their tries, so dom0's ARP cache stays right. The search
# assumes that more memory never hurts; the size found is tried once more ("confirmed").
# Reported, never asserted.
#
#   bench/memory.sh [--max MIB] [--apps "hello echo httpd blkstore"] [--name NAME]
#   bench/memory.sh --report LOG
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

max=64 apps="hello echo httpd blkstore" name=""
cmd="bench/memory.sh$(printf ' %q' "$@")"
usage="bench/memory.sh [--max MIB] [--apps LIST] [--name NAME] | --report LOG"
while (($#)); do
	case $1 in
	--max) max=${2:?$usage} ;;
	--apps) apps=${2:?$usage} ;;
	--rounds) bench_die "usage: $usage" ;;
	*) bench_opt "$usage" "$@" ;;
	esac
	shift 2
done
bench_result_paths memory "$name"
out=$B/bench/memory
rm -rf "$out"
mkdir -p "$out/stage"
st=$out/stage

# ---- build and stage ----
for a in $apps; do
	case $a in hello | echo | httpd | blkstore) ;; *) bench_die "unknown app '$a'" ;; esac
	make -s --no-print-directory B="$B" "$B/$a.elf"
	strip -o "$st/$a.elf" "$B/$a.elf"
done
make -s --no-print-directory B="$B" "$B/hello.elf"
bench_static "$st/xlrun" bench/dom0/xlrun.c
cp bench/dom0/memsearch.sh "$st/memsearch.sh"
tools/xen/build.sh >/dev/null
for a in $apps; do
	{
		printf 'name = "mem-%s"\ntype = "pvh"\nkernel = "/xt/bin/%s.elf"\nmemory = %s\n' "$a" "$a" "$max"
		printf 'vcpus = 1\ncpuid = "host,rdtscp=0"\non_poweroff = "destroy"\non_crash = "destroy"\n'
		case $a in
		hello) printf 'on_reboot = "destroy"\n' ;;
		echo) printf 'on_reboot = "destroy"\ncmdline = "xenolith.ip=169.254.3.5/16"\nvif = ["bridge=xenbr0,mac=00:16:3e:00:03:05"]\n' ;;
		httpd) printf 'on_reboot = "destroy"\ncmdline = "xenolith.ip=169.254.3.6/16"\nvif = ["bridge=xenbr0,mac=00:16:3e:00:03:06"]\n' ;;
		blkstore)
			printf 'on_reboot = "restart"\ncmdline = "boots=2"\n'
			printf 'disk = ["format=raw,vdev=xvda,access=rw,target=/tmp/disks/mem-blkstore.img"]\n' ;;
		esac
	} >"$st/mem-$a.cfg"
done

m=$out/memory-bench.manifest
{
	echo "# bench/memory.sh (generated)"
	bench_driver memory-driver 3000 "$st"/*
	echo "  run      /xt/bin/memsearch.sh $max $apps"
} >"$m"

bench_begin "$RAW" "Memory" 1 "$cmd"
{
	echo "# kind search"
	echo "# sides $apps"
	echo "# metric min_memory_mib smallest memory= that boots and does the job (MiB)"
	echo "# metric tries boots the search took"
	echo "# text Bisection over 1..$max MiB, one VCPU, from dom0 (bench/dom0/memsearch.sh); the guest's page counts are from the confirming boot at the smallest size."
} >>"$RAW"
bench_suite "$m" 3400 "apps: $apps"

# ---- raw log, from memsearch's lines ----
#   TRY APP MIB xlrun mem-APP ok|fail ...     one boot of the search
#   PAGES APP memory: pages K=N ...           the guest's count (confirming boot)
#   RESULT APP MIB confirmed|flaky|none TRIES
tr -d '\r' <"$SUITE_LOGS/memory-driver.checks.log" | awk '
	function metric(k, label) { if (!(k in seen)) { seen[k] = 1; print "# metric", k, label } }
	$1 == "TRY" {
		t = $0; sub(/.* reason=/, "reason=", t)
		if (!($2 in tries)) order[++napps] = $2
		tries[$2] = tries[$2] (tries[$2] == "" ? "" : ", ") $3 " " ($6 == "ok" ? "ok" : "fail (" t ")")
	}
	$1 == "PAGES" {
		n = split($0, w, " ")
		for (i = 5; i <= n; i++) if (split(w[i], kv, "=") == 2) {
			metric("pages_" kv[1], "guest: " kv[1] " pages after boot (4 KiB)")
			print "sample 1", $2, "pages_" kv[1], kv[2]
		}
	}
	$1 == "RESULT" {
		if ($4 == "none") print "fail 1", $2, "does not run even in " $3 " MiB"
		else {
			print "sample 1", $2, "min_memory_mib", $3
			if ($4 != "confirmed") print "note 1", $2, "the smallest size failed when tried again: " $4
		}
		print "sample 1", $2, "tries", $5
	}
	END { for (i = 1; i <= napps; i++) print "note 1", order[i], "tries: " tries[order[i]] }' >>"$RAW"
st_driver=$(bench_guest_status memory-driver)
[[ $st_driver == PASS ]] || echo "fail 0 driver ${st_driver#FAIL }" >>"$RAW"
bench_finish "$RAW" "$MD"
