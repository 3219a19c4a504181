/*
 * blkif ring logic with no hypercalls (see blkif_ring.h). The backend is the
 * other side of a trust boundary: ids, operations, statuses and the producer
 * index it writes are all checked against what we asked for, and the shared
 * response is copied to our side before it is looked at.
 */
#include "drivers/block/blkif_ring.h"
#include <errno.h>

/* An id is the slot in its low half and the slot's use count in its high half. */
static uint64_t make_id(uint32_t slot, uint32_t gen)
{
    return (uint64_t)gen << 32 | slot;
}

void blkif_inflight_init(struct blkif_inflight *t, struct blkif_slot *slots, uint32_t n)
{
    t->slot = slots;
    t->n = n;
    t->nr_busy = 0;
    for (uint32_t i = 0; i < n; i++) {
        slots[i].gen = 0;
        slots[i].busy = 0;
        slots[i].next_free = i + 1 < n ? i + 1 : BLKIF_SLOT_NONE;
    }
    t->free_head = n ? 0 : BLKIF_SLOT_NONE;
}

int blkif_inflight_get(struct blkif_inflight *t, uint8_t op, uint8_t alt_op, uint32_t *slot,
                       uint64_t *id)
{
    uint32_t i = t->free_head;
    if (i == BLKIF_SLOT_NONE)
        return -ENOSPC;
    struct blkif_slot *s = &t->slot[i];
    t->free_head = s->next_free;
    s->next_free = BLKIF_SLOT_NONE;
    s->busy = 1;
    s->op = op;
    s->alt_op = alt_op;
    /* Never 0, so an id of 0 (a zeroed response) is never valid. */
    if (++s->gen == 0)
        s->gen = 1;
    t->nr_busy++;
    *slot = i;
    *id = make_id(i, s->gen);
    return 0;
}

void blkif_inflight_put(struct blkif_inflight *t, uint32_t slot)
{
    struct blkif_slot *s = &t->slot[slot];
    if (!s->busy)
        return;
    s->busy = 0;
    s->next_free = t->free_head;
    t->free_head = slot;
    t->nr_busy--;
}

uint64_t blkif_inflight_id(const struct blkif_inflight *t, uint32_t slot)
{
    return make_id(slot, t->slot[slot].gen);
}

int blkif_check_range(uint64_t offset, uint64_t len, uint32_t sector_size, uint64_t sectors)
{
    if (sector_size < 512 || (sector_size & (sector_size - 1)) || len == 0)
        return -EINVAL;
    if ((offset | len) & (sector_size - 1))
        return -EINVAL;
    uint64_t first = offset / sector_size, count = len / sector_size;
    if (first >= sectors || count > sectors - first)
        return -EINVAL;
    return 0;
}

uint32_t blkif_next_chunk(uint64_t remaining, uint32_t max_segs)
{
    uint64_t max = (uint64_t)max_segs << BLKIF_PAGE_SHIFT;
    return (uint32_t)(remaining < max ? remaining : max);
}

uint32_t blkif_segments_to_use(unsigned long offer, unsigned long wish)
{
    if (offer <= BLKIF_MAX_SEGMENTS_PER_REQUEST || wish <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return BLKIF_MAX_SEGMENTS_PER_REQUEST;
    unsigned long n = offer < wish ? offer : wish;
    return (uint32_t)(n < BLKIF_MAX_INDIRECT_SEGS ? n : BLKIF_MAX_INDIRECT_SEGS);
}

/* Segment i of a transfer of nbytes: whole pages, the last one possibly partial. */
static struct blkif_request_segment segment(grant_ref_t gref, uint32_t i, uint32_t nbytes)
{
    uint32_t start = i << BLKIF_PAGE_SHIFT;
    uint32_t len = nbytes - start < BLKIF_PAGE_SIZE ? nbytes - start : BLKIF_PAGE_SIZE;
    struct blkif_request_segment s = {
        .gref = gref,
        .first_sect = 0,
        .last_sect = (uint8_t)((len >> BLKIF_SECTOR_SHIFT) - 1),
    };
    return s;
}

int blkif_build_rw(blkif_request_t *dst, const struct blkif_rw *rw)
{
    if (rw->nbytes == 0 || (rw->nbytes & ((1u << BLKIF_SECTOR_SHIFT) - 1)) ||
        (rw->op != BLKIF_OP_READ && rw->op != BLKIF_OP_WRITE))
        return -EINVAL;
    uint32_t nsegs = blkif_data_pages(rw->nbytes);
    if (nsegs > BLKIF_MAX_INDIRECT_SEGS)
        return -EINVAL;

    if (nsegs <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        blkif_request_t req;
        memset(&req, 0, sizeof(req));
        req.operation = rw->op;
        req.nr_segments = (uint8_t)nsegs;
        req.handle = rw->handle;
        req.id = rw->id;
        req.sector_number = rw->sector;
        for (uint32_t i = 0; i < nsegs; i++)
            req.seg[i] = segment(rw->grefs[i], i, rw->nbytes);
        memcpy(dst, &req, sizeof(req));
        return (int)nsegs;
    }

    if (!rw->ind_pages || !rw->ind_grefs)
        return -EINVAL;
    struct blkif_request_indirect ind;
    memset(&ind, 0, sizeof(ind));
    ind.operation = BLKIF_OP_INDIRECT;
    ind.indirect_op = rw->op;
    ind.nr_segments = (uint16_t)nsegs;
    ind.id = rw->id;
    ind.sector_number = rw->sector;
    ind.handle = rw->handle;
    uint32_t npages = blkif_indirect_pages(nsegs);
    for (uint32_t p = 0; p < npages; p++)
        ind.indirect_grefs[p] = rw->ind_grefs[p];
    for (uint32_t i = 0; i < nsegs; i++)
        rw->ind_pages[i / BLKIF_SEGS_PER_INDIRECT_PAGE][i % BLKIF_SEGS_PER_INDIRECT_PAGE] =
            segment(rw->grefs[i], i, rw->nbytes);
    _Static_assert(sizeof(ind) <= sizeof(blkif_request_t), "indirect request fits a ring slot");
    memcpy(dst, &ind, sizeof(ind));
    return (int)nsegs;
}

void blkif_build_flush(blkif_request_t *dst, uint64_t id, uint8_t op, blkif_vdev_t handle)
{
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = op;
    req.handle = handle;
    req.id = id;
    memcpy(dst, &req, sizeof(req));
}

void blkif_build_discard(blkif_request_t *dst, uint64_t id, blkif_vdev_t handle, uint64_t sector,
                         uint64_t nr_sectors, int secure)
{
    struct blkif_request_discard req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_DISCARD;
    req.flag = secure ? BLKIF_DISCARD_SECURE : 0;
    req.handle = handle;
    req.id = id;
    req.sector_number = sector;
    req.nr_sectors = nr_sectors;
    _Static_assert(sizeof(req) <= sizeof(blkif_request_t), "discard request fits a ring slot");
    memcpy(dst, &req, sizeof(req));
}

const char *blkif_fault_name(enum blkif_fault_kind kind)
{
    switch (kind) {
    case BLKIF_FAULT_NONE:
        return "no fault";
    case BLKIF_FAULT_PROD:
        return "response producer index beyond the requests made";
    case BLKIF_FAULT_BAD_ID:
        return "response id names no request";
    case BLKIF_FAULT_REPEATED:
        return "second response for one request";
    case BLKIF_FAULT_STALE:
        return "response id of an earlier request";
    case BLKIF_FAULT_OPERATION:
        return "response operation differs from the request's";
    case BLKIF_FAULT_STATUS:
        return "undefined response status";
    }
    return "unknown fault";
}

static int status_to_errno(int16_t status, int *err)
{
    switch (status) {
    case BLKIF_RSP_OKAY:
        *err = 0;
        return 0;
    case BLKIF_RSP_ERROR:
        *err = -EIO;
        return 0;
    case BLKIF_RSP_EOPNOTSUPP:
        *err = -EOPNOTSUPP;
        return 0;
    }
    return -1;
}

/* Check one response (a private copy); on success the slot is released. */
static enum blkif_fault_kind check_response(struct blkif_inflight *t,
                                            const struct blkif_response *rsp, uint32_t *slotp,
                                            int *err)
{
    uint64_t slot = rsp->id & 0xffffffffu;
    uint32_t gen = (uint32_t)(rsp->id >> 32);
    if (slot >= t->n)
        return BLKIF_FAULT_BAD_ID;
    struct blkif_slot *s = &t->slot[slot];
    *slotp = (uint32_t)slot;
    if (gen != s->gen)
        return gen == 0 || gen > s->gen ? BLKIF_FAULT_BAD_ID : BLKIF_FAULT_STALE;
    if (!s->busy)
        return BLKIF_FAULT_REPEATED;
    if (rsp->operation != s->op && rsp->operation != s->alt_op)
        return BLKIF_FAULT_OPERATION;
    if (status_to_errno(rsp->status, err) < 0)
        return BLKIF_FAULT_STATUS;
    blkif_inflight_put(t, (uint32_t)slot);
    return BLKIF_FAULT_NONE;
}

int blkif_take_responses(blkif_front_ring_t *r, struct blkif_inflight *t, blkif_done_fn fn,
                         void *ctx, struct blkif_fault *fault)
{
    int taken = 0, more;
    memset(fault, 0, sizeof(*fault));
    fault->slot = BLKIF_SLOT_NONE;
    do {
        RING_IDX prod = __atomic_load_n(&r->sring->rsp_prod, __ATOMIC_ACQUIRE);
        /* Never more responses than requests we made. */
        if ((RING_IDX)(prod - r->rsp_cons) > (RING_IDX)(r->req_prod_pvt - r->rsp_cons)) {
            fault->kind = BLKIF_FAULT_PROD;
            fault->index = prod;
            return -EPROTO;
        }
        for (RING_IDX i = r->rsp_cons; i != prod; i++) {
            struct blkif_response rsp;
            RING_COPY_RESPONSE(r, i, &rsp);
            uint32_t slot = BLKIF_SLOT_NONE;
            int err = 0;
            enum blkif_fault_kind k = check_response(t, &rsp, &slot, &err);
            if (k != BLKIF_FAULT_NONE) {
                fault->kind = k;
                fault->index = i;
                fault->id = rsp.id;
                fault->operation = rsp.operation;
                fault->status = rsp.status;
                if (k == BLKIF_FAULT_OPERATION || k == BLKIF_FAULT_STATUS)
                    fault->slot = slot;
                return -EPROTO;
            }
            r->rsp_cons = i + 1;
            taken++;
            fn(ctx, slot, err);
        }
        RING_FINAL_CHECK_FOR_RESPONSES(r, more);
    } while (more);
    return taken;
}

/* ---- requests waiting to be issued ---- */

void blkif_reqlist_push(struct blkif_reqlist *l, struct xenolith_blk_request *r)
{
    r->_next = NULL;
    if (l->tail)
        l->tail->_next = r;
    else
        l->head = r;
    l->tail = r;
}

struct xenolith_blk_request *blkif_reqlist_pop(struct blkif_reqlist *l)
{
    struct xenolith_blk_request *r = l->head;
    if (!r)
        return NULL;
    l->head = r->_next;
    if (!l->head)
        l->tail = NULL;
    r->_next = NULL;
    return r;
}

unsigned int blkif_reqlist_move(struct blkif_reqlist *dst, struct blkif_reqlist *src, void *queue)
{
    unsigned int n = 0;
    for (struct xenolith_blk_request *r = src->head; r; r = r->_next, n++)
        r->_queue = queue;
    if (!src->head)
        return 0;
    if (dst->tail)
        dst->tail->_next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    src->head = src->tail = NULL;
    return n;
}

void blkif_reqlist_prepend(struct blkif_reqlist *dst, struct blkif_reqlist *src)
{
    if (!src->head)
        return;
    src->tail->_next = dst->head;
    if (!dst->head)
        dst->tail = src->tail;
    dst->head = src->head;
    src->head = src->tail = NULL;
}

int blkif_rewind(struct xenolith_blk_request *r, uint64_t piece_off)
{
    if (r->_inflight)
        r->_inflight--;
    if (piece_off < r->_issued)
        r->_issued = piece_off;
    if (r->_pending)
        return 0;
    r->_pending = 1;
    return 1;
}
