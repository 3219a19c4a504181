/*
 * The frontend's half of the xenbus handshake: one sequence for every PV device,
 * for its first connect and for the reconnect to a new backend after a resume.
 *
 *   backend InitWait -> the driver prepares (reads the backend's limits, sets up
 *   or re-grants its rings) -> the driver's keys in one transaction, then our
 *   state -> backend Connected -> the driver finishes -> our state Connected.
 *
 * A backend that is elsewhere in its life (Closing, Closed, already Connected),
 * leaves during the handshake, or is silent past the timeout ends it with one
 * console message naming the step.
 */
#ifndef XENOLITH_XENBUS_FRONTEND_H
#define XENOLITH_XENBUS_FRONTEND_H

#include "core/sched.h"
#include "drivers/xen/xenbus.h"

struct xenbus_frontend {
    const char *who; /* "blk xvda": the start of every message */
    /* The state published with the keys: blkback connects on Initialised, netback on Connected. */
    XenbusState publish_state;
    int (*prepare)(void *drv);                         /* the backend waits: read its offer */
    int (*write_keys)(xenolith_xs_tx_t tx, void *drv); /* ours, inside the transaction */
    int (*finish)(void *drv);                          /* the backend is connected; may be NULL */
    void *drv;
    uint64_t timeout_ns; /* for each wait on the backend */
};

/* Run the handshake on xb (already xenbus_device_init'ed). 0 or -errno. */
int xenbus_frontend_connect(struct xenbus_device *xb, const struct xenbus_frontend *f);

/*
 * The VCPU for a device's queue `index`: `now` (its VCPU so far, -1 if none)
 * while that is online and staying, else VCPU `index` if it is, else another
 * online one spread by index (frontend_layout_cpu). A queue made for a VCPU
 * that went offline (or did not come back after a restore) is re-homed so.
 */
int xenbus_frontend_queue_cpu(unsigned int index, int now);

/* A driver's timeout option in ms as ns: fallback_ms when the option is not positive. */
uint64_t frontend_timeout_ns(int ms, int fallback_ms);

/*
 * A driver's reconnect after a restore or a migration runs in a thread of its own;
 * the next suspend waits for it (bounded), since a reconnect carried into yet
 * another domain would go on talking to a backend that is no longer ours.
 */
struct frontend_reconnect {
    int busy;
    struct waitq wq;
};
#define FRONTEND_RECONNECT_INIT(name)                                                              \
    {                                                                                              \
        0, WAITQ_INIT((name).wq)                                                                   \
    }
void frontend_reconnect_begin(struct frontend_reconnect *r);
void frontend_reconnect_end(struct frontend_reconnect *r);
/*
 * Before a suspend: 0 once no reconnect runs, -ETIMEDOUT if one still does after
 * timeout_ns. Says on the console, as `who`, how long it waited or that it gave up.
 */
int frontend_reconnect_wait(struct frontend_reconnect *r, uint64_t timeout_ns, const char *who);

#endif
