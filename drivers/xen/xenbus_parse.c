/*
 * Strict parsing of backend properties ("feature-persistent", "sectors", queue
 * counts...). strtol would take "  12abc" as 12, "-1" as a huge unsigned number and
 * clamp an overflow silently; a backend's value is either a plain number or ignored.
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
