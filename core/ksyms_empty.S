/* The first link's stand-in for the symbol table (see tools/ksyms.sh). */
    .section .ksyms, "a"
    .balign 8
    .globl ksyms_count, ksyms_addrs, ksyms_offsets, ksyms_names
ksyms_count:
    .quad 0
ksyms_addrs:
ksyms_offsets:
ksyms_names:
    .byte 0
