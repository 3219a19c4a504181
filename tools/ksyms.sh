#!/bin/sh
# Emit the .ksyms section (assembly) for backtraces from a linked image's text
# symbols, in the layout of core/ksyms.h: a count, 32-bit offsets from __text_start
# (ascending), then the names. Of several names at one address only the first is kept.
# Usage: ksyms.sh NM ELF
set -eu
"$1" -n --defined-only "$2" | awk '
    BEGIN { n = 0 }
    $3 == "__text_start" { base = $1 }
    $2 ~ /^[tTwW]$/ && $3 !~ /^\./ && $3 !~ /^(__text_|__image_)/ && $1 != last {
        addr[n] = $1; name[n] = $3; n++; last = $1
    }
    END {
        if (base == "") { print "ksyms.sh: no __text_start" > "/dev/stderr"; exit 1 }
        print "\t.section .ksyms, \"a\""
        print "\t.balign 4"
        print "\t.globl ksyms_count, ksyms_offsets, ksyms_names"
        print "ksyms_count:\n\t.long " n + 0
        print "ksyms_offsets:"
        for (i = 0; i < n; i++) print "\t.long 0x" addr[i] " - 0x" base
        print "ksyms_names:"
        for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
    }'
