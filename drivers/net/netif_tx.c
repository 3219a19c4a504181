/*
 * Transmit ring bookkeeping for netfront (see netif_tx.h). A buffer id is also the
 * request id: the backend must echo it, once, in a response; extra-info slots carry
 * no id and are answered with NETIF_RSP_NULL. Anything else is a protocol error that
 * kills the ring, because past it we could no longer tell which pages are free.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "core/format.h"
#include "drivers/net/netif_tx.h"

static int broken(struct netif_txq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int broken(struct netif_txq *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(q->errbuf, sizeof(q->errbuf), fmt, ap);
    va_end(ap);
    q->error = q->errbuf;
    return -EPROTO;
}

int netif_txq_init(struct netif_txq *q, netif_tx_sring_t *sring, unsigned int nbufs)
{
    memset(q, 0, sizeof(*q));
    if (nbufs == 0 || nbufs > UINT16_MAX)
        return -EINVAL;
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&q->ring, sring, NETIF_PAGE_SIZE);
    q->nbufs = nbufs;
    q->page = calloc(nbufs, sizeof(*q->page));
    q->gref = calloc(nbufs, sizeof(*q->gref));
    q->free = calloc(nbufs, sizeof(*q->free));
    q->busy = calloc(nbufs, sizeof(*q->busy));
    if (!q->page || !q->gref || !q->free || !q->busy) {
        netif_txq_destroy(q);
        return -ENOMEM;
    }
    /* Hand out low ids first (the stack pops from the top). */
    for (unsigned int i = 0; i < nbufs; i++)
        q->free[i] = (uint16_t)(nbufs - 1 - i);
    q->nfree = nbufs;
    return 0;
}

void netif_txq_destroy(struct netif_txq *q)
{
    free(q->page);
    free(q->gref);
    free(q->free);
    free(q->busy);
    q->page = NULL;
    q->gref = NULL;
    q->free = NULL;
    q->busy = NULL;
    q->nbufs = q->nfree = 0;
}

static int frame_byte(const struct xenolith_net_frag *frags, unsigned int nfrags, size_t off)
{
    for (unsigned int i = 0; i < nfrags; i++) {
        if (off < frags[i].len)
            return ((const uint8_t *)frags[i].data)[off];
        off -= frags[i].len;
    }
    return -1;
}

int netif_tx_check(uint32_t features, unsigned int mtu, const struct xenolith_net_frag *frags,
                   unsigned int nfrags, const struct xenolith_net_tx_offload *off, size_t *len,
                   struct netif_tx_meta *meta)
{
    size_t n = 0;
    for (unsigned int i = 0; i < nfrags; i++) {
        if (frags[i].len > NETIF_MAX_FRAME)
            return -EMSGSIZE;
        n += frags[i].len;
    }
    *len = n;
    meta->flags = 0;
    meta->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    meta->gso_size = 0;
    if (n < NETIF_ETH_HLEN)
        return -EINVAL;

    size_t max = (size_t)mtu + NETIF_ETH_VLAN_HLEN;
    if (off && (off->csum_blank || off->gso_type)) {
        /* Segmentation offload leaves the checksums to the backend too. */
        if (!off->csum_blank || (size_t)off->csum_start + off->csum_offset + 2 > n)
            return -EINVAL;
        int ipv6 = frame_byte(frags, nfrags, 12) == 0x86 && frame_byte(frags, nfrags, 13) == 0xdd;
        if (!(features & (ipv6 ? XENOLITH_NET_F_CSUM6 : XENOLITH_NET_F_CSUM)))
            return -EINVAL;
        meta->flags = NETTXF_csum_blank | NETTXF_data_validated;
        if (off->gso_type) {
            uint32_t need = off->gso_type == XENOLITH_NET_GSO_TCPV4   ? XENOLITH_NET_F_TSO4
                            : off->gso_type == XENOLITH_NET_GSO_TCPV6 ? XENOLITH_NET_F_TSO6
                                                                      : 0;
            if (!need || !(features & need) || off->gso_size == 0 ||
                (off->gso_type == XENOLITH_NET_GSO_TCPV6) != ipv6)
                return -EINVAL;
            meta->gso_type = off->gso_type == XENOLITH_NET_GSO_TCPV4 ? XEN_NETIF_GSO_TYPE_TCPV4
                                                                     : XEN_NETIF_GSO_TYPE_TCPV6;
            meta->gso_size = off->gso_size;
            max = NETIF_MAX_FRAME;
        }
    }
    if (!(features & XENOLITH_NET_F_SG) && max > NETIF_PAGE_SIZE)
        max = NETIF_PAGE_SIZE; /* one slot per frame */
    if (max > NETIF_MAX_FRAME)
        max = NETIF_MAX_FRAME;
    return n > max ? -EMSGSIZE : 0;
}

unsigned int netif_tx_slots(size_t len, int gso)
{
    return (unsigned int)((len + NETIF_PAGE_SIZE - 1) / NETIF_PAGE_SIZE) + (gso ? 1u : 0u);
}

int netif_tx_room(const struct netif_txq *q, size_t len, int gso)
{
    unsigned int data = netif_tx_slots(len, 0);
    return !q->error && RING_FREE_REQUESTS(&q->ring) >= data + (gso ? 1u : 0u) && q->nfree >= data;
}

unsigned int netif_tx_in_flight(const struct netif_txq *q)
{
    return q->ring.req_prod_pvt - q->ring.rsp_cons;
}

/* Copies out of a list of fragments, continuing where the last call stopped. */
struct frag_cursor {
    const struct xenolith_net_frag *frag;
    unsigned int left; /* fragments not yet finished */
    size_t off;        /* bytes of *frag already copied */
};

static void cursor_copy(struct frag_cursor *c, uint8_t *dst, size_t n)
{
    while (n && c->left) {
        size_t avail = c->frag->len - c->off;
        size_t take = avail < n ? avail : n;
        memcpy(dst, (const uint8_t *)c->frag->data + c->off, take);
        dst += take;
        n -= take;
        c->off += take;
        if (c->off == c->frag->len) {
            c->frag++;
            c->left--;
            c->off = 0;
        }
    }
}

int netif_tx_put(struct netif_txq *q, const struct xenolith_net_frag *frags, unsigned int nfrags,
                 size_t len, const struct netif_tx_meta *meta)
{
    if (len == 0 || len > NETIF_MAX_FRAME)
        return -EINVAL;
    int gso = meta && meta->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    if (!netif_tx_room(q, len, gso))
        return -ENOSPC;

    unsigned int data = netif_tx_slots(len, 0);
    struct frag_cursor cur = {frags, nfrags, 0};
    RING_IDX prod = q->ring.req_prod_pvt;
    size_t done = 0;

    for (unsigned int i = 0; i < data; i++) {
        uint16_t id = q->free[--q->nfree];
        size_t chunk = len - done < NETIF_PAGE_SIZE ? len - done : NETIF_PAGE_SIZE;
        cursor_copy(&cur, q->page[id], chunk);
        done += chunk;
        q->busy[id] = (uint8_t)(NETIF_TXB_DATA | (i == 0 ? NETIF_TXB_FIRST : 0));

        netif_tx_request_t *req = RING_GET_REQUEST(&q->ring, prod++);
        req->gref = q->gref[id];
        req->offset = 0;
        req->id = id;
        /* The first slot carries the frame's total length; the others their own. */
        req->size = (uint16_t)(i == 0 ? len : chunk);
        req->flags =
            (uint16_t)((i + 1 < data ? NETTXF_more_data : 0) | (i == 0 && meta ? meta->flags : 0) |
                       (i == 0 && gso ? NETTXF_extra_info : 0));
        if (i == 0 && gso) {
            /* The extra-info slot follows the first request and overlays a request. */
            netif_tx_request_t *slot = RING_GET_REQUEST(&q->ring, prod++);
            memset(slot, 0, sizeof(*slot));
            netif_extra_info_t *ex = (netif_extra_info_t *)slot;
            ex->type = XEN_NETIF_EXTRA_TYPE_GSO;
            ex->flags = 0;
            ex->u.gso.size = meta->gso_size;
            ex->u.gso.type = meta->gso_type;
            ex->u.gso.pad = 0;
            ex->u.gso.features = 0;
            q->extras++;
        }
    }
    q->ring.req_prod_pvt = prod;
    return (int)(data + (gso ? 1u : 0u));
}

int netif_tx_reap(struct netif_txq *q, struct netif_tx_reaped *out)
{
    memset(out, 0, sizeof(*out));
    if (q->error)
        return -EPROTO;

    RING_IDX cons = q->ring.rsp_cons;
    RING_IDX prod = __atomic_load_n(&q->ring.sring->rsp_prod, __ATOMIC_ACQUIRE);
    /* Never more responses than requests written: bounds the loop below. */
    if (prod - cons > q->ring.req_prod_pvt - cons)
        return broken(q, "tx rsp_prod %u is beyond the %u requests in flight", prod - cons,
                      q->ring.req_prod_pvt - cons);

    int rc = 0;
    for (; cons != prod; cons++) {
        netif_tx_response_t rsp;
        RING_COPY_RESPONSE(&q->ring, cons, &rsp);
        if (rsp.status == NETIF_RSP_NULL) {
            if (q->extras == 0) {
                rc = broken(q, "tx response %u is NULL but no extra-info slot is due", cons);
                break;
            }
            q->extras--;
            out->slots++;
            continue;
        }
        if (rsp.status != NETIF_RSP_OKAY && rsp.status != NETIF_RSP_ERROR &&
            rsp.status != NETIF_RSP_DROPPED) {
            rc = broken(q, "tx response %u has unknown status %d", cons, rsp.status);
            break;
        }
        if (rsp.id >= q->nbufs || !(q->busy[rsp.id] & NETIF_TXB_DATA)) {
            rc = broken(q, "tx response %u names id %u, which is not in flight", cons, rsp.id);
            break;
        }
        if (q->busy[rsp.id] & NETIF_TXB_FIRST) {
            out->frames++;
            if (rsp.status != NETIF_RSP_OKAY)
                out->errors++;
        }
        q->busy[rsp.id] = 0;
        q->free[q->nfree++] = rsp.id;
        out->slots++;
    }
    q->ring.rsp_cons = cons;
    return rc;
}
