/*
 * xenbus: PV devices as xenstore sees them. A frontend lives at
 * device/<type>/<id> (its "state", "backend", "backend-id"); its backend at the
 * path "backend" names. Shared by netfront and blkfront.
 */
#ifndef XENOLITH_XENBUS_H
#define XENOLITH_XENBUS_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/xenbus.h>
#include <xenolith/xenstore.h>
#include "core/sched.h"

struct xenbus_device {
    char nodename[64];   /* "device/vif/0" */
    char otherend[128];  /* the backend's directory */
    domid_t otherend_id; /* the backend's domain */
    struct xenolith_xs_watch otherend_watch;
    struct waitq otherend_wq; /* woken when the backend's state changes */
    unsigned int otherend_changes;
    int watching;
};

/* The ids under device/<type>, e.g. "0", "1". Returns the count; free(*ids). */
int xenbus_list(const char *type, char ***ids);

/* Read and check nodename, backend path and backend domain. 0 or -errno. */
int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id);

/* Write our state. */
int xenbus_switch_state(struct xenbus_device *dev, XenbusState state);

/* The backend's state, or -errno. */
int xenbus_otherend_state(struct xenbus_device *dev);

/*
 * Wait until the backend's state is one of those in `mask` (1 << XenbusState*).
 * Returns the state, -ETIMEDOUT, or -errno.
 */
int xenbus_wait_otherend(struct xenbus_device *dev, uint32_t mask, uint64_t timeout_ns);

/*
 * A count the backend offers (name, dflt when absent), clamped to [lo, hi]; a value
 * outside is said on the console, as "WHO: backend's NAME V is more than we can
 * use; clamped to HI" (or "... less than we need; raised to LO").
 */
unsigned long xenbus_otherend_count(struct xenbus_device *dev, const char *who, const char *name,
                                    unsigned long dflt, unsigned long lo, unsigned long hi);
/* The same for a value already read: v clamped to [lo, hi], said when it had to be. */
unsigned long xenbus_fit_report(const char *who, const char *name, unsigned long v,
                                unsigned long lo, unsigned long hi);

/* An unsigned backend property such as "feature-persistent"; dflt when absent. */
unsigned long xenbus_otherend_ulong(struct xenbus_device *dev, const char *name,
                                    unsigned long dflt);

/* Write "<nodename>/<name>" = printf-style value, inside transaction tx. */
int xenbus_printf(xenolith_xs_tx_t tx, struct xenbus_device *dev, const char *name, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

const char *xenbus_state_name(int state);

/* qsort order of device ids (char * elements) by their number: "2" before "10". */
int xenbus_by_number(const void *a, const void *b);

/* Stop watching the backend (device going away). */
void xenbus_device_release(struct xenbus_device *dev);

#endif
