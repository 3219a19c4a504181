/* Memory ballooning: follow the toolstack's memory/target. */
#ifndef XENOLITH_BALLOON_H
#define XENOLITH_BALLOON_H

/*
 * Watch memory/target (needs xenstore). 0 or negative errno. Boot calls it through a
 * weak reference: an image that links no ballooning (<xenolith/link.h>) has none.
 */
int balloon_init(void);

#endif
