/* Values that backends and the toolstack write in xenstore, parsed strictly. Pure. */
#ifndef XENOLITH_XENBUS_PARSE_H
#define XENOLITH_XENBUS_PARSE_H

/*
 * s as an unsigned decimal number: one or more digits and nothing else (no sign,
 * space, "0x" or trailing bytes). Returns 0 with *out set, -EINVAL when s is not
 * such a number, -ERANGE when it does not fit an unsigned long.
 */
int xenbus_parse_ulong(const char *s, unsigned long *out);

#endif
