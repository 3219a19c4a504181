/* Memory ballooning: follow the toolstack's memory/target. */
#ifndef XENOLITH_BALLOON_H
#define XENOLITH_BALLOON_H

/*
 * Watch memory/target (needs xenstore). 0 or negative errno. Weak: NULL in an image
 * that links no ballooning (<xenolith/link.h>).
 */
extern int balloon_init(void) __attribute__((weak));

#endif
