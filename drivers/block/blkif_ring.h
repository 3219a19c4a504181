/*
 * The blkif ring without hypercalls: which requests are in flight (the ids the
 * backend must echo), how a transfer is cut into ring requests, how each kind
 * of request is laid out, and how responses are taken off the shared ring with
 * every id, operation and status checked. Host tested by
 * tests/unit/test_blkif_ring.c; drivers/block/blkfront*.c does the rest.
 */
#ifndef XENOLITH_BLKIF_RING_H
#define XENOLITH_BLKIF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xenolith/blk.h>

/*
 * The ring macros' barriers: ring.h leaves them to the includer (or, for old
 * interface versions, names ones we do not have). x86 keeps stores and loads
 * in order except store-then-load, so only the full barrier is a fence.
 */
#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

/* Sector-based quantities on the ring are in 512-byte units, whatever "sector-size" says. */
#define BLKIF_SECTOR_SHIFT 9
#define BLKIF_PAGE_SHIFT   12
#define BLKIF_PAGE_SIZE    (1u << BLKIF_PAGE_SHIFT)
#define BLKIF_SEGS_PER_INDIRECT_PAGE                                                               \
    ((uint32_t)(BLKIF_PAGE_SIZE / sizeof(struct blkif_request_segment)))
/* The most segments one indirect request can describe (8 pages of 512). */
#define BLKIF_MAX_INDIRECT_SEGS                                                                    \
    (BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * BLKIF_SEGS_PER_INDIRECT_PAGE)

/* ---- requests in flight ---- */

/* One ring request we are waiting for. */
struct blkif_slot {
    uint32_t gen;       /* bumped at every use, so ids of earlier uses never match */
    uint32_t next_free; /* free list link */
    uint8_t busy;
    uint8_t op;     /* operation a response must carry */
    uint8_t alt_op; /* also accepted (an indirect request may be answered with its inner op) */
};

struct blkif_inflight {
    struct blkif_slot *slot;
    uint32_t n;
    uint32_t nr_busy;
    uint32_t free_head;
};

#define BLKIF_SLOT_NONE 0xffffffffu

/* Manage n slots (n > 0; the ring size, as no more requests can be outstanding). */
void blkif_inflight_init(struct blkif_inflight *t, struct blkif_slot *slots, uint32_t n);

/*
 * Take a slot for a request of operation op (alt_op: a second operation the
 * response may carry, or op again). Sets *slot and the request id to use.
 * -ENOSPC when every slot is busy.
 */
int blkif_inflight_get(struct blkif_inflight *t, uint8_t op, uint8_t alt_op, uint32_t *slot,
                       uint64_t *id);

/* Forget a busy slot without a response (the device is being torn down). */
void blkif_inflight_put(struct blkif_inflight *t, uint32_t slot);

/* The id a slot's current request carries. */
uint64_t blkif_inflight_id(const struct blkif_inflight *t, uint32_t slot);

/* ---- cutting transfers and building requests ---- */

/*
 * Is [offset, offset + len) a valid transfer on a disk of `sectors` sectors of
 * `sector_size` bytes? Offset and length must be multiples of the sector size,
 * the length non-zero, and the range inside the disk. 0 or -EINVAL.
 */
int blkif_check_range(uint64_t offset, uint64_t len, uint32_t sector_size, uint64_t sectors);

/* Data pages (segments) a request of nbytes takes; its data starts at offset 0 of page 0. */
static inline uint32_t blkif_data_pages(uint32_t nbytes)
{
    return (nbytes + BLKIF_PAGE_SIZE - 1) >> BLKIF_PAGE_SHIFT;
}

/* Indirect pages a request of nsegs segments takes (0: it fits a direct request). */
static inline uint32_t blkif_indirect_pages(uint32_t nsegs)
{
    if (nsegs <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return 0;
    return (nsegs + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / BLKIF_SEGS_PER_INDIRECT_PAGE;
}

/*
 * The size of the next ring request of a transfer with `remaining` bytes left,
 * when a request may have at most max_segs segments (11 without indirect
 * descriptors). A multiple of the page size unless it is the last piece.
 */
uint32_t blkif_next_chunk(uint64_t remaining, uint32_t max_segs);

/*
 * Segments per ring request, from the backend's feature-max-indirect-segments
 * (`offer`, 0 when absent) and ours (`wish`, xenolith.blk.indirect): a direct
 * request's 11 unless both are more than that (indirect descriptors), and never more
 * than BLKIF_MAX_INDIRECT_SEGS, however much is offered.
 */
uint32_t blkif_segments_to_use(unsigned long offer, unsigned long wish);

/* What a read or write ring request carries. */
struct blkif_rw {
    uint64_t id;
    uint8_t op; /* BLKIF_OP_READ or BLKIF_OP_WRITE */
    blkif_vdev_t handle;
    uint64_t sector;          /* 512-byte units */
    uint32_t nbytes;          /* multiple of 512; data from offset 0 of the first page */
    const grant_ref_t *grefs; /* one per data page */
    /* With more than 11 pages: the indirect pages (their contents are written
     * here) and their grant refs. */
    struct blkif_request_segment *const *ind_pages;
    const grant_ref_t *ind_grefs;
};

/*
 * Lay out a read or write in *dst (a ring slot): direct when it has at most 11
 * segments, else indirect (the segment arrays go into rw->ind_pages). Returns
 * the number of segments, or -EINVAL for an impossible request.
 */
int blkif_build_rw(blkif_request_t *dst, const struct blkif_rw *rw);

/* A flush (BLKIF_OP_FLUSH_DISKCACHE) or barrier (BLKIF_OP_WRITE_BARRIER) with no data. */
void blkif_build_flush(blkif_request_t *dst, uint64_t id, uint8_t op, blkif_vdev_t handle);

void blkif_build_discard(blkif_request_t *dst, uint64_t id, blkif_vdev_t handle, uint64_t sector,
                         uint64_t nr_sectors, int secure);

/* ---- responses ---- */

enum blkif_fault_kind {
    BLKIF_FAULT_NONE,
    BLKIF_FAULT_PROD,      /* rsp_prod claims more responses than requests we made */
    BLKIF_FAULT_BAD_ID,    /* the id names no slot */
    BLKIF_FAULT_REPEATED,  /* the slot is idle: a second response for one request */
    BLKIF_FAULT_STALE,     /* the id of an earlier use of a busy slot */
    BLKIF_FAULT_OPERATION, /* the operation differs from the request's */
    BLKIF_FAULT_STATUS,    /* a status that blkif.h does not define */
};

/* What was wrong with the ring, for the message that disconnects the device. */
struct blkif_fault {
    enum blkif_fault_kind kind;
    RING_IDX index; /* response index (or rsp_prod for BLKIF_FAULT_PROD) */
    uint64_t id;
    uint8_t operation;
    int16_t status;
    uint32_t slot; /* for BLKIF_FAULT_STATUS and _OPERATION: the request it belonged to */
};

const char *blkif_fault_name(enum blkif_fault_kind kind);

/* Called once per valid response, after its slot is released: err is 0, -EIO or -EOPNOTSUPP. */
typedef void (*blkif_done_fn)(void *ctx, uint32_t slot, int err);

/*
 * Take every response the backend has produced, re-arming rsp_event before
 * stopping (RING_FINAL_CHECK_FOR_RESPONSES), and call fn for each. Each
 * response is copied out of the shared ring before it is looked at. Returns
 * the number taken, or -EPROTO at the first bad response with *fault filled in
 * (responses before it were taken; the ring must not be used again).
 */
int blkif_take_responses(blkif_front_ring_t *r, struct blkif_inflight *t, blkif_done_fn fn,
                         void *ctx, struct blkif_fault *fault);

/* ---- requests waiting to be issued, and moved between queues ---- */

/* A queue's requests waiting to be issued, in order (linked by _next). */
struct blkif_reqlist {
    struct xenolith_blk_request *head, *tail;
};

void blkif_reqlist_push(struct blkif_reqlist *l, struct xenolith_blk_request *r);

/* Take the first request off l (NULL when empty). */
struct xenolith_blk_request *blkif_reqlist_pop(struct blkif_reqlist *l);

/*
 * Append src's requests to dst, in their order, each now on `queue` (_queue);
 * src is left empty. How many moved. A queue taken away at a reconnect hands
 * what waits on it to one that stays this way.
 */
unsigned int blkif_reqlist_move(struct blkif_reqlist *dst, struct blkif_reqlist *src, void *queue);

/* src's requests go in front of dst's (a replay before what never started); src emptied. */
void blkif_reqlist_prepend(struct blkif_reqlist *dst, struct blkif_reqlist *src);

/*
 * A ring request of r was in flight when its backend went away (the domain
 * was restored or migrated: no answer will ever come). r is issued again from
 * that piece on (byte `piece_off` of it; 0 for a flush or discard): pieces
 * issued after it are issued again too, which for a block device is the same
 * read or the same write once more. Returns 1 when r was no longer waiting
 * (all of it had been issued) and must go back in the list (it is marked
 * waiting), 0 when it still is in it.
 */
int blkif_rewind(struct xenolith_blk_request *r, uint64_t piece_off);

#endif
