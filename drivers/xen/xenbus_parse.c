/*
 * Strict parsing of backend properties ("feature-persistent", "sectors", queue
 * counts...). strtol would take "  12abc" as 12, "-1" as a huge unsigned number and
 * clamp an overflow silently; a backend's value is either a plain number or ignored.
 * A number can still be absurd (2^32 queues, ring order 2^32, 0 queues): xenbus_fit
 * clamps it into what the frontend can use and says which way.
 * Pure logic, host tested (tests/unit/test_xenbus_parse.c, tests/fuzz/fuzz_xenbus.c).
 */
#include <errno.h>
#include <limits.h>
#include "drivers/xen/xenbus_parse.h"

int xenbus_parse_ulong(const char *s, unsigned long *out)
{
    unsigned long v = 0;
    int overflow = 0;

    if (*s == '\0')
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL; /* not a number, however long its digits ran before */
        unsigned int d = (unsigned int)(*s - '0');
        if (v > (ULONG_MAX - d) / 10)
            overflow = 1;
        v = v * 10 + d;
    }
    if (overflow)
        return -ERANGE;
    *out = v;
    return 0;
}

enum xenbus_fit xenbus_fit(unsigned long offer, unsigned long lo, unsigned long hi,
                           unsigned long *use)
{
    if (offer < lo) {
        *use = lo;
        return XENBUS_RAISED;
    }
    if (offer > hi) {
        *use = hi;
        return XENBUS_CAPPED;
    }
    *use = offer;
    return XENBUS_FITS;
}
