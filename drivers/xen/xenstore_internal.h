/* Kernel-side set-up of the xenstore client (the API is <xenolith/xenstore.h>). */
#ifndef XENOLITH_XENSTORE_INTERNAL_H
#define XENOLITH_XENSTORE_INTERNAL_H

/* Map the ring, bind its port, start the reader and watch threads. 0 or -errno. */
int xenstore_init(void);

#endif
