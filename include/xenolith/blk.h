/*
 * Block devices: the domain's PV disks (one per `disk` entry of the xl config).
 *
 * Devices are found and connected on first use (xenolith_blk_dev_count() or
 * xenolith_blk_dev_get()), so an app that never touches a disk pays nothing for them.
 *
 * Addressing is in bytes. Every transfer must start at a multiple of the
 * device's sector size (xenolith_blk_info.sector_size, 512 or more), be a non-zero
 * multiple of it long, and lie inside the device; anything else is refused
 * with -EINVAL. Buffers need no alignment: data goes through pages the driver
 * owns and has granted to the backend, so the backend never sees the caller's
 * memory and a request of any size is cut into ring requests for you.
 *
 * Errors are negative errno values: -EINVAL (bad range or arguments), -EROFS
 * (a write, discard or flush on a read-only device), -EOPNOTSUPP (a discard or
 * flush the backend does not offer, or an operation it refused as unsupported),
 * -EIO (the backend failed the I/O, or the device was disconnected after a
 * protocol error), -ETIMEDOUT (the backend did not answer within the timeout; the device
 * is disconnected), -ENODEV (no such device), -ENOMEM.
 */
#ifndef XENOLITH_BLK_H
#define XENOLITH_BLK_H

#include <stddef.h>
#include <stdint.h>

struct xenolith_blk_dev;

/* What the backend offered and we agreed to use (xenolith_blk_info.features). */
#define XENOLITH_BLK_F_FLUSH                                                                       \
    (1u << 0) /* feature-flush-cache: xenolith_blk_flush reaches stable storage */
#define XENOLITH_BLK_F_BARRIER                                                                     \
    (1u << 1) /* feature-barrier (used for flushes without the above)                              \
               */
#define XENOLITH_BLK_F_DISCARD        (1u << 2) /* feature-discard */
#define XENOLITH_BLK_F_SECURE_DISCARD (1u << 3) /* discard-secure */
#define XENOLITH_BLK_F_PERSISTENT     (1u << 4) /* persistent grants */
#define XENOLITH_BLK_F_INDIRECT       (1u << 5) /* indirect descriptors (large ring requests) */

struct xenolith_blk_info {
    char name[16];        /* "xvda", from the virtual-device number */
    uint32_t vdev;        /* the virtual-device number (xenstore id), 51712 for xvda */
    uint64_t sectors;     /* size in sectors of sector_size bytes */
    uint32_t sector_size; /* logical sector size: the unit of addressing */
    uint32_t physical_sector_size;
    int read_only;                /* writes and discards fail with -EROFS */
    uint32_t features;            /* BLK_F_* */
    unsigned int queues;          /* rings in use (one per VCPU, up to the backend's maximum) */
    unsigned int ring_pages;      /* pages per ring */
    unsigned int ring_slots;      /* ring requests in flight per queue */
    unsigned int max_segments;    /* pages per ring request: 11, or the indirect maximum */
    uint32_t discard_granularity; /* bytes (when XENOLITH_BLK_F_DISCARD) */
    uint32_t discard_alignment;   /* bytes */
};

/*
 * Number of devices seen; the first call finds and connects them. It grows when
 * a disk is attached later (xl block-attach); a detached one keeps its index.
 */
int xenolith_blk_dev_count(void);

/*
 * Device `index` (0 .. count-1: boot's devices in virtual-device order, xvda before
 * xvdb, then later attachments in the order they came), or NULL.
 */
struct xenolith_blk_dev *xenolith_blk_dev_get(int index);

/*
 * Hot attach and detach. fn(d, 1, arg) after a device is attached and connected,
 * fn(d, 0, arg) once a detached device (xl block-detach) is released: from the
 * detach on its requests fail with -EIO. The struct xenolith_blk_dev stays valid: attaching
 * the same virtual device again brings it back (fn(d, 1) again). Runs in the block
 * hotplug thread. 0 or -ENOMEM.
 */
typedef void (*xenolith_blk_hotplug_fn)(struct xenolith_blk_dev *d, int attached, void *arg);
int xenolith_blk_on_hotplug(xenolith_blk_hotplug_fn fn, void *arg);

/* 1 while the device is connected; 0 once detached or disconnected after a fault. */
int xenolith_blk_dev_connected(struct xenolith_blk_dev *d);

/* The device named "xvdb" (or with virtual-device number "51728"), or NULL. */
struct xenolith_blk_dev *xenolith_blk_dev_find(const char *name);

void xenolith_blk_dev_info(struct xenolith_blk_dev *d, struct xenolith_blk_info *info);

enum xenolith_blk_op {
    XENOLITH_BLK_READ,
    XENOLITH_BLK_WRITE,
    XENOLITH_BLK_FLUSH,   /* writes completed before the flush was submitted reach stable storage;
                           * with XENOLITH_BLK_F_BARRIER also an ordering point on the queue: writes
                           * submitted before it complete before it does */
    XENOLITH_BLK_DISCARD, /* the range's contents become undefined (a hint: may do nothing) */
};

struct xenolith_blk_request;

/*
 * Completion: called exactly once for every request xenolith_blk_submit accepted, with
 * 0 or a negative errno, in the thread of the queue that ran the request
 * (thread context: it may block and may submit more requests). After it
 * returns, the request and its buffer belong to the caller again.
 */
typedef void (*xenolith_blk_done_fn)(struct xenolith_blk_request *r, int status);

struct xenolith_blk_request {
    /* Set by the caller. */
    enum xenolith_blk_op op;
    uint64_t offset; /* bytes (READ, WRITE, DISCARD) */
    uint64_t len;    /* bytes (READ, WRITE, DISCARD) */
    void *buf;       /* READ: filled in; WRITE: read from. Any alignment. */
    xenolith_blk_done_fn done;
    void *arg; /* for the caller */

    /* The driver's, while the request is in its hands. */
    struct xenolith_blk_request *_next;
    void *_queue;       /* the queue it runs on */
    uint64_t _issued;   /* bytes handed to the ring so far */
    uint32_t _inflight; /* ring requests outstanding */
    int _pending;       /* still in the queue's list of requests to issue */
    int _status;
};

/*
 * Start a request on the queue of the calling VCPU. Returns 0 when accepted
 * (r->done will be called once), or a negative errno when refused (done is not
 * called). Never blocks on I/O; requests beyond what the rings and the grant
 * pool take at once wait in order inside the driver.
 */
int xenolith_blk_submit(struct xenolith_blk_dev *d, struct xenolith_blk_request *r);

/* Submit n requests with one notification of the backend at most. Returns how many were
 * accepted (they are the first ones), or the refusal of the first one. */
int xenolith_blk_submitv(struct xenolith_blk_dev *d, struct xenolith_blk_request **rs, int n);

/*
 * Synchronous helpers: submit and wait (thread context). 0 or a negative errno;
 * -EDEADLK when called from a completion callback of the same device's queue.
 */
int xenolith_blk_read(struct xenolith_blk_dev *d, uint64_t offset, void *buf, uint64_t len);
int xenolith_blk_write(struct xenolith_blk_dev *d, uint64_t offset, const void *buf, uint64_t len);
/*
 * A flush is always sent to the backend (as BLKIF_OP_FLUSH_DISKCACHE, or as a
 * WRITE_BARRIER when that is all it offers), never completed without it: with
 * neither feature, xenolith_blk_flush returns -EOPNOTSUPP and sends nothing (such a
 * backend has no cache to flush: completed writes are on stable storage).
 */
int xenolith_blk_flush(struct xenolith_blk_dev *d);
int xenolith_blk_discard(struct xenolith_blk_dev *d, uint64_t offset, uint64_t len);

/* Counters for tests and benchmarks. */
struct xenolith_blk_stats {
    uint64_t reads, writes, flushes, discards; /* caller requests completed */
    uint64_t read_bytes, write_bytes;
    uint64_t ring_requests; /* ring requests made */
    uint64_t indirect_requests;
    uint64_t notifications; /* event channel sends to the backend */
    uint64_t interrupts;    /* events from the backend */
    uint64_t idle_events;   /* queue passes an event started that found no response */
    uint64_t errors;        /* requests completed with an error */
    uint64_t pool_pages;    /* data/indirect pages the driver owns */
    uint64_t grants_leaked; /* pages the backend still mapped when revoked (deferred) */

    /* What shows a feature in use. */
    uint64_t flush_requests;   /* BLKIF_OP_FLUSH_DISKCACHE ring requests made */
    uint64_t barrier_requests; /* BLKIF_OP_WRITE_BARRIER ring requests made */
    uint64_t discard_requests; /* BLKIF_OP_DISCARD ring requests made */
    uint64_t segments;         /* data and indirect pages handed to the backend in ring requests */
    uint64_t grants;           /* grants made for such pages: fewer than segments when they are
                                * persistent (granted once, reused) */
    uint64_t max_in_flight;    /* most ring requests in flight at once on a queue (the maximum
                                * over the queues when summed); over 32 needs a multi-page ring */
};

/* One queue's counters; queue XENOLITH_BLK_STATS_ALL (or any queue >= the count) sums them. */
#define XENOLITH_BLK_STATS_ALL (~0u)
void xenolith_blk_dev_stats(struct xenolith_blk_dev *d, unsigned int queue,
                            struct xenolith_blk_stats *st);

/* "xvda: 131072 sectors of 512, rw, 1 queue, ..." for logs. */
int xenolith_blk_dev_describe(struct xenolith_blk_dev *d, char *buf, size_t size);

#endif
