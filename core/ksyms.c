/*
 * Looking an address up in the symbol table (layout in ksyms.h): a walk over the
 * entries, adding up the distances, to the last function that starts at or below
 * the address; then its name's expansion. Entries carry no index and no absolute
 * address to keep the table small; this runs only when a backtrace is printed.
 */
#include "core/ksyms.h"

/* The distance at p (at most 5 bytes: 32 bits); returns the byte after it. */
static const unsigned char *read_distance(const unsigned char *p, uint32_t *d)
{
    uint32_t v = 0;
    for (unsigned int shift = 0; shift < 35; shift += 7) {
        unsigned char b = *p++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *d = v;
    return p;
}

static const unsigned char *skip_name(const unsigned char *p)
{
    while (*p++)
        ;
    return p;
}

long ksyms_find(const struct ksyms *t, uint32_t off, uint32_t *within)
{
    const unsigned char *p = t->entries;
    uint32_t start = 0, found_start = 0;
    long found = -1;

    for (uint32_t i = 0; i < t->count; i++) {
        uint32_t d;
        p = read_distance(p, &d);
        if (d > off - start)
            break; /* this one starts past off (start <= off holds throughout) */
        start += d;
        found = i;
        found_start = start;
        p = skip_name(p);
    }
    if (found >= 0)
        *within = off - found_start;
    return found;
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
    const unsigned char *p = t->entries;
    size_t len = 0;
    uint32_t d;

    for (; i; i--)
        p = skip_name(read_distance(p, &d));
    for (p = read_distance(p, &d); *p; p++)
        len = expand(t, *p, 128, buf, size, len);
    if (size)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}
