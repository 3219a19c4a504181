/*
 * The image's symbol table for backtraces, as tools/ksyms.sh lays it out in .ksyms:
 * count, then each function's start as a 32-bit offset from the start of text
 * (ascending), then the names, each NUL-terminated, in the same order.
 */
#ifndef XENOLITH_KSYMS_H
#define XENOLITH_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms {
    uint32_t count;
    const uint32_t *offsets;
    const char *names;
};

/*
 * The symbol at or below text offset off, or NULL when off is below the first one.
 * *within gets off minus the symbol's start.
 */
const char *ksyms_find(const struct ksyms *t, uint32_t off, uint32_t *within);

#endif
