/*
 * Looking an address up in the symbol table (layout in ksyms.h): bisection over the
 * offsets, then a walk over the names to the one found. Names carry no index of
 * their own to keep the table small; the walk runs only when a backtrace is printed.
 */
#include "core/ksyms.h"

const char *ksyms_find(const struct ksyms *t, uint32_t off, uint32_t *within)
{
    uint32_t lo = 0, hi = t->count;

    if (hi == 0 || off < t->offsets[0])
        return NULL;
    while (hi - lo > 1) { /* last symbol at or below off */
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->offsets[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    const char *name = t->names;
    for (uint32_t i = 0; i < lo; i++)
        while (*name++)
            ;
    *within = off - t->offsets[lo];
    return name;
}
