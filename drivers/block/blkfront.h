/*
 * blkfront internals, shared by blkfront.c (finding devices, the xenbus
 * handshake, feature negotiation) and blkfront_queue.c (rings, the grant page
 * pool, issuing requests and completing them).
 */
#ifndef XENOLITH_BLKFRONT_H
#define XENOLITH_BLKFRONT_H

#include <stdint.h>
#include <xenolith/blk.h>
#include "core/sched.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/xenbus.h"
#include "drivers/block/blkif_ring.h"

#define BLKFRONT_MAX_QUEUES     16
#define BLKFRONT_MAX_RING_ORDER 4 /* 16 pages: 512 requests in flight per queue */

/* A page the driver owns for data or indirect segments, granted to the backend. */
struct blk_page {
    struct blk_page *next;
    void *va; /* identity mapped: its address is its guest frame */
    grant_ref_t gref;
    int granted;
};

/* One ring request in flight, found by its slot in the in-flight table. */
struct blk_frag {
    struct xenolith_blk_request *req;
    struct blk_page *data; /* data pages, in order */
    struct blk_page *ind;  /* indirect segment pages, in order */
    uint64_t started_ns;
    uint64_t buf_off; /* where its data sits in req->buf */
    uint32_t nbytes;
};

struct blk_queue {
    struct xenolith_blk_dev *dev;
    unsigned int index;
    int cpu; /* the VCPU its events and thread are on */
    struct mutex lock;

    /* The shared ring and its event channel. */
    blkif_front_ring_t ring;
    struct blkif_sring *sring;
    unsigned int ring_pages;
    grant_ref_t ring_ref[1u << BLKFRONT_MAX_RING_ORDER];
    int ring_granted;
    evtchn_port_t port;
    int port_bound;

    /* Requests in flight (one slot per ring entry) and waiting to be issued. */
    struct blkif_inflight inflight;
    struct blkif_slot *slots;
    struct blk_frag *frags;
    struct blkif_reqlist pending;
    struct blkif_reqlist done; /* callbacks to run */

    /* Pages for data and indirect segments: a LIFO free list, up to pages_max. */
    struct blk_page *free_pages;
    unsigned int pages_total, pages_free, pages_max;
    grant_ref_t *grefs; /* scratch for the request being built */

    struct xenolith_blk_stats stats;
    struct waitq wq;      /* the queue thread sleeps here */
    struct waitq sync_wq; /* xenolith_blk_read & co. wait here for their request */
    unsigned int kicks;   /* bumped by events and by anyone who needs the thread */
    struct xenolith_thread *thread;
    struct blk_page *quarantined; /* pages of requests failed in flight (fail_all) */
    int stopping, stopped;        /* blkq_teardown asked the thread to end; it has */
    int failed;                   /* ring abandoned: every request failed, nothing issued again */
    int suspended;                /* a domain suspend: nothing is issued until it is over */
    int retired;                  /* taken away at a reconnect (blkq_retire) */
    uint64_t storm_reports;       /* event storm lines worth printing so far */
};

struct xenolith_blk_dev {
    struct xenbus_device xb;
    struct xenolith_blk_info info;
    blkif_vdev_t handle;
    unsigned int nqueues;
    struct blk_queue *queues;
    unsigned int queues_cap; /* entries allocated (kept for a re-attach) */
    int gone;                /* detached and released; a re-attach reconnects it */
    int moving; /* a new domain, until reconnected: the watched backend is the old one's */
    int persistent;
    uint32_t max_segs; /* segments per ring request */
    uint8_t flush_op;  /* BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER, or 0 (nothing to do) */
    int broken;        /* disconnected after a fault: every request fails with break_err */
    int break_err;
    uint64_t timeout_ns;
    struct xenolith_xs_watch state_watch; /* the backend's state, once connected */
};

/* Options shared by both files (xenolith.blk.*). */
extern int blk_opt_ignore_readonly;

/* Allocate queue q's ring, grant it, and bind an event channel for the backend. */
int blkq_init(struct blk_queue *q, struct xenolith_blk_dev *d, unsigned int index,
              unsigned int order);

/* After the handshake: size the page pool and start the queue's thread. */
int blkq_start(struct blk_queue *q, unsigned int pool_pages);

/*
 * Undo blkq_init (a device that never connected, or the end of blkq_teardown). Ring
 * pages the backend still maps are deferred (gnttab_end_access_free); how many.
 */
unsigned int blkq_release(struct blk_queue *q);

/*
 * A detached device whose backend has closed (everything already failed): end the
 * queue's thread, then end every grant and free every page, ring and pool. 0, or
 * -EBUSY when the backend still maps some page (that one is freed only once it lets
 * go: gnttab_end_access_free).
 */
int blkq_teardown(struct blk_queue *q);

/*
 * Around a domain suspend. blkq_quiesce: issue nothing more (requests wait in
 * the queue) and wait up to timeout_ns for what is in flight; 0, or -EBUSY if
 * some is still out. blkq_resume: issue again (after a cancelled suspend, or
 * once reconnected).
 */
int blkq_quiesce(struct blk_queue *q, uint64_t timeout_ns);
void blkq_resume(struct blk_queue *q);
/* In a new domain, before anything else: the queue's event channel went with the old
 * domain, and its number may be someone else's now: never close or unmask it. */
void blkq_forget_port(struct blk_queue *q);

/*
 * In a new domain, for the new backend (every grant and the event channel of
 * the old one are void). blkq_reconnect: a ring of 2^order pages (the old one
 * when the size stays), granted again, a new event channel; what was in flight
 * is issued again (counted into *replayed). blkq_retire: the queue is taken
 * away (the new backend offers fewer): its thread ends, what was in flight or
 * waiting goes to queue `to` (how many requests), everything is freed; the
 * struct stays (callers may still look at it). blkq_regrant_pool: the pool
 * for the new backend's features (segments per request, persistent grants).
 */
int blkq_reconnect(struct blk_queue *q, unsigned int order, unsigned int *replayed);
unsigned int blkq_retire(struct blk_queue *q, struct blk_queue *to, unsigned int *replayed);
int blkq_regrant_pool(struct blk_queue *q, unsigned int pool_pages);

/* Grants the queue holds now (ring and pool). Under q->lock. */
unsigned int blkq_grants_held(struct blk_queue *q);

/*
 * Grants the device holds, and (*in_use) the grant table's count read at the
 * same moment, with every queue locked: for leak checks in tests.
 */
unsigned int blkfront_grants_held(struct xenolith_blk_dev *d, unsigned int *in_use);

/* Queue the requests on q and issue what fits. See xenolith_blk_submitv. */
int blkq_submit(struct blk_queue *q, struct xenolith_blk_request **rs, int n);

/*
 * Disconnect the device after a fault of the backend's (or a timeout): say why,
 * fail every request in flight or waiting with err, refuse new ones. Any
 * context that may block; takes no queue lock.
 */
void blkfront_break(struct xenolith_blk_dev *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
