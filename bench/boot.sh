#!/usr/bin/env bash
# Boot benchmark: xenolith's hello and its puts-only hello (tests/apps/puts), the Linux
# PVH peer and any extra kernels given (e.g. Mini-OS or Solo5 builds kept outside the
# tree), ROUNDS interleaved rounds in one nested Xen boot. dom0 creates each domain with
# bench/dom0/xlrun.c, which starts its clock just before `xl create` and polls every
# 10 ms: the create done (xl has the domain id), the first console line, the app's
# first line (xenolith: "Hello from xenolith", Linux: its init's "booted"), and the
# domain gone (xl create -F exits). The guest's own boot lines are parsed when present:
# "boot: phase-us K=N ..." (microseconds), "memory: pages K=N ..." (4 KiB pages), "boot:
# entry to main in C cycles (U us)". Also prints image sizes. Reported, never asserted.
#
#   bench/boot.sh [--rounds N] [--peer NAME=ELF [--marker NAME=TEXT]]... [--name NAME]
#   bench/boot.sh --report LOG
#
# --marker: the console text that is the peer's app's first line (e.g. Solo5's
# test_hello: "Hello, World"); without it the peer has no "app's first line" time.
# Peers boot like hello: type = "pvh", memory = 32, 1 VCPU, no devices. The domains
# are run from the steps of a placeholder guest (bench_driver in bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rounds=${ROUNDS:-5} name=""
declare -a peers=() peer_files=()
declare -A markers=()
cmd="bench/boot.sh$(printf ' %q' "$@")"
usage="bench/boot.sh [--rounds N] [--peer NAME=ELF [--marker NAME=TEXT]]... [--name NAME] | --report LOG"
while (($#)); do
	case $1 in
	--peer)
		[[ ${2:-} =~ ^([A-Za-z0-9][A-Za-z0-9_-]*)=(.+)$ ]] || bench_die "--peer NAME=ELF, not '${2:-}'"
		[[ ${BASH_REMATCH[1]} != xenolith && ${BASH_REMATCH[1]} != linux ]] ||
			bench_die "--peer: '${BASH_REMATCH[1]}' is taken"
		[[ -f ${BASH_REMATCH[2]} ]] || bench_die "--peer: no file ${BASH_REMATCH[2]}"
		peers+=("${BASH_REMATCH[1]}")
		peer_files+=("$(realpath "${BASH_REMATCH[2]}")") ;;
	--marker)
		[[ ${2:-} =~ ^([A-Za-z0-9][A-Za-z0-9_-]*)=([^\']+)$ ]] ||
			bench_die "--marker NAME=TEXT (no ' in TEXT), not '${2:-}'"
		markers[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]} ;;
	*) bench_opt "$usage" "$@" ;;
	esac
	shift 2
done
bench_rounds_ok "$rounds"
bench_result_paths boot "$name"
out=$B/bench/boot
rm -rf "$out"
mkdir -p "$out/stage"
st=$out/stage

# ---- build and stage: kernels, xl configs, the timing tool ----
make -s --no-print-directory B="$B" "$B/hello.elf" "$B/tests/puts.elf"
bench_static "$st/xlrun" bench/dom0/xlrun.c
tools/xen/build.sh >/dev/null
strip -o "$st/hello.elf" "$B/hello.elf"
strip -o "$st/puts.elf" "$B/tests/puts.elf"
cfg() {  # cfg SIDE KERNEL MEMORY [XL LINE...]
	local side=$1 kernel=$2 mem=$3
	shift 3
	{
		printf 'name = "boot-%s"\ntype = "pvh"\nkernel = "/xt/bin/%s"\nmemory = %s\nvcpus = 1\n' \
			"$side" "$kernel" "$mem"
		printf 'cpuid = "host,rdtscp=0"\non_poweroff = "destroy"\non_reboot = "destroy"\n'
		printf 'on_crash = "destroy"\n'
		if (($#)); then printf '%s\n' "$@"; fi
	} >"$st/boot-$side.cfg"
}
cfg xenolith hello.elf 32
cfg puts puts.elf 32
cfg linux vmlinux 256 'ramdisk = "/xt/bin/initrd.cpio.gz"' \
	'cmdline = "console=hvc0 quiet -- say booted"'
sides=(xenolith puts linux)
for i in "${!peers[@]}"; do
	p=${peers[$i]}
	strip -o "$st/peer-$p.elf" "${peer_files[$i]}" 2>/dev/null || cp "${peer_files[$i]}" "$st/peer-$p.elf"
	cfg "$p" "peer-$p.elf" 32
	sides+=("$p")
done

# side -> xlrun options (timeout, the app's first line)
xlrun_opts() {
	case $1 in
	xenolith) echo "-t 60 -m 'Hello from xenolith' -r 'xenolith: exit 0'" ;;
	puts) echo "-t 60 -m 'Hello from xenolith (puts)' -r 'xenolith: exit 0'" ;;
	linux) echo "-t 180 -m 'xt-linux: booted'" ;;
	*) echo "-t 60${markers[$1]:+ -m '${markers[$1]}'}" ;;
	esac
}
m=$out/boot-bench.manifest
per_round=$((60 + 60 + 180 + 60 * ${#peers[@]} + 10 * ${#sides[@]})) # hello, puts, linux, peers
{
	echo "# bench/boot.sh: $rounds interleaved rounds (generated)"
	bench_driver boot-driver $(((rounds + 1) * per_round + 60)) "$st"/* "$XT_BUILD/linux/vmlinux" \
		"$XT_BUILD/linux/initrd.cpio.gz"
	# Round 0 warms up (the first domains of a fresh Xen run code QEMU has not yet
	# translated) and is not counted.
	for r in $(seq 0 "$rounds"); do
		for s in "${sides[@]}"; do
			echo "  run      sleep 1; /xt/bin/xlrun $(xlrun_opts "$s") -s 'boot: ' -s 'memory: ' boot-$s /xt/bin/boot-$s.cfg | sed 's/^/R$r /'; true"
		done
	done
} >"$m"

# ---- image sizes ----
xzsize() { xz -9 -c "$1" | wc -c; }
bench_begin "$RAW" "Boot" "$rounds" "$cmd"
{
	echo "# sides ${sides[*]}"
	echo "# ratio xenolith/linux"
	for p in "${peers[@]}"; do echo "# ratio xenolith/$p"; echo "# ratio puts/$p"; done
	echo "# metric create_s xl create done: domain built and running (s)"
	echo "# metric first_s first console line (s)"
	echo "# metric app_s the app's first line (s)"
	echo "# metric gone_s domain gone after its poweroff (s)"
	text="the app's first line is \"Hello from xenolith\" (puts: xenolith's puts-only hello, tests/apps/puts, the same work as a hello that only prints), Linux's init saying \"booted\" (\`console=hvc0 quiet\`)"
	for p in "${peers[@]}"; do [[ -z ${markers[$p]:-} ]] || text+=", $p's \"${markers[$p]}\""; done
	echo "# text Times from just before \`xl create\` in dom0, polled every 10 ms (bench/dom0/xlrun.c); $text. hello, puts and peers: memory=32; Linux: memory=256 with its busybox initramfs. A round 0 of every side ran first and is not counted (warm-up: the first domains of a fresh Xen run code QEMU has not translated yet)."
	echo "# text Image sizes: the file the domain loads (hello and peers stripped; Linux: the uncompressed vmlinux this harness gives xl, which saves libxc's 7 s of unpacking), and xz -9 of it (for Linux: Debian's bzImage, xz inside, what a stock domU config loads)."
	echo "info xenolith image_loaded_bytes $(stat -c %s "$st/hello.elf") (hello.elf, stripped)"
	echo "info xenolith image_xz_bytes $(xzsize "$st/hello.elf")"
	echo "info puts image_loaded_bytes $(stat -c %s "$st/puts.elf") (tests/apps/puts, stripped)"
	echo "info puts image_xz_bytes $(xzsize "$st/puts.elf")"
	echo "info linux image_loaded_bytes $(stat -c %s "$XT_BUILD/linux/vmlinux") (vmlinux)"
	bz=$(ls "$XT_BUILD"/root/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[[ -z $bz ]] || echo "info linux image_xz_bytes $(stat -c %s "$bz") ($(basename "$bz"))"
	echo "info linux initramfs_bytes $(stat -c %s "$XT_BUILD/linux/initrd.cpio.gz") (gzip)"
	for p in "${peers[@]}"; do
		echo "info $p image_loaded_bytes $(stat -c %s "$st/peer-$p.elf")"
		echo "info $p image_xz_bytes $(xzsize "$st/peer-$p.elf")"
	done
} >>"$RAW"

bench_suite "$m" $(((rounds + 1) * per_round + 600)) "a warm-up round and $rounds rounds of ${sides[*]}"

# ---- raw log: xlrun's lines, "R<round> xlrun boot-SIDE ok|fail created=S first=S ..." ----
tr -d '\r' <"$SUITE_LOGS/boot-driver.checks.log" | awk '
	function metric(k, label) { if (!(k in seen)) { seen[k] = 1; print "# metric", k, label } }
	$1 !~ /^R[0-9]+$/ || $1 == "R0" { next }
	{ r = substr($1, 2) }
	$2 == "xlrun" {
		s = substr($3, 6)
		if ($4 != "ok") { why = $0; sub(/.* reason=/, "", why); print "fail", r, s, why }
		for (i = 5; i <= NF; i++) {
			split($i, kv, "=")
			k = kv[1] == "marker" ? "app_s" : kv[1] == "created" ? "create_s" : kv[1] "_s"
			if (kv[1] ~ /^(created|first|marker|gone)$/ && kv[2] != "-") print "sample", r, s, k, kv[2]
		}
		next
	}
	$2 == "first-line" {
		s = substr($3, 6); sub(/\|$/, "", s)
		t = $0; sub(/^[^|]*\| /, "", t); sub(/^\[ *[0-9.]+\] /, "", t) # (a kernel time stamp)
		print "note", r, s, "first line: " t
		next
	}
	$2 == "console" {
		s = substr($3, 6); sub(/\|$/, "", s)
		t = $0; sub(/^[^|]*\| /, "", t)
		if (t ~ /^boot: entry to main in [0-9]+ cycles \([0-9]+ us\)/) {
			match(t, /\([0-9]+ us\)/); metric("entry_main_us", "guest: PVH entry to main (µs)")
			print "sample", r, s, "entry_main_us", substr(t, RSTART + 1, RLENGTH - 5)
		} else if (t ~ /^boot: phase-us /) {
			n = split(t, w, " "); delete ph
			for (i = 3; i <= n; i++) if (split(w[i], kv, "=") == 2) {
				ph[kv[1]] = kv[2]
				if (kv[1] == "main") continue # the same as entry_main_us
				metric("phase_" kv[1] "_us", "guest: boot phase " kv[1] " (µs)")
				print "sample", r, s, "phase_" kv[1] "_us", kv[2]
			}
			# Stolen: time Xen ran dom0 on the one CPU while we were ready; the rest is ours.
			if (("main" in ph) && ("stolen" in ph)) {
				metric("entry_main_own_us", "guest: entry to main less the stolen time (µs)")
				print "sample", r, s, "entry_main_own_us", ph["main"] - ph["stolen"]
			}
		} else if (t ~ /^memory: pages /) {
			n = split(t, w, " ")
			for (i = 3; i <= n; i++) if (split(w[i], kv, "=") == 2) {
				metric("pages_" kv[1], "guest: " kv[1] " pages after boot (4 KiB)")
				print "sample", r, s, "pages_" kv[1], kv[2]
			}
		}
	}' >>"$RAW"
st_driver=$(bench_guest_status boot-driver)
[[ $st_driver == PASS ]] || echo "fail 0 driver ${st_driver#FAIL }" >>"$RAW"
bench_finish "$RAW" "$MD"
