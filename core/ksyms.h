/*
 * The image's symbol table for backtraces, as tools/ksyms.sh lays it out in .ksyms:
 * count, each function's start as a 32-bit offset from the start of text
 * (ascending), then the names in the same order, each NUL-terminated and compressed:
 * a byte from 0x80 up is token (byte - 0x80), which stands for the two bytes at
 * tokens[2 * token]; each of those is a character or an earlier token.
 */
#ifndef XENOLITH_KSYMS_H
#define XENOLITH_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms {
    uint32_t count;
    const uint32_t *offsets;
    const unsigned char *names;
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
