// libFuzzer target for drivers/net/netif_tx.c: frames put on the transmit ring and a
// hostile netback answering them. The input is a script: the frontend puts frames (any
// length and fragmentation, with or without a GSO extra slot), the backend answers with
// ids in flight or not, repeated, NULL or unknown statuses and any rsp_prod; the frontend
// reaps. The invariants: the requests carry the frame byte for byte (a round trip through
// the pages), ids are never handed out twice, a response frees only a buffer in flight,
// frames and errors are counted from first slots only, extra slots only absorb NULLs,
// nfree plus buffers in flight is always nbufs, and a broken ring stays broken. Also
// netif_tx_check on random frames against the rules in netif_tx.h.
// FUZZ-SOURCES: drivers/net/netif_tx.c core/format.c
// FUZZ-FLAGS: -max_len=1024
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "drivers/net/netif_tx.h"

#define MAX_BUFS 48

static union {
    netif_tx_sring_t s;
    uint8_t page[NETIF_PAGE_SIZE];
} shared __attribute__((aligned(4096)));

static uint8_t pages[MAX_BUFS][NETIF_PAGE_SIZE];
static uint8_t frame[NETIF_MAX_FRAME + 256]; /* fragments start anywhere in the first 256 */
static struct netif_txq q;
static uint8_t busy[MAX_BUFS]; /* model: 0 free, 1 data in flight, 2 first slot in flight */
static unsigned int extras_due;
static RING_IDX backend_prod;

static unsigned int model_in_flight(void)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < q.nbufs; i++)
        n += busy[i] != 0;
    return n;
}

static void put(struct fuzz_in *in)
{
    struct xenolith_net_frag frags[4];
    uint8_t shape = fuzz_u8(in);
    size_t len = 1 + fuzz_u16(in) % (shape & 1 ? NETIF_MAX_FRAME : 9000), left = len;
    unsigned int nfrags = 1 + fuzz_u8(in) % 4;
    size_t start = fuzz_u16(in) % 256;
    for (unsigned int i = 0; i < nfrags; i++) {
        size_t l = i + 1 == nfrags ? left : fuzz_u16(in) % (left + 1);
        frags[i].data = frame + (len - left + start) % 256; /* any alignment */
        frags[i].len = l;
        left -= l;
    }
    struct netif_tx_meta meta = {NETTXF_csum_blank, XEN_NETIF_GSO_TYPE_NONE, 0};
    if (shape & 2) {
        meta.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
        meta.gso_size = 1 + fuzz_u16(in) % 9000;
    }
    int gso = meta.gso_type != XEN_NETIF_GSO_TYPE_NONE;
    int room = netif_tx_room(&q, len, gso);
    RING_IDX prod = q.ring.req_prod_pvt;
    int rc = netif_tx_put(&q, frags, nfrags, len, &meta);
    if (!room) {
        CHECK(rc == -ENOSPC && q.ring.req_prod_pvt == prod);
        return;
    }
    unsigned int data = netif_tx_slots(len, 0);
    CHECK(rc == (int)(data + (gso ? 1 : 0)) && q.ring.req_prod_pvt - prod == (RING_IDX)rc);
    /* The requests, read back: ids fresh, sizes, flags, and the bytes in the pages. */
    static uint8_t flat[NETIF_MAX_FRAME];
    size_t off = 0;
    for (unsigned int f = 0; f < nfrags; f++) {
        memcpy(flat + off, frags[f].data, frags[f].len);
        off += frags[f].len;
    }
    off = 0;
    for (unsigned int i = 0, slot = 0; i < data; i++, slot++) {
        netif_tx_request_t *r = RING_GET_REQUEST(&q.ring, prod + slot);
        CHECK(r->id < q.nbufs && busy[r->id] == 0 && r->gref == 1000u + r->id && r->offset == 0);
        busy[r->id] = i == 0 ? 2 : 1;
        size_t chunk = len - off < NETIF_PAGE_SIZE ? len - off : NETIF_PAGE_SIZE;
        CHECK(r->size == (i == 0 ? len : chunk));
        CHECK(!!(r->flags & NETTXF_more_data) == (i + 1 < data));
        CHECK(!!(r->flags & NETTXF_extra_info) == (i == 0 && gso));
        CHECK(memcmp(pages[r->id], flat + off, chunk) == 0);
        off += chunk;
        if (i == 0 && gso) {
            netif_extra_info_t *ex = (netif_extra_info_t *)RING_GET_REQUEST(&q.ring, prod + ++slot);
            CHECK(ex->type == XEN_NETIF_EXTRA_TYPE_GSO && ex->u.gso.size == meta.gso_size);
            extras_due++;
        }
    }
    RING_PUSH_REQUESTS(&q.ring);
}

static void respond(struct fuzz_in *in)
{
    uint8_t how = fuzz_u8(in);
    if (backend_prod == q.ring.req_prod_pvt && !(how & 0x40))
        return;
    netif_tx_response_t *rsp = RING_GET_RESPONSE(&q.ring, backend_prod);
    rsp->id = how & 1 ? fuzz_u16(in) : fuzz_u8(in) % MAX_BUFS;
    static const int16_t st[] = {NETIF_RSP_OKAY, NETIF_RSP_ERROR, NETIF_RSP_DROPPED,
                                 NETIF_RSP_NULL};
    rsp->status = how & 2 ? (int16_t)fuzz_u16(in) : st[fuzz_u8(in) % 4];
    backend_prod++;
    shared.s.rsp_prod = how & 0x80 ? q.ring.rsp_cons + fuzz_u16(in) % 300 : backend_prod;
}

static int reap(void)
{
    struct netif_tx_reaped out;
    RING_IDX cons = q.ring.rsp_cons, prod = shared.s.rsp_prod;
    uint8_t before[MAX_BUFS];
    memcpy(before, busy, sizeof(before));
    int rc = netif_tx_reap(&q, &out);
    CHECK(q.ring.rsp_cons - cons == out.slots);
    /* What was freed: buffers the library now has free that the model had in flight. */
    unsigned int freed = 0, frames = 0;
    for (unsigned int i = 0; i < q.nfree; i++) {
        uint16_t id = q.free[i];
        CHECK(id < q.nbufs);
        if (busy[id]) {
            frames += busy[id] == 2;
            busy[id] = 0;
            freed++;
        }
    }
    CHECK(out.frames == frames && out.errors <= out.frames);
    CHECK(out.slots >= freed && out.slots - freed <= extras_due);
    extras_due -= out.slots - freed;
    CHECK(model_in_flight() + q.nfree == q.nbufs);
    CHECK(netif_tx_in_flight(&q) == q.ring.req_prod_pvt - q.ring.rsp_cons);
    if (rc == 0) {
        CHECK(!q.error && q.ring.rsp_cons == prod);
        return 1;
    }
    CHECK(rc == -EPROTO && q.error);
    CHECK(netif_tx_reap(&q, &out) == -EPROTO && !netif_tx_room(&q, 1, 0));
    return 0;
}

static void check(struct fuzz_in *in)
{
    struct xenolith_net_frag frags[3];
    struct xenolith_net_tx_offload off = {fuzz_u16(in), fuzz_u16(in), fuzz_u8(in) & 1,
                                          fuzz_u8(in) % 4, fuzz_u16(in)};
    uint32_t features = fuzz_u8(in);
    unsigned int mtu = 68 + fuzz_u16(in) % 9000, nfrags = fuzz_u8(in) % 4;
    size_t total = 0, len;
    for (unsigned int i = 0; i < nfrags; i++) {
        frags[i].data = frame;
        frags[i].len = fuzz_u16(in) % (NETIF_MAX_FRAME + 2);
        total += frags[i].len;
    }
    struct netif_tx_meta meta;
    int rc = netif_tx_check(features, mtu, frags, nfrags, &off, &len, &meta);
    CHECK(rc == 0 || rc == -EINVAL || rc == -EMSGSIZE);
    if (rc != 0)
        return;
    CHECK(len == total && len >= NETIF_ETH_HLEN && len <= NETIF_MAX_FRAME);
    if (!(features & XENOLITH_NET_F_SG))
        CHECK(len <= NETIF_PAGE_SIZE);
    if (meta.gso_type == XEN_NETIF_GSO_TYPE_NONE)
        CHECK(len <= (size_t)mtu + NETIF_ETH_VLAN_HLEN);
    else
        CHECK(off.gso_type && meta.gso_size == off.gso_size && meta.gso_size > 0 &&
              (features & (XENOLITH_NET_F_TSO4 | XENOLITH_NET_F_TSO6)));
    if (off.csum_blank || off.gso_type)
        CHECK((size_t)off.csum_start + off.csum_offset + 2 <= len &&
              meta.flags == (NETTXF_csum_blank | NETTXF_data_validated));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    unsigned int nbufs = 1 + fuzz_u8(&in) % MAX_BUFS;
    memset(&shared, 0, sizeof(shared));
    memset(busy, 0, sizeof(busy));
    CHECK(netif_txq_init(&q, &shared.s, nbufs) == 0);
    for (unsigned int i = 0; i < nbufs; i++) {
        q.page[i] = pages[i];
        q.gref[i] = 1000 + i;
    }
    RING_IDX start = fuzz_u32(&in);
    q.ring.req_prod_pvt = q.ring.rsp_cons = start;
    shared.s.req_prod = shared.s.rsp_prod = start;
    backend_prod = start;
    extras_due = 0;

    while (in.n) {
        switch (fuzz_u8(&in) % 5) {
        case 0:
            put(&in);
            break;
        case 1:
        case 2:
            respond(&in);
            break;
        case 3:
            if (!reap())
                goto out;
            break;
        default:
            check(&in);
        }
    }
out:
    netif_txq_destroy(&q);
    return 0;
}

__attribute__((constructor)) static void fill_frame(void)
{
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7 + (i >> 8));
}
