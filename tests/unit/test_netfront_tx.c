// Host tests for drivers/net/netif_tx.c: what xenolith_net_tx accepts (lengths, offloads against
// the features agreed), frames copied into the granted buffers and
// written as requests (one slot, many slots, GSO extra slot, fragments split at every
// byte), room accounting, responses in and out of order, ring index wrap at 2^32, and
// every kind of backend misbehaviour we check (id out of range, id not in flight,
// duplicate, NULL without an extra slot, unknown status, rsp_prod running ahead),
// then a randomized fake backend that sometimes lies, against a model.
// UNIT-SOURCES: drivers/net/netif_tx.c core/format.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/net/netif_tx.h"

#define PAGE    NETIF_PAGE_SIZE
#define NBUFS   64
#define GREF(i) (1000u + (i))

static netif_tx_sring_t *sring;
static struct netif_txq q;
static uint8_t *pages;
static uint8_t frame[NETIF_MAX_FRAME + 1];
static RING_IDX back_cons; /* the fake backend's request consumer */
static RING_IDX back_prod; /* ... and its response producer */

static int setup_n(unsigned int nbufs)
{
    sring = aligned_alloc(PAGE, PAGE);
    memset(sring, 0xa5, PAGE);
    pages = malloc((size_t)nbufs * PAGE);
    if (netif_txq_init(&q, sring, nbufs) != 0)
        return -1;
    for (unsigned int i = 0; i < nbufs; i++) {
        q.page[i] = pages + (size_t)i * PAGE;
        q.gref[i] = GREF(i);
    }
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 13 + 7);
    back_cons = back_prod = 0;
    return 0;
}

static int setup(void **state)
{
    return setup_n(NBUFS);
}

static int teardown(void **state)
{
    netif_txq_destroy(&q);
    free(sring);
    free(pages);
    return 0;
}

static void push(void)
{
    RING_PUSH_REQUESTS(&q.ring);
}

/* The fake backend: the request at index i. */
static netif_tx_request_t req_at(RING_IDX i)
{
    return sring->ring[i & (RING_SIZE(&q.ring) - 1)].req;
}

static void respond(uint16_t id, int16_t status)
{
    netif_tx_response_t *r = &sring->ring[back_prod & (RING_SIZE(&q.ring) - 1)].rsp;
    r->id = id;
    r->status = status;
    back_prod++;
}

static void publish(void)
{
    __atomic_store_n(&sring->rsp_prod, back_prod, __ATOMIC_RELEASE);
}

/* Answer every request written so far in order, extras with NULL. */
static void respond_all(int16_t status)
{
    while (back_cons != q.ring.req_prod_pvt) {
        netif_tx_request_t r = req_at(back_cons++);
        respond(r.id, status);
        if (r.flags & NETTXF_extra_info) {
            back_cons++;
            respond(0xdead, NETIF_RSP_NULL);
        }
    }
    publish();
}

static int put(size_t len, const struct netif_tx_meta *m)
{
    struct xenolith_net_frag f = {frame, len};
    return netif_tx_put(&q, &f, 1, len, m);
}

/* ---- requests ---- */

static void test_ring_size(void **state)
{
    assert_int_equal(RING_SIZE(&q.ring), 256);
    assert_int_equal(NETIF_TX_RING_SIZE, 256);
    assert_int_equal(NETIF_TX_MAX_DATA_SLOTS, 16);
    assert_int_equal(sizeof(netif_extra_info_t), 8);
    assert_int_equal(sring->req_prod, 0);
    assert_int_equal(sring->rsp_event, 1);
}

static void test_single_slot(void **state)
{
    struct netif_tx_meta m = {NETTXF_csum_blank | NETTXF_data_validated, 0, 0};
    assert_int_equal(put(60, &m), 1);
    assert_int_equal(sring->req_prod, 0); /* not pushed by put */
    push();
    netif_tx_request_t r = req_at(0);
    assert_int_equal(r.size, 60);
    assert_int_equal(r.offset, 0);
    assert_int_equal(r.flags, NETTXF_csum_blank | NETTXF_data_validated);
    assert_true(r.id < NBUFS);
    assert_int_equal(r.gref, GREF(r.id));
    assert_memory_equal(q.page[r.id], frame, 60);
    assert_int_equal(netif_tx_in_flight(&q), 1);
    assert_int_equal(q.nfree, NBUFS - 1);
}

static void test_multi_slot(void **state)
{
    size_t len = 3 * PAGE + 100;
    assert_int_equal(put(len, NULL), 4);
    size_t total = 0;
    for (RING_IDX i = 0; i < 4; i++) {
        netif_tx_request_t r = req_at(i);
        size_t chunk = i < 3 ? PAGE : 100;
        assert_int_equal(r.size, i == 0 ? len : chunk);
        assert_int_equal(r.flags, i < 3 ? NETTXF_more_data : 0);
        assert_int_equal(r.gref, GREF(r.id));
        assert_memory_equal(q.page[r.id], frame + total, chunk);
        for (RING_IDX j = 0; j < i; j++)
            assert_int_not_equal(req_at(j).id, r.id);
        total += chunk;
    }
    assert_int_equal(q.busy[req_at(0).id], NETIF_TXB_DATA | NETIF_TXB_FIRST);
    assert_int_equal(q.busy[req_at(1).id], NETIF_TXB_DATA);
}

static void test_gso_extra_slot(void **state)
{
    struct netif_tx_meta m = {NETTXF_csum_blank | NETTXF_data_validated, XEN_NETIF_GSO_TYPE_TCPV4,
                              1448};
    size_t len = NETIF_MAX_FRAME;
    assert_int_equal(put(len, &m), 17);
    netif_tx_request_t r0 = req_at(0);
    assert_int_equal(r0.size, len);
    assert_int_equal(r0.flags, NETTXF_csum_blank | NETTXF_data_validated | NETTXF_more_data |
                                   NETTXF_extra_info);
    netif_tx_request_t slot1 = req_at(1);
    netif_extra_info_t ex;
    memcpy(&ex, &slot1, sizeof(ex));
    assert_int_equal(ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
    assert_int_equal(ex.flags, 0);
    assert_int_equal(ex.u.gso.size, 1448);
    assert_int_equal(ex.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    assert_int_equal(ex.u.gso.features, 0);
    size_t total = PAGE;
    for (RING_IDX i = 2; i < 17; i++) {
        netif_tx_request_t r = req_at(i);
        size_t chunk = len - total < PAGE ? len - total : PAGE;
        assert_int_equal(r.size, chunk);
        assert_int_equal(r.flags, i < 16 ? NETTXF_more_data : 0);
        assert_memory_equal(q.page[r.id], frame + total, chunk);
        total += chunk;
    }
    assert_int_equal(total, len);
    assert_int_equal(q.extras, 1);

    /* Answered (extra with NULL): everything free again. */
    push();
    respond_all(NETIF_RSP_OKAY);
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), 0);
    assert_int_equal(out.slots, 17);
    assert_int_equal(out.frames, 1);
    assert_int_equal(out.errors, 0);
    assert_int_equal(q.extras, 0);
    assert_int_equal(q.nfree, NBUFS);
    assert_int_equal(netif_tx_in_flight(&q), 0);
}

/* A frame given in pieces of every shape lands in the buffers byte for byte. */
static void test_fragments(void **state)
{
    size_t len = 2 * PAGE + 37;
    for (size_t cut = 0; cut <= len; cut += 97) {
        struct xenolith_net_frag f[4] = {{frame, cut / 2},
                                         {frame + cut / 2, 0},
                                         {frame + cut / 2, cut - cut / 2},
                                         {frame + cut, len - cut}};
        assert_int_equal(netif_tx_put(&q, f, 4, len, NULL), 3);
        size_t total = 0;
        for (RING_IDX i = q.ring.req_prod_pvt - 3; i != q.ring.req_prod_pvt; i++) {
            netif_tx_request_t r = req_at(i);
            size_t chunk = len - total < PAGE ? len - total : PAGE;
            assert_memory_equal(q.page[r.id], frame + total, chunk);
            total += chunk;
        }
        push();
        respond_all(NETIF_RSP_OKAY);
        struct netif_tx_reaped out;
        assert_int_equal(netif_tx_reap(&q, &out), 0);
        assert_int_equal(out.frames, 1);
    }
    assert_int_equal(q.nfree, NBUFS);
}

static void test_bad_lengths(void **state)
{
    assert_int_equal(put(0, NULL), -EINVAL);
    assert_int_equal(put(NETIF_MAX_FRAME + 1, NULL), -EINVAL);
    assert_int_equal(netif_tx_in_flight(&q), 0);
}

/* ---- what xenolith_net_tx accepts ---- */

#define ALL                                                                                        \
    (XENOLITH_NET_F_SG | XENOLITH_NET_F_CSUM | XENOLITH_NET_F_CSUM6 | XENOLITH_NET_F_TSO4 |        \
     XENOLITH_NET_F_TSO6)

static int check(uint32_t feat, unsigned int mtu, size_t len, int ipv6,
                 const struct xenolith_net_tx_offload *off, struct netif_tx_meta *m)
{
    static uint8_t buf[NETIF_MAX_FRAME + 100];
    memset(buf, 0, 14);
    buf[12] = ipv6 ? 0x86 : 0x08;
    buf[13] = ipv6 ? 0xdd : 0x00;
    /* The ethertype split across two fragments on purpose. */
    struct xenolith_net_frag f[2] = {{buf, 13}, {buf + 13, len - 13}};
    size_t got = 0;
    int rc = netif_tx_check(feat, mtu, f, 2, off, &got, m);
    assert_int_equal(got, len);
    return rc;
}

static void test_check_lengths(void **state)
{
    struct netif_tx_meta m;
    assert_int_equal(check(ALL, 1500, 14, 0, NULL, &m), 0);
    assert_int_equal(check(ALL, 1500, 13, 0, NULL, &m), -EINVAL);
    assert_int_equal(check(ALL, 1500, 1518, 0, NULL, &m), 0); /* MTU + VLAN header */
    assert_int_equal(check(ALL, 1500, 1519, 0, NULL, &m), -EMSGSIZE);
    assert_int_equal(check(ALL, 9000, 9018, 0, NULL, &m), 0);
    assert_int_equal(check(0, 9000, 4096, 0, NULL, &m), 0); /* no sg: one page */
    assert_int_equal(check(0, 9000, 4097, 0, NULL, &m), -EMSGSIZE);
    assert_int_equal(check(ALL, 65517, NETIF_MAX_FRAME, 0, NULL, &m), 0);
    assert_int_equal(check(ALL, 65000, NETIF_MAX_FRAME, 0, NULL, &m), -EMSGSIZE);
    assert_int_equal(check(ALL, 65521, NETIF_MAX_FRAME + 1, 0, NULL, &m), -EMSGSIZE);
    assert_int_equal(m.flags, 0);
    assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_NONE);
}

static void test_check_offloads(void **state)
{
    struct netif_tx_meta m;
    struct xenolith_net_tx_offload csum = {34, 16, 1, 0, 0};
    assert_int_equal(check(ALL, 1500, 100, 0, &csum, &m), 0);
    assert_int_equal(m.flags, NETTXF_csum_blank | NETTXF_data_validated);
    assert_int_equal(check(XENOLITH_NET_F_CSUM6, 1500, 100, 0, &csum, &m), -EINVAL); /* IPv4 */
    assert_int_equal(check(XENOLITH_NET_F_CSUM, 1500, 100, 1, &csum, &m), -EINVAL);  /* IPv6 */
    assert_int_equal(check(XENOLITH_NET_F_CSUM6, 1500, 100, 1, &csum, &m), 0);
    assert_int_equal(check(ALL, 1500, 51, 0, &csum, &m), -EINVAL); /* field past the end */
    assert_int_equal(check(ALL, 1500, 52, 0, &csum, &m), 0);

    struct xenolith_net_tx_offload tso = {34, 16, 1, XENOLITH_NET_GSO_TCPV4, 1448};
    assert_int_equal(check(ALL, 1500, 60000, 0, &tso, &m), 0);
    assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
    assert_int_equal(m.gso_size, 1448);
    assert_int_equal(check(ALL, 1500, NETIF_MAX_FRAME, 0, &tso, &m), 0);
    assert_int_equal(check(ALL & ~XENOLITH_NET_F_TSO4, 1500, 60000, 0, &tso, &m), -EINVAL);
    assert_int_equal(check(ALL, 1500, 60000, 1, &tso, &m), -EINVAL); /* v4 GSO, v6 frame */
    struct xenolith_net_tx_offload tso6 = {54, 16, 1, XENOLITH_NET_GSO_TCPV6, 1428};
    assert_int_equal(check(ALL, 1500, 60000, 1, &tso6, &m), 0);
    assert_int_equal(m.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
    struct xenolith_net_tx_offload nocsum = {34, 16, 0, XENOLITH_NET_GSO_TCPV4, 1448};
    assert_int_equal(check(ALL, 1500, 60000, 0, &nocsum, &m), -EINVAL);
    struct xenolith_net_tx_offload nosize = {34, 16, 1, XENOLITH_NET_GSO_TCPV4, 0};
    assert_int_equal(check(ALL, 1500, 60000, 0, &nosize, &m), -EINVAL);
    struct xenolith_net_tx_offload badtype = {34, 16, 1, 7, 1448};
    assert_int_equal(check(ALL, 1500, 60000, 0, &badtype, &m), -EINVAL);
    struct xenolith_net_tx_offload zero = {0};
    assert_int_equal(check(0, 1500, 1514, 0, &zero, &m), 0);
    assert_int_equal(m.flags, 0);
}

static void test_check_huge_fragment(void **state)
{
    static uint8_t buf[64];
    struct xenolith_net_frag f[2] = {{buf, 64}, {buf, (size_t)1 << 40}};
    size_t len;
    struct netif_tx_meta m;
    assert_int_equal(netif_tx_check(ALL, 1500, f, 2, NULL, &len, &m), -EMSGSIZE);
}

/* ---- room ---- */

static void test_out_of_buffers(void **state)
{
    /* 64 buffers: four 16-slot frames fit, the next does not, and nothing is written. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(put(16 * PAGE - 1, NULL), 16);
    assert_false(netif_tx_room(&q, 1, 0));
    RING_IDX before = q.ring.req_prod_pvt;
    assert_int_equal(put(1, NULL), -ENOSPC);
    assert_int_equal(q.ring.req_prod_pvt, before);
    push();
    respond_all(NETIF_RSP_OKAY);
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), 0);
    assert_int_equal(out.frames, 4);
    assert_true(netif_tx_room(&q, 16 * PAGE - 1, 1));
}

static void test_out_of_ring_slots(void **state)
{
    /* 512 buffers but 256 slots: the ring is what runs out. */
    teardown(state);
    assert_int_equal(setup_n(512), 0);
    for (int i = 0; i < 256; i++)
        assert_int_equal(put(60, NULL), 1);
    assert_false(netif_tx_room(&q, 60, 0));
    assert_int_equal(put(60, NULL), -ENOSPC);
    push();
    /* Answer one: one slot frees up. */
    respond(req_at(back_cons++).id, NETIF_RSP_OKAY);
    publish();
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), 0);
    assert_int_equal(out.slots, 1);
    assert_true(netif_tx_room(&q, 60, 0));
    assert_false(netif_tx_room(&q, 60, 1)); /* a GSO frame needs two */
    assert_int_equal(put(60, NULL), 1);
}

/* ---- responses ---- */

static void test_out_of_order_and_errors(void **state)
{
    for (int i = 0; i < 8; i++)
        assert_int_equal(put(100 + i, NULL), 1);
    push();
    /* Backend answers in reverse, two of them as errors. */
    for (int i = 7; i >= 0; i--)
        respond(req_at((RING_IDX)i).id, i == 2   ? NETIF_RSP_ERROR
                                        : i == 5 ? NETIF_RSP_DROPPED
                                                 : NETIF_RSP_OKAY);
    publish();
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), 0);
    assert_int_equal(out.slots, 8);
    assert_int_equal(out.frames, 8);
    assert_int_equal(out.errors, 2);
    assert_int_equal(q.nfree, NBUFS);
}

static void test_wrap(void **state)
{
    /* Start the indices just below 2^32. */
    RING_IDX start = 0xfffffff0u;
    q.ring.req_prod_pvt = q.ring.rsp_cons = start;
    sring->req_prod = sring->rsp_prod = start;
    back_cons = back_prod = start;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 5; i++)
            assert_true(put((size_t)(1 + round * 1000 + i), NULL) >= 1);
        push();
        respond_all(NETIF_RSP_OKAY);
        struct netif_tx_reaped out;
        assert_int_equal(netif_tx_reap(&q, &out), 0);
        assert_int_equal(out.frames, 5);
    }
    assert_true(q.ring.rsp_cons < start);
    assert_int_equal(q.nfree, NBUFS);
}

static void expect_broken(const char *needle)
{
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), -EPROTO);
    assert_non_null(q.error);
    if (!strstr(q.error, needle))
        fail_msg("error '%s' does not mention '%s'", q.error, needle);
    /* Dead for good: no more puts, no more reaps. */
    assert_int_equal(netif_tx_reap(&q, &out), -EPROTO);
    assert_int_equal(put(60, NULL), -ENOSPC);
}

static void test_bad_id_range(void **state)
{
    put(60, NULL);
    push();
    respond(NBUFS, NETIF_RSP_OKAY);
    publish();
    expect_broken("not in flight");
}

static void test_bad_id_not_in_flight(void **state)
{
    put(60, NULL);
    push();
    uint16_t id = req_at(0).id;
    respond(id == 5 ? 6 : 5, NETIF_RSP_OKAY);
    publish();
    expect_broken("not in flight");
}

static void test_duplicate_response(void **state)
{
    put(60, NULL);
    put(60, NULL);
    push();
    uint16_t id = req_at(0).id;
    respond(id, NETIF_RSP_OKAY);
    respond(id, NETIF_RSP_OKAY);
    publish();
    expect_broken("not in flight");
    /* The first, valid one was still taken. */
    assert_int_equal(q.busy[id], 0);
}

static void test_null_without_extra(void **state)
{
    put(60, NULL);
    push();
    respond(0, NETIF_RSP_NULL);
    publish();
    expect_broken("NULL");
}

static void test_unknown_status(void **state)
{
    put(60, NULL);
    push();
    respond(req_at(0).id, 7);
    publish();
    expect_broken("status");
}

static void test_prod_ahead(void **state)
{
    put(60, NULL);
    put(60, NULL);
    push();
    respond(req_at(0).id, NETIF_RSP_OKAY);
    respond(req_at(1).id, NETIF_RSP_OKAY);
    respond(req_at(1).id, NETIF_RSP_OKAY);
    publish();
    expect_broken("beyond");
    /* Nothing was consumed on the strength of a bogus rsp_prod. */
    assert_int_equal(q.ring.rsp_cons, 0);
}

static void test_prod_far_ahead(void **state)
{
    put(60, NULL);
    push();
    __atomic_store_n(&sring->rsp_prod, 0x80000000u, __ATOMIC_RELEASE);
    expect_broken("beyond");
    assert_int_equal(q.ring.rsp_cons, 0);
}

/* ---- randomized ---- */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/*
 * An honest backend that answers out of order in random batches: the model of
 * which ids are out must match, and every buffer comes back. Then the same with a
 * backend that writes random responses: never a crash, and it gets caught or its
 * responses happened to be valid.
 */
static void test_random_honest(void **state)
{
    uint16_t pending[NBUFS];
    unsigned int npending = 0, extras_due = 0;
    for (int step = 0; step < 20000; step++) {
        if (rng() % 2) {
            size_t len = 1 + rng() % (5 * PAGE);
            int gso = rng() % 4 == 0;
            struct netif_tx_meta m = {0, gso ? XEN_NETIF_GSO_TYPE_TCPV6 : 0, 1400};
            int room = netif_tx_room(&q, len, gso);
            RING_IDX before = q.ring.req_prod_pvt;
            int n = put(len, &m);
            if (!room) {
                assert_int_equal(n, -ENOSPC);
                continue;
            }
            assert_int_equal(n, (int)netif_tx_slots(len, gso));
            for (RING_IDX i = before; i != q.ring.req_prod_pvt; i++) {
                netif_tx_request_t r = req_at(i);
                if (gso && i == before + 1) {
                    extras_due++;
                    continue;
                }
                pending[npending++] = r.id;
            }
            push();
        } else {
            unsigned int k = npending ? rng() % (npending + 1) : 0;
            for (unsigned int j = 0; j < k; j++) {
                unsigned int pick = rng() % npending;
                respond(pending[pick], NETIF_RSP_OKAY);
                pending[pick] = pending[--npending];
            }
            while (extras_due && rng() % 2) {
                respond(0, NETIF_RSP_NULL);
                extras_due--;
            }
            publish();
            struct netif_tx_reaped out;
            assert_int_equal(netif_tx_reap(&q, &out), 0);
            assert_int_equal(q.nfree, NBUFS - npending);
        }
    }
    for (unsigned int j = 0; j < npending; j++)
        respond(pending[j], NETIF_RSP_OKAY);
    while (extras_due--)
        respond(0, NETIF_RSP_NULL);
    publish();
    struct netif_tx_reaped out;
    assert_int_equal(netif_tx_reap(&q, &out), 0);
    assert_int_equal(q.nfree, NBUFS);
    assert_int_equal(netif_tx_in_flight(&q), 0);
}

static void test_random_liar(void **state)
{
    int caught = 0;
    for (int run = 0; run < 300; run++) {
        teardown(state);
        setup(state);
        for (int step = 0; step < 200 && !q.error; step++) {
            put(1 + rng() % (3 * PAGE), NULL);
            push();
            unsigned int k = rng() % 4;
            for (unsigned int j = 0; j < k; j++) {
                uint16_t id = (uint16_t)(rng() % 3 == 0 ? rng() : rng() % NBUFS);
                int16_t st = (int16_t)(rng() % 5 == 0 ? (int)(rng() % 8) - 4 : 0);
                respond(id, st);
            }
            if (rng() % 50 == 0)
                back_prod += rng() % 512;
            publish();
            struct netif_tx_reaped out;
            int rc = netif_tx_reap(&q, &out);
            assert_true(rc == 0 || rc == -EPROTO);
            assert_true(q.nfree <= NBUFS);
            assert_true(netif_tx_in_flight(&q) <= RING_SIZE(&q.ring));
        }
        caught += q.error != NULL;
    }
    assert_true(caught > 250);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ring_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gso_extra_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lengths, setup, teardown),
        cmocka_unit_test(test_check_lengths),
        cmocka_unit_test(test_check_offloads),
        cmocka_unit_test(test_check_huge_fragment),
        cmocka_unit_test_setup_teardown(test_out_of_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_ring_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_id_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_id_not_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_without_extra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prod_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prod_far_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_honest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_liar, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
