/*
 * Looking an address up in the symbol table (layout in ksyms.h): bisection over the
 * offsets, then a walk over the names to the one found and its expansion. Names
 * carry no index of their own to keep the table small; this runs only when a
 * backtrace is printed.
 */
#include "core/ksyms.h"

long ksyms_find(const struct ksyms *t, uint32_t off, uint32_t *within)
{
    uint32_t lo = 0, hi = t->count;

    if (hi == 0 || off < t->offsets[0])
        return -1;
    while (hi - lo > 1) { /* last symbol at or below off */
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->offsets[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *within = off - t->offsets[lo];
    return lo;
}

/*
 * Append byte c expanded. A token names only earlier tokens (the generator makes
 * them in order), which bounds the recursion; anything else shows as '?'.
 */
static size_t expand(const struct ksyms *t, unsigned int c, unsigned int below, char *buf,
                     size_t size, size_t len)
{
    if (c >= 0x80 && c - 0x80 < below && c - 0x80 < t->ntokens) {
        const unsigned char *pair = t->tokens + 2 * (c - 0x80);
        len = expand(t, pair[0], c - 0x80, buf, size, len);
        return expand(t, pair[1], c - 0x80, buf, size, len);
    }
    if (len + 1 < size)
        buf[len] = c >= 0x80 ? '?' : (char)c;
    return len + 1;
}

size_t ksyms_name(const struct ksyms *t, uint32_t i, char *buf, size_t size)
{
    const unsigned char *p = t->names;
    size_t len = 0;

    for (; i; i--)
        while (*p++)
            ;
    for (; *p; p++)
        len = expand(t, *p, 128, buf, size, len);
    if (size)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}
