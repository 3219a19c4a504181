#!/usr/bin/env bash
# Boot benchmark: xenolith's hello against the Debian kernel as a PVH domU, in one
# nested Xen run, ROUNDS times each. Reports image size, `xl create` time, create to
# poweroff, and (xenolith) TSC cycles from the PVH entry to main. Reported, never asserted.
#
#   bench/boot.sh [ROUNDS]      (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
rounds=${1:-5}
out=$B/bench
mkdir -p "$out"
make -s B="$B" "$B/hello.elf"
tools/xen/build.sh >/dev/null
xt_build=${XT_BUILD:-build/xen}

m=$out/boot.manifest
: >"$m"
for i in $(seq 1 "$rounds"); do
	cat >>"$m" <<M
guest boot-xenolith-$i
  kernel   $B/hello.elf
  xl       memory = 32
  timeout  60
  expect   poweroff
  marker   xenolith: exit 0

guest boot-linux-$i
  kernel   @linux
  ramdisk  @linux-initrd
  cmdline  console=hvc0 quiet -- echo booted
  xl       memory = 256
  timeout  120
  expect   poweroff
  marker   booted

M
done
echo "bench: tools/xen/suite.sh $m"
tools/xen/suite.sh "$m" 2>&1 | tee "$out/boot.out" || true

strip -o "$out/hello.stripped" "$B/hello.elf"
size_x=$(stat -c %s "$out/hello.stripped")
size_l=$(stat -c %s "$xt_build/linux/vmlinux" 2>/dev/null || echo 0)
logs=$xt_build/suite-boot_manifest/logs
cycles=$(cat "$logs"/boot-xenolith-*.console.log 2>/dev/null | sed -n 's/.*entry to main in \([0-9]*\) cycles (\([0-9]*\) us).*/\2/p' |
	awk '{s += $1; n++} END {if (n) printf "%.0f", s / n; else print "-"}')
# "[xen] PASS NAME  T s (create C)": average T and C per kind.
avg() { grep -E "PASS boot-$1-" "$out/boot.out" | sed -E 's/.* ([0-9.]+) s \(create ([0-9.]+)\).*/\1 \2/' |
	awk -v f="$2" '{s += $f; n++} END {if (n) printf "%.2f", s / n; else print "-"}'; }
printf '\n| %-30s | %12s | %12s |\n' "measure" "xenolith" "linux"
printf '|%s|%s|%s|\n' "--------------------------------" "--------------" "--------------"
printf '| %-30s | %12s | %12s |\n' "image size (bytes, stripped)" "$size_x" "$size_l"
printf '| %-30s | %12s | %12s |\n' "xl create (s)" "$(avg xenolith 2)" "$(avg linux 2)"
printf '| %-30s | %12s | %12s |\n' "create to poweroff (s)" "$(avg xenolith 1)" "$(avg linux 1)"
printf '| %-30s | %12s | %12s |\n' "PVH entry to main (us)" "$cycles" "-"
