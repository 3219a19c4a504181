#!/bin/sh
# Where an image's bytes are: its stripped size, then the bytes in the file by origin
# (kernel = libxenolith.a, newlib, lwIP, libgcc, the app) and kind (text, rodata, data),
# the symbol table, Xen notes, alignment fill inside sections, and the rest: the ELF
# headers and section table, less what string merging saved (the map gives the input
# sizes before merging). Reads the link map the app rule writes beside each ELF.
# Usage: size.sh STRIP ELF...
set -eu
strip=$1
shift
for elf in "$@"; do
	"$strip" -o "$elf.stripped" "$elf"
	total=$(wc -c <"$elf.stripped")
	rm -f "$elf.stripped"
	awk -v name="$(basename "$elf")" -v total="$total" '
	function origin(f) {
		if (f ~ /libxenolith\.a|\/k\//) return "kernel"
		if (f ~ /libc\.a|libm\.a/) return "newlib"
		if (f ~ /liblwip\.a/) return "lwip"
		if (f ~ /libgcc/) return "libgcc"
		if (f ~ /\.ksyms\.o$/) return "ksyms"
		return "app"
	}
	function add(sec, size, f,   o, k) {
		if (sec == ".bss" || sec == ".hypercall_page" || size == 0) return
		o = origin(f)
		k = sec == ".text" ? "text" : sec == ".rodata" ? "rodata" : sec == ".data" ? "data" : ""
		if (o == "ksyms" || sec == ".ksyms") { other["symbol table"] += size; return }
		if (sec == ".note.xen") { other["Xen notes"] += size; return }
		if (k == "") return
		bytes[o, k] += size
		sum[o] += size
	}
	/^Linker script and memory map/ { on = 1; next }
	!on { next }
	/^\.[^ ]+/ { sec = $1; pending = ""; next }
	/^ \*fill\*/ { if (sec != ".bss" && sec != ".hypercall_page") other["alignment fill"] += hex($3); next }
	/^ \.[^ ]+$/ { pending = $1; next }
	/^ \.[^ ]+ +0x[0-9a-f]+ +0x[0-9a-f]+ / { add(sec, hex($3), $4); pending = ""; next }
	pending != "" && /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / { add(sec, hex($2), $3); pending = ""; next }
	{ pending = "" }
	function hex(h,   i, c, v) {
		v = 0
		for (i = 3; i <= length(h); i++) {
			c = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	END {
		printf "%s: %d bytes stripped\n", name, total
		printf "  %-16s %8s %8s %8s %8s\n", "", "text", "rodata", "data", "total"
		n = split("kernel newlib lwip libgcc app", order, " ")
		counted = 0
		for (i = 1; i <= n; i++) {
			o = order[i]
			if (!sum[o]) continue
			printf "  %-16s %8d %8d %8d %8d\n", o, bytes[o, "text"], bytes[o, "rodata"], bytes[o, "data"], sum[o]
			counted += sum[o]
		}
		m = split("symbol table,Xen notes,alignment fill", kinds, ",")
		for (i = 1; i <= m; i++) {
			printf "  %-16s %35d\n", kinds[i], other[kinds[i]]
			counted += other[kinds[i]]
		}
		printf "  %-16s %35d\n", "headers, rest", total - counted
	}' "$elf.map"
done
