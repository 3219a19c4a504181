// libFuzzer target for drivers/net/netif_rx.c: a hostile netback on the receive ring. The
// input sets the ring up (buffers, sg, gso, where the free-running indices start) and is
// then a script: the backend writes data responses (the right id or any, any offset, size
// and flags) and extra-info slots (any type, flags, GSO fields), moves rsp_prod where it
// likes; the frontend takes frames, gives them back, refills and re-arms. Every frame
// handed out must name only the buffers posted in its slots, in order, with segments
// inside their page adding up to its length; nothing is consumed unless a frame is
// complete; a broken ring stays broken.
// FUZZ-SOURCES: drivers/net/netif_rx.c core/format.c
// FUZZ-FLAGS: -max_len=1024
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "drivers/net/netif_rx.h"

static union {
    netif_rx_sring_t s;
    uint8_t page[NETIF_PAGE_SIZE];
} shared __attribute__((aligned(4096)));

static struct netif_rxq q;
static uint16_t posted[NETIF_RX_RING_SIZE];         /* model: the buffer in each slot */
static uint8_t state[NETIF_RX_MAX_SLOTS + 2 * 256]; /* model: 0 free, 1 posted, 2 handed out */
static RING_IDX backend_prod;

static void refill(void)
{
    RING_IDX before = q.ring.req_prod_pvt;
    unsigned int nfree = q.nfree, n = netif_rx_refill(&q);
    CHECK(q.ring.req_prod_pvt - before == n && nfree - q.nfree == n);
    CHECK(netif_rx_posted(&q) <= NETIF_RX_RING_SIZE);
    for (RING_IDX i = before; i != q.ring.req_prod_pvt; i++) {
        netif_rx_request_t *req = RING_GET_REQUEST(&q.ring, i);
        uint16_t b = (uint16_t)(req->gref - 1000);
        CHECK(req->id == (i & (NETIF_RX_RING_SIZE - 1)) && b < q.nbufs && state[b] == 0);
        state[b] = 1;
        posted[i & (NETIF_RX_RING_SIZE - 1)] = b;
    }
    RING_PUSH_REQUESTS(&q.ring);
}

static void backend_write(struct fuzz_in *in)
{
    uint8_t how = fuzz_u8(in);
    if (backend_prod == q.ring.req_prod_pvt && !(how & 0x40))
        return;
    netif_rx_response_t *rsp = RING_GET_RESPONSE(&q.ring, backend_prod);
    if (how & 1) {
        netif_extra_info_t ex;
        memset(&ex, 0, sizeof(ex));
        ex.type = how & 2 ? fuzz_u8(in) : XEN_NETIF_EXTRA_TYPE_GSO;
        ex.flags = fuzz_u8(in) & 1;
        ex.u.gso.size = fuzz_u16(in);
        ex.u.gso.type = fuzz_u8(in) % 4;
        memcpy(rsp, &ex, sizeof(ex));
    } else {
        rsp->id = how & 2 ? fuzz_u16(in) : (uint16_t)(backend_prod & (NETIF_RX_RING_SIZE - 1));
        rsp->offset = how & 4 ? fuzz_u16(in) : 0;
        rsp->flags = fuzz_u8(in);
        rsp->status = how & 8 ? (int16_t)fuzz_u16(in) : (int16_t)(fuzz_u16(in) % 4097);
    }
    backend_prod++;
    shared.s.rsp_prod = how & 0x80 ? q.ring.rsp_cons + fuzz_u16(in) % 300 : backend_prod;
}

static int take(struct fuzz_in *in)
{
    static struct netif_rx_frame f;
    RING_IDX cons = q.ring.rsp_cons;
    int rc = netif_rx_next(&q, &f);
    if (rc < 0) {
        CHECK(rc == -EPROTO && q.error && q.ring.rsp_cons == cons);
        CHECK(netif_rx_next(&q, &f) == -EPROTO && netif_rx_refill(&q) == 0);
        return 0;
    }
    if (rc == 0) {
        CHECK(q.ring.rsp_cons == cons);
        return 1;
    }
    CHECK(rc == 1 && !q.error);
    CHECK(f.nbuf >= 1 && f.nbuf <= NETIF_RX_MAX_SLOTS && f.nseg <= NETIF_RX_MAX_SEGS);
    CHECK(q.ring.rsp_cons - cons == f.nbuf);
    CHECK(f.nbuf <= (RING_IDX)(shared.s.rsp_prod - cons));
    for (unsigned int i = 0; i < f.nbuf; i++) {
        uint16_t b = f.buf[i];
        CHECK(b == posted[(cons + i) & (NETIF_RX_RING_SIZE - 1)] && state[b] == 1);
        state[b] = 2;
    }
    size_t len = 0;
    for (unsigned int i = 0; i < f.nseg; i++) {
        const struct netif_rx_seg *s = &f.seg[i];
        int mine = 0;
        for (unsigned int k = 0; k < f.nbuf; k++)
            mine |= f.buf[k] == s->buf;
        CHECK(mine && s->len > 0 && (unsigned int)s->offset + s->len <= NETIF_PAGE_SIZE);
        len += s->len;
    }
    CHECK(len == f.len && f.len <= q.max_len);
    CHECK(f.status <= 0);
    CHECK(!(f.flags & ~(NETRXF_data_validated | NETRXF_csum_blank)));
    if (f.gso_type != XEN_NETIF_GSO_TYPE_NONE)
        CHECK(q.gso && f.gso_size > 0 &&
              (f.gso_type == XEN_NETIF_GSO_TYPE_TCPV4 || f.gso_type == XEN_NETIF_GSO_TYPE_TCPV6));
    if (!q.sg)
        CHECK(f.len <= NETIF_PAGE_SIZE && f.nseg <= 1);
    if (fuzz_u8(in) & 1) {
        unsigned int nfree = q.nfree;
        netif_rx_release(&q, &f);
        CHECK(q.nfree == nfree + f.nbuf);
        for (unsigned int i = 0; i < f.nbuf; i++)
            state[f.buf[i]] = 0;
    }
    /* else: the frame is kept; its buffers are never reposted (state stays 2). */
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t setup = fuzz_u8(&in);
    unsigned int nbufs = NETIF_RX_MAX_SLOTS + fuzz_u8(&in) * 2u;
    memset(&shared, 0, sizeof(shared));
    memset(state, 0, nbufs);
    CHECK(netif_rxq_init(&q, &shared.s, nbufs, setup & 1, setup & 2) == 0);
    for (unsigned int i = 0; i < nbufs; i++)
        q.gref[i] = 1000 + i;
    RING_IDX start = fuzz_u32(&in);
    q.ring.req_prod_pvt = q.ring.rsp_cons = q.seen = start;
    shared.s.req_prod = shared.s.rsp_prod = start;
    backend_prod = start;
    refill();

    while (in.n) {
        switch (fuzz_u8(&in) % 5) {
        case 0:
        case 1:
            backend_write(&in);
            break;
        case 2:
            if (!take(&in))
                goto out;
            break;
        case 3:
            refill();
            break;
        default: {
            int more = netif_rx_arm(&q);
            CHECK(more == 0 || more == 1);
            CHECK(shared.s.rsp_event - q.ring.rsp_cons <= NETIF_RX_RING_SIZE + 1);
        }
        }
    }
out:
    netif_rxq_destroy(&q);
    return 0;
}
