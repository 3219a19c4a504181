/* Values that backends and the toolstack write in xenstore, parsed strictly. Pure. */
#ifndef XENOLITH_XENBUS_PARSE_H
#define XENOLITH_XENBUS_PARSE_H

/*
 * s as an unsigned decimal number: one or more digits and nothing else (no sign,
 * space, "0x" or trailing bytes). Returns 0 with *out set, -EINVAL when s is not
 * such a number, -ERANGE when it does not fit an unsigned long.
 */
int xenbus_parse_ulong(const char *s, unsigned long *out);

/* How a count the backend offers (queues, ring order, segments) fits what we can use. */
enum xenbus_fit {
    XENBUS_FITS,   /* lo <= offer <= hi: used as it is */
    XENBUS_RAISED, /* below lo: lo is used */
    XENBUS_CAPPED, /* above hi: hi is used */
};

/* offer clamped to [lo, hi] (lo <= hi) into *use, and which way it went. */
enum xenbus_fit xenbus_fit(unsigned long offer, unsigned long lo, unsigned long hi,
                           unsigned long *use);

#endif
