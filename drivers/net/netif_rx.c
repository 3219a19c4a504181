/*
 * Receive ring bookkeeping for netfront (see netif_rx.h). Responses are read once into
 * local copies and checked against the slot's posted buffer; a frame is taken off the
 * ring only when all of its slots are there and valid. Every loop is bounded by the
 * number of requests we posted, never by a counter the backend controls.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "core/format.h"
#include "drivers/net/netif_rx.h"

_Static_assert(sizeof(netif_extra_info_t) == sizeof(netif_rx_response_t),
               "an extra-info slot overlays an rx response");

static int broken(struct netif_rxq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int broken(struct netif_rxq *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(q->errbuf, sizeof(q->errbuf), fmt, ap);
    va_end(ap);
    q->error = q->errbuf;
    return -EPROTO;
}

int netif_rxq_init(struct netif_rxq *q, netif_rx_sring_t *sring, unsigned int nbufs, int sg,
                   int gso)
{
    memset(q, 0, sizeof(*q));
    if (nbufs < NETIF_RX_MAX_SLOTS || nbufs >= NETIF_RX_NONE)
        return -EINVAL;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&q->ring, sring, NETIF_PAGE_SIZE);
    q->nbufs = nbufs;
    q->sg = sg;
    q->gso = gso && sg;
    q->max_len = sg ? NETIF_RX_MAX_FRAME : NETIF_PAGE_SIZE;
    q->page = calloc(nbufs, sizeof(*q->page));
    q->gref = calloc(nbufs, sizeof(*q->gref));
    q->free = calloc(nbufs, sizeof(*q->free));
    q->slot_buf = malloc(RING_SIZE(&q->ring) * sizeof(*q->slot_buf));
    if (!q->page || !q->gref || !q->free || !q->slot_buf) {
        netif_rxq_destroy(q);
        return -ENOMEM;
    }
    for (unsigned int i = 0; i < RING_SIZE(&q->ring); i++)
        q->slot_buf[i] = NETIF_RX_NONE;
    for (unsigned int i = 0; i < nbufs; i++)
        q->free[i] = (uint16_t)(nbufs - 1 - i);
    q->nfree = nbufs;
    return 0;
}

void netif_rxq_destroy(struct netif_rxq *q)
{
    free(q->page);
    free(q->gref);
    free(q->free);
    free(q->slot_buf);
    q->page = NULL;
    q->gref = NULL;
    q->free = NULL;
    q->slot_buf = NULL;
    q->nbufs = q->nfree = 0;
}

unsigned int netif_rx_posted(const struct netif_rxq *q)
{
    return q->ring.req_prod_pvt - q->ring.rsp_cons;
}

unsigned int netif_rx_refill(struct netif_rxq *q)
{
    unsigned int n = 0, mask = RING_SIZE(&q->ring) - 1;
    if (q->error)
        return 0;
    while (q->nfree && RING_FREE_REQUESTS(&q->ring)) {
        RING_IDX idx = q->ring.req_prod_pvt;
        if (q->slot_buf[idx & mask] != NETIF_RX_NONE)
            break; /* cannot happen: the slot's last frame was consumed */
        uint16_t b = q->free[--q->nfree];
        q->slot_buf[idx & mask] = b;
        netif_rx_request_t *req = RING_GET_REQUEST(&q->ring, idx);
        req->id = (uint16_t)(idx & mask);
        req->pad = 0;
        req->gref = q->gref[b];
        q->ring.req_prod_pvt = idx + 1;
        n++;
    }
    return n;
}

/* An extra-info slot: only GSO carries anything we use; other known types are skipped. */
static int take_extra(struct netif_rxq *q, RING_IDX idx, struct netif_rx_frame *f, int *more)
{
    netif_rx_response_t raw;
    netif_extra_info_t ex;
    RING_COPY_RESPONSE(&q->ring, idx, &raw); /* one read of the slot, then look at it */
    memcpy(&ex, &raw, sizeof(ex));
    if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX)
        return broken(q, "rx extra info in slot %u has unknown type %u", idx, ex.type);
    if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
        if (!q->gso)
            return broken(q, "rx GSO extra info, but we did not offer GSO receive");
        if ((ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
             ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) ||
            ex.u.gso.size == 0)
            return broken(q, "rx GSO extra info with type %u size %u", ex.u.gso.type,
                          ex.u.gso.size);
        f->gso_type = ex.u.gso.type;
        f->gso_size = ex.u.gso.size;
    }
    *more = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
    return 0;
}

/* A data slot: id, offset and size checked against the buffer posted there. */
static int take_data(struct netif_rxq *q, RING_IDX idx, uint16_t buf, struct netif_rx_frame *f,
                     int first, int *extra, int *more)
{
    netif_rx_response_t rsp;
    unsigned int slot = idx & (RING_SIZE(&q->ring) - 1);
    RING_COPY_RESPONSE(&q->ring, idx, &rsp);
    if (rsp.id != slot)
        return broken(q, "rx response in slot %u names id %u", slot, rsp.id);
    if (rsp.flags & NETRXF_gso_prefix)
        return broken(q, "rx response with a GSO prefix, which we never asked for");
    if (first) {
        f->flags = rsp.flags & (NETRXF_data_validated | NETRXF_csum_blank);
        *extra = !!(rsp.flags & NETRXF_extra_info);
    }
    *more = !!(rsp.flags & NETRXF_more_data);
    if (*more && !q->sg)
        return broken(q, "multi-slot rx frame, but feature-sg was not negotiated");
    if (rsp.status < 0) {
        if (f->status == 0)
            f->status = rsp.status;
        return 0;
    }
    if ((unsigned int)rsp.offset + (unsigned int)rsp.status > NETIF_PAGE_SIZE)
        return broken(q, "rx response in slot %u: offset %u + size %d is past the page", slot,
                      rsp.offset, rsp.status);
    if (rsp.status == 0)
        return 0;
    if (f->nseg == NETIF_RX_MAX_SEGS)
        return broken(q, "rx frame of more than %u data slots", NETIF_RX_MAX_SEGS);
    f->seg[f->nseg].buf = buf;
    f->seg[f->nseg].offset = rsp.offset;
    f->seg[f->nseg].len = (uint16_t)rsp.status;
    f->nseg++;
    f->len += (size_t)rsp.status;
    if (f->len > q->max_len)
        return broken(q, "rx frame longer than %zu bytes", q->max_len);
    return 0;
}

int netif_rx_next(struct netif_rxq *q, struct netif_rx_frame *f)
{
    if (q->error)
        return -EPROTO;
    RING_IDX cons = q->ring.rsp_cons;
    RING_IDX prod = __atomic_load_n(&q->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
    unsigned int mask = RING_SIZE(&q->ring) - 1;

    /* Never more responses than buffers posted: bounds everything below. */
    if (prod - cons > q->ring.req_prod_pvt - cons)
        return broken(q, "rx rsp_prod is %u ahead, but only %u buffers are posted", prod - cons,
                      q->ring.req_prod_pvt - cons);

    f->nseg = f->nbuf = 0;
    f->len = 0;
    f->status = 0;
    f->flags = 0;
    f->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    f->gso_size = 0;

    int first = 1, extra = 0, more = 0;
    for (RING_IDX i = cons; i != prod;) {
        uint16_t b = q->slot_buf[i & mask];
        if (b >= q->nbufs)
            return broken(q, "rx slot %u answered, but nothing was posted there", i & mask);
        if (f->nbuf == NETIF_RX_MAX_SLOTS)
            return broken(q, "rx frame of more than %u slots", NETIF_RX_MAX_SLOTS);
        f->buf[f->nbuf++] = b;

        int rc = extra ? take_extra(q, i, f, &extra) : take_data(q, i, b, f, first, &extra, &more);
        if (rc < 0)
            return rc;
        first = 0;
        i++;
        if (!more && !extra) {
            for (RING_IDX j = cons; j != i; j++)
                q->slot_buf[j & mask] = NETIF_RX_NONE;
            q->ring.rsp_cons = i;
            q->seen = i;
            return 1;
        }
    }
    /* Nothing, or a frame whose last slots are not there yet: leave it on the ring. */
    q->seen = prod;
    return 0;
}

void netif_rx_release(struct netif_rxq *q, const struct netif_rx_frame *f)
{
    for (unsigned int i = 0; i < f->nbuf && q->nfree < q->nbufs; i++)
        q->free[q->nfree++] = f->buf[i];
}

int netif_rx_arm(struct netif_rxq *q)
{
    if (q->error)
        return 0;
    RING_IDX want = q->seen;
    if (want - q->ring.rsp_cons > RING_SIZE(&q->ring))
        want = q->ring.rsp_cons;
    q->ring.sring->rsp_event = want + 1;
    xen_mb();
    return __atomic_load_n(&q->ring.sring->rsp_prod, __ATOMIC_ACQUIRE) != want;
}
