/* Kernel-side set-up of the xenstore client (the API is <xenolith/xenstore.h>). */
#ifndef XENOLITH_XENSTORE_INTERNAL_H
#define XENOLITH_XENSTORE_INTERNAL_H

/*
 * Map the ring, bind its port, start the reader and watch threads. 0 or -errno.
 * Boot calls xenstore_expect first and xenstore_init on a thread of its own, so
 * main need not wait: requests made before the ring is up wait for it (or fail
 * with -ENODEV when it never comes).
 */
void xenstore_expect(void);
int xenstore_init(void);

/*
 * Reset the ring with xenstored (xenstore-ring.txt "connection" field), as after
 * a resume: requests in flight fail with -EAGAIN, watches are registered again.
 * 0, -ENOTSUP when xenstored cannot, or -errno.
 */
int xenstore_reconnect(void);

/* Around a suspend: quiesce the ring (0, or -EBUSY: do not suspend), then take it
 * up again; new_domain: the event channel and every watch must be set up anew. */
int xenstore_suspend(void);
void xenstore_resume(int new_domain);

#endif
