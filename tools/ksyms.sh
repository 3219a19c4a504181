#!/bin/sh
# Emit the .ksyms section (assembly) for backtraces from a linked image's text
# symbols: sorted addresses, offsets into a name table. Usage: ksyms.sh NM ELF
set -eu
"$1" -n --defined-only "$2" | awk 'BEGIN { n = 0 }
    $2 ~ /^[tTwW]$/ && $3 !~ /^\./ && $3 !~ /^(__text_|__image_)/ { addr[n] = $1; name[n] = $3; n++ }
    END {
        print "\t.section .ksyms, \"a\""
        print "\t.balign 8"
        print "\t.globl ksyms_count, ksyms_addrs, ksyms_offsets, ksyms_names"
        print "ksyms_count:\n\t.quad " n
        print "ksyms_addrs:"
        for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
        print "ksyms_offsets:"
        off = 0
        for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
        print "ksyms_names:"
        for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
    }'
