/* The first link's stand-in for the symbol table (see tools/ksyms.sh). */
    .section .ksyms, "a"
    .balign 4
    .globl ksyms_count, ksyms_ntokens, ksyms_tokens, ksyms_entries
ksyms_count:
ksyms_ntokens:
    .long 0
ksyms_tokens:
ksyms_entries:
    .byte 0
