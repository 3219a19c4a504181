#!/bin/sh
# Emit the .ksyms section (assembly) for backtraces from a linked image's text
# symbols, in the layout of core/ksyms.h: a count, the tokens, then each function's
# start as the LEB128 distance from the one before (the first: from __text_start) and
# its name, NUL-terminated and compressed with up to 128 tokens (bytes 0x80-0xff), each
# the most frequent pair of bytes (literal or token) left when it was made. Of several
# names at one address only the first is kept.
# Usage: ksyms.sh NM ELF
set -eu
export LC_ALL=C
"$1" -n --defined-only "$2" | awk '
    BEGIN { n = 0 }
    $3 == "__text_start" { base = $1 }
    $2 ~ /^[tTwW]$/ && $3 !~ /^\./ && $3 !~ /^(__text_|__app_text_|__image_)/ && $1 != last {
        addr[n] = $1; name[n] = $3; n++; last = $1
    }
    END {
        if (base == "") { print "ksyms.sh: no __text_start" > "/dev/stderr"; exit 1 }
        for (c = 1; c < 256; c++) ord[sprintf("%c", c)] = c
        # Greedy: make the most frequent pair a token (ties: the smaller pair), while
        # it saves more than the two bytes the token costs.
        for (t = 0; t < 128; t++) {
            split("", count)
            for (i = 0; i < n; i++)
                for (j = 1; j < length(name[i]); j++) count[substr(name[i], j, 2)]++
            best = ""; most = 0
            for (p in count)
                if (count[p] > most || (count[p] == most && p < best)) { best = p; most = count[p] }
            if (most < 3) break
            tok[t] = best
            tc = sprintf("%c", 128 + t)
            for (i = 0; i < n; i++) {
                rest = name[i]; out = ""
                while ((j = index(rest, best)) > 0) {
                    out = out substr(rest, 1, j - 1) tc
                    rest = substr(rest, j + 2)
                }
                name[i] = out rest
            }
        }
        print "\t.section .ksyms, \"a\""
        print "\t.balign 4"
        print "\t.globl ksyms_count, ksyms_ntokens, ksyms_tokens, ksyms_entries"
        print "ksyms_count:\n\t.long " n
        print "ksyms_ntokens:\n\t.long " t
        print "ksyms_tokens:"
        for (i = 0; i < t; i++) print "\t.byte " ord[substr(tok[i], 1, 1)] ", " ord[substr(tok[i], 2, 1)]
        print "ksyms_entries:"
        prev = base
        for (i = 0; i < n; i++) {
            print "\t.uleb128 0x" addr[i] " - 0x" prev
            prev = addr[i]
            line = "\t.byte "
            for (j = 1; j <= length(name[i]); j++) line = line ord[substr(name[i], j, 1)] ", "
            print line "0"
        }
    }'
