/*
 * The image's symbol table for backtraces, as tools/ksyms.sh lays it out in .ksyms:
 * count, the tokens, then one entry per function in address order: its start as the
 * distance from the previous function's start (the first: from the start of text),
 * in LEB128 (7 bits a byte, low first, the top bit set on all but the last byte),
 * then its name, NUL-terminated and compressed: a byte from 0x80 up is token
 * (byte - 0x80), which stands for the two bytes at tokens[2 * token]; each of those
 * is a character or an earlier token. Most functions are under 128 bytes long, so
 * most starts take one byte.
 */
#ifndef XENOLITH_KSYMS_H
#define XENOLITH_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms {
    uint32_t count;
    const unsigned char *entries;
    uint32_t ntokens;
    const unsigned char *tokens;
};

/*
 * Index of the symbol at or below text offset off, or -1 when off is below the
 * first one. *within gets off minus the symbol's start.
 */
long ksyms_find(const struct ksyms *t, uint32_t off, uint32_t *within);

/* Symbol i's name into buf (NUL-terminated, cut to size); returns its full length. */
size_t ksyms_name(const struct ksyms *t, uint32_t i, char *buf, size_t size);

#endif
