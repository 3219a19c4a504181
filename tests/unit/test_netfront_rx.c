// Host tests for drivers/net/netif_rx.c: buffers posted with id == slot and their
// grants, single- and multi-slot frames, a GSO extra slot (its buffer comes back too),
// frames whose last slots come later, backend error statuses, reposting and index wrap
// at 2^32, rsp_event arming, and each kind of backend misbehaviour we check (rsp_prod
// ahead of what we posted, wrong id, offset/size past the page, more_data without sg,
// GSO we never offered, unknown extra type, GSO prefix, too many slots, too long),
// then a randomized fake backend that sometimes lies.
// UNIT-SOURCES: drivers/net/netif_rx.c core/format.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/net/netif_rx.h"

#define PAGE    NETIF_PAGE_SIZE
#define NBUFS   300 /* more than the ring's 256 slots */
#define GREF(i) (5000u + (i))

static netif_rx_sring_t *sring;
static struct netif_rxq q;
static RING_IDX back_cons, back_prod; /* the fake backend's indices */

static int setup_opts(int sg, int gso, unsigned int nbufs)
{
    sring = aligned_alloc(PAGE, PAGE);
    memset(sring, 0x5a, PAGE);
    if (netif_rxq_init(&q, sring, nbufs, sg, gso) != 0)
        return -1;
    for (unsigned int i = 0; i < nbufs; i++) {
        q.page[i] = NULL; /* the ring code never touches the pages */
        q.gref[i] = GREF(i);
    }
    back_cons = back_prod = 0;
    return 0;
}

static int setup(void **state)
{
    return setup_opts(1, 1, NBUFS);
}

static int setup_nosg(void **state)
{
    return setup_opts(0, 0, NBUFS);
}

static int teardown(void **state)
{
    netif_rxq_destroy(&q);
    free(sring);
    return 0;
}

static void refill_push(void)
{
    netif_rx_refill(&q);
    RING_PUSH_REQUESTS(&q.ring);
}

/* The fake backend takes the next request and answers in its slot. */
static netif_rx_request_t take(void)
{
    netif_rx_request_t r = sring->ring[back_cons & (RING_SIZE(&q.ring) - 1)].req;
    back_cons++;
    return r;
}

static void answer(uint16_t id, uint16_t offset, uint16_t flags, int16_t status)
{
    netif_rx_response_t *r = &sring->ring[back_prod & (RING_SIZE(&q.ring) - 1)].rsp;
    r->id = id;
    r->offset = offset;
    r->flags = flags;
    r->status = status;
    back_prod++;
}

static void answer_next(uint16_t offset, uint16_t flags, int16_t status)
{
    netif_rx_request_t r = take();
    answer(r.id, offset, flags, status);
}

static void answer_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
    take();
    netif_extra_info_t ex;
    memset(&ex, 0, sizeof(ex));
    ex.type = type;
    ex.flags = flags;
    ex.u.gso.size = gso_size;
    ex.u.gso.type = gso_type;
    memcpy(&sring->ring[back_prod & (RING_SIZE(&q.ring) - 1)].rsp, &ex, sizeof(ex));
    back_prod++;
}

static void publish(void)
{
    __atomic_store_n(&sring->rsp_prod, back_prod, __ATOMIC_RELEASE);
}

static void next_ok(struct netif_rx_frame *f)
{
    int rc = netif_rx_next(&q, f);
    if (rc != 1)
        fail_msg("netif_rx_next: %d (%s)", rc, q.error ? q.error : "no frame");
}

static void expect_broken(const char *needle)
{
    struct netif_rx_frame f;
    RING_IDX cons = q.ring.rsp_cons;
    assert_int_equal(netif_rx_next(&q, &f), -EPROTO);
    assert_non_null(q.error);
    if (!strstr(q.error, needle))
        fail_msg("error '%s' does not mention '%s'", q.error, needle);
    assert_int_equal(q.ring.rsp_cons, cons); /* nothing taken from a bad frame */
    assert_int_equal(netif_rx_next(&q, &f), -EPROTO);
    assert_int_equal(netif_rx_refill(&q), 0);
}

/* ---- posting ---- */

static void test_refill(void **state)
{
    assert_int_equal(netif_rx_refill(&q), 256);
    assert_int_equal(netif_rx_posted(&q), 256);
    assert_int_equal(q.nfree, NBUFS - 256);
    assert_int_equal(netif_rx_refill(&q), 0); /* ring full */
    RING_PUSH_REQUESTS(&q.ring);
    for (unsigned int i = 0; i < 256; i++) {
        netif_rx_request_t r = take();
        assert_int_equal(r.id, i);
        assert_int_equal(r.gref, GREF(q.slot_buf[i]));
        for (unsigned int j = 0; j < i; j++)
            assert_int_not_equal(q.slot_buf[j], q.slot_buf[i]);
    }
}

static void test_init_limits(void **state)
{
    struct netif_rxq q2;
    netif_rx_sring_t *s = aligned_alloc(PAGE, PAGE);
    assert_int_equal(netif_rxq_init(&q2, s, NETIF_RX_MAX_SLOTS - 1, 1, 1), -EINVAL);
    assert_int_equal(netif_rxq_init(&q2, s, NETIF_RX_NONE, 1, 1), -EINVAL);
    assert_int_equal(netif_rxq_init(&q2, s, NETIF_RX_MAX_SLOTS, 0, 1), 0);
    assert_int_equal(q2.gso, 0); /* GSO receive needs sg */
    assert_int_equal(q2.max_len, PAGE);
    netif_rxq_destroy(&q2);
    free(s);
}

/* ---- frames ---- */

static void test_single(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    assert_int_equal(netif_rx_next(&q, &f), 0);
    uint16_t b = q.slot_buf[0];
    answer_next(0, NETRXF_data_validated | NETRXF_csum_blank, 60);
    publish();
    next_ok(&f);
    assert_int_equal(f.len, 60);
    assert_int_equal(f.nseg, 1);
    assert_int_equal(f.seg[0].buf, b);
    assert_int_equal(f.seg[0].offset, 0);
    assert_int_equal(f.seg[0].len, 60);
    assert_int_equal(f.status, 0);
    assert_int_equal(f.flags, NETRXF_data_validated | NETRXF_csum_blank);
    assert_int_equal(f.nbuf, 1);
    assert_int_equal(q.slot_buf[0], NETIF_RX_NONE);
    struct netif_rx_frame none;
    assert_int_equal(netif_rx_next(&q, &none), 0);
    unsigned int nfree = q.nfree;
    netif_rx_release(&q, &f);
    assert_int_equal(q.nfree, nfree + 1);
    /* The slot is posted again, with a buffer from the free stack. */
    assert_int_equal(netif_rx_refill(&q), 1);
    assert_int_equal(netif_rx_posted(&q), 256);
}

static void test_offset(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    answer_next(PAGE - 100, 0, 100);
    publish();
    next_ok(&f);
    assert_int_equal(f.seg[0].offset, PAGE - 100);
    assert_int_equal(f.len, 100);
}

static void test_multi_slot_gso(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    /* first (extra_info, more) / GSO extra / 14 full pages / a tail of 500 */
    answer_next(0, NETRXF_more_data | NETRXF_extra_info | NETRXF_csum_blank, PAGE);
    answer_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV6);
    for (int i = 0; i < 14; i++)
        answer_next(0, NETRXF_more_data, PAGE);
    answer_next(0, 0, 500);
    /* And a small frame after it. */
    answer_next(0, 0, 42);
    publish();
    next_ok(&f);
    assert_int_equal(f.len, 15 * PAGE + 500);
    assert_int_equal(f.nseg, 16);
    assert_int_equal(f.nbuf, 17);
    assert_int_equal(f.flags, NETRXF_csum_blank);
    assert_int_equal(f.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
    assert_int_equal(f.gso_size, 1448);
    assert_int_equal(q.ring.rsp_cons, 17);
    netif_rx_release(&q, &f);
    next_ok(&f);
    assert_int_equal(f.len, 42);
    assert_int_equal(f.gso_type, XEN_NETIF_GSO_TYPE_NONE);
    netif_rx_release(&q, &f);
    assert_int_equal(q.nfree + netif_rx_posted(&q), NBUFS);
}

static void test_hash_extra_skipped(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    answer_next(0, NETRXF_extra_info, 80);
    answer_extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
    answer_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1000, XEN_NETIF_GSO_TYPE_TCPV4);
    publish();
    next_ok(&f);
    assert_int_equal(f.len, 80);
    assert_int_equal(f.nbuf, 3);
    assert_int_equal(f.gso_size, 1000);
}

static void test_incomplete_then_complete(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    answer_next(0, NETRXF_more_data, PAGE);
    answer_next(0, NETRXF_more_data, PAGE);
    publish();
    assert_int_equal(netif_rx_next(&q, &f), 0);
    assert_int_equal(q.ring.rsp_cons, 0);
    assert_int_equal(q.seen, 2);
    /* Armed past what we saw, not at rsp_cons + 1 (that would spin). */
    assert_int_equal(netif_rx_arm(&q), 0);
    assert_int_equal(sring->rsp_event, 3);
    answer_next(0, 0, 10);
    publish();
    assert_int_equal(netif_rx_arm(&q), 1);
    next_ok(&f);
    assert_int_equal(f.len, 2 * PAGE + 10);
    assert_int_equal(q.seen, 3);
    assert_int_equal(netif_rx_arm(&q), 0);
    assert_int_equal(sring->rsp_event, 4);
}

static void test_error_status(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    answer_next(0, NETRXF_more_data, NETIF_RSP_ERROR);
    answer_next(0, 0, 100);
    publish();
    next_ok(&f);
    assert_int_equal(f.status, NETIF_RSP_ERROR);
    assert_int_equal(f.nbuf, 2);
    netif_rx_release(&q, &f);
    assert_int_equal(q.nfree, NBUFS - 256 + 2);
}

static void test_zero_length_slot(void **state)
{
    struct netif_rx_frame f;
    refill_push();
    answer_next(0, NETRXF_more_data, 0);
    answer_next(0, 0, 64);
    publish();
    next_ok(&f);
    assert_int_equal(f.nseg, 1);
    assert_int_equal(f.len, 64);
}

static void test_wrap(void **state)
{
    RING_IDX start = 0xffffff00u;
    q.ring.req_prod_pvt = q.ring.rsp_cons = q.seen = start;
    sring->req_prod = sring->rsp_prod = start;
    back_cons = back_prod = start;
    struct netif_rx_frame f;
    for (int round = 0; round < 2000; round++) {
        refill_push();
        int n = 1 + round % 7;
        for (int i = 0; i < n; i++)
            answer_next(0, i + 1 < n ? NETRXF_more_data : 0, (int16_t)(100 + i));
        publish();
        next_ok(&f);
        assert_int_equal(f.nseg, n);
        netif_rx_release(&q, &f);
        assert_int_equal(netif_rx_arm(&q), 0);
    }
    assert_true(q.ring.rsp_cons < start);
    refill_push();
    assert_int_equal(q.nfree + netif_rx_posted(&q), NBUFS);
}

/* ---- misbehaviour ---- */

static void test_prod_ahead(void **state)
{
    refill_push();
    __atomic_store_n(&sring->rsp_prod, 257, __ATOMIC_RELEASE);
    expect_broken("ahead");
}

static void test_prod_ahead_of_partial_refill(void **state)
{
    netif_rx_refill(&q);
    /* Take 10 back, post nothing: 246 posted, a 247th response is a lie. */
    for (int i = 0; i < 10; i++)
        answer_next(0, 0, 60);
    publish();
    struct netif_rx_frame f;
    for (int i = 0; i < 10; i++)
        next_ok(&f);
    for (int i = 0; i < 247; i++)
        answer_next(0, 0, 60);
    publish();
    expect_broken("ahead");
}

static void test_wrong_id(void **state)
{
    refill_push();
    take();
    answer(7, 0, 0, 60);
    publish();
    expect_broken("id");
}

static void test_past_page(void **state)
{
    refill_push();
    answer_next(PAGE - 10, 0, 11);
    publish();
    expect_broken("past the page");
}

static void test_offset_past_page(void **state)
{
    refill_push();
    answer_next(PAGE + 1, 0, 0);
    publish();
    expect_broken("past the page");
}

static void test_more_without_sg(void **state)
{
    refill_push();
    answer_next(0, NETRXF_more_data, 100);
    answer_next(0, 0, 100);
    publish();
    expect_broken("feature-sg");
}

static void test_gso_not_offered(void **state)
{
    refill_push();
    answer_next(0, NETRXF_extra_info, 100);
    answer_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
    publish();
    expect_broken("GSO");
}

static void test_bad_gso(void **state)
{
    refill_push();
    answer_next(0, NETRXF_extra_info, 100);
    answer_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
    publish();
    expect_broken("GSO");
}

static void test_unknown_extra(void **state)
{
    refill_push();
    answer_next(0, NETRXF_extra_info, 100);
    answer_extra(XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
    publish();
    expect_broken("unknown type");
}

static void test_gso_prefix(void **state)
{
    refill_push();
    answer_next(0, NETRXF_gso_prefix, 100);
    publish();
    expect_broken("prefix");
}

static void test_too_many_slots(void **state)
{
    refill_push();
    for (unsigned int i = 0; i < NETIF_RX_MAX_SLOTS + 1; i++)
        answer_next(0, NETRXF_more_data, 1);
    publish();
    expect_broken("slots");
}

static void test_endless_extras(void **state)
{
    refill_push();
    answer_next(0, NETRXF_extra_info, 100);
    for (unsigned int i = 0; i < NETIF_RX_MAX_SLOTS + 1; i++)
        answer_extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
    publish();
    expect_broken("slots");
}

static void test_too_long(void **state)
{
    refill_push();
    /* 17 full pages = 69632 bytes > 65553. */
    for (int i = 0; i < 17; i++)
        answer_next(0, NETRXF_more_data, PAGE);
    answer_next(0, 0, 1);
    publish();
    expect_broken("longer");
}

/* ---- randomized ---- */

static uint32_t rng_state = 777;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Honest backend, frames of random shape in random batches: all delivered intact. */
static void test_random_honest(void **state)
{
    size_t want_len[256];
    unsigned int nwant = 0, head = 0;
    uint64_t frames = 0;
    for (int step = 0; step < 30000; step++) {
        refill_push();
        unsigned int avail = back_cons - back_prod; /* always 0 here */
        (void)avail;
        unsigned int room = sring->req_prod - back_cons;
        /* Write up to a few frames the posted buffers can hold. */
        unsigned int nframes = rng() % 4;
        for (unsigned int k = 0; k < nframes; k++) {
            unsigned int slots = 1 + rng() % 5;
            int gso = rng() % 3 == 0;
            if (slots + gso > room || nwant == 256)
                break;
            room -= slots + gso;
            size_t len = 0;
            for (unsigned int s = 0; s < slots; s++) {
                int16_t sz = (int16_t)(1 + rng() % PAGE);
                uint16_t flags = (uint16_t)((s + 1 < slots ? NETRXF_more_data : 0) |
                                            (s == 0 && gso ? NETRXF_extra_info : 0));
                answer_next((uint16_t)(PAGE - sz), flags, sz);
                if (s == 0 && gso)
                    answer_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
                len += (size_t)sz;
            }
            want_len[(head + nwant++) % 256] = len;
        }
        /* Publish part of what was written sometimes: incomplete frames happen. */
        RING_IDX pub = back_prod;
        if (rng() % 3 == 0 && back_prod != sring->rsp_prod)
            pub = sring->rsp_prod + rng() % (back_prod - sring->rsp_prod + 1);
        __atomic_store_n(&sring->rsp_prod, pub, __ATOMIC_RELEASE);
        struct netif_rx_frame f;
        int rc;
        while ((rc = netif_rx_next(&q, &f)) == 1) {
            assert_true(nwant > 0);
            assert_int_equal(f.len, want_len[head]);
            head = (head + 1) % 256;
            nwant--;
            frames++;
            netif_rx_release(&q, &f);
        }
        assert_int_equal(rc, 0);
        publish();
    }
    assert_true(frames > 10000);
}

/* A backend that writes garbage: no crash, no buffer lost or duplicated, caught. */
static void test_random_liar(void **state)
{
    int caught = 0;
    for (int run = 0; run < 500; run++) {
        teardown(state);
        setup_opts(rng() % 2, rng() % 2, NETIF_RX_MAX_SLOTS + rng() % 300);
        for (int step = 0; step < 100 && !q.error; step++) {
            refill_push();
            unsigned int k = rng() % 6;
            for (unsigned int j = 0; j < k && back_cons != sring->req_prod; j++) {
                netif_rx_request_t r = take();
                uint32_t x = rng();
                netif_rx_response_t *rsp = &sring->ring[back_prod & (RING_SIZE(&q.ring) - 1)].rsp;
                rsp->id = x % 16 == 0 ? (uint16_t)rng() : r.id;
                rsp->offset = (uint16_t)(x % 8 == 1 ? rng() : rng() % 256);
                rsp->flags = (uint16_t)(rng() & (x % 4 == 2 ? 0xffff : NETRXF_more_data));
                rsp->status = (int16_t)(x % 32 == 3 ? rng() : rng() % 1500);
                back_prod++;
            }
            if (rng() % 40 == 0)
                back_prod += rng() % 600;
            publish();
            struct netif_rx_frame f;
            int rc;
            while ((rc = netif_rx_next(&q, &f)) == 1) {
                assert_true(f.nbuf <= NETIF_RX_MAX_SLOTS);
                assert_true(f.len <= q.max_len);
                for (unsigned int s = 0; s < f.nseg; s++)
                    assert_true(f.seg[s].offset + f.seg[s].len <= PAGE);
                netif_rx_release(&q, &f);
            }
            assert_true(rc == 0 || rc == -EPROTO);
            if (!q.error) {
                /* Every buffer is free, posted, or sitting in an incomplete frame. */
                assert_true(q.nfree + netif_rx_posted(&q) == q.nbufs);
            }
        }
        caught += q.error != NULL;
    }
    assert_true(caught > 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_slot_gso, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_extra_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_then_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_length_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prod_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prod_ahead_of_partial_refill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_past_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset_past_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_without_sg, setup_nosg, teardown),
        cmocka_unit_test_setup_teardown(test_gso_not_offered, setup_nosg, teardown),
        cmocka_unit_test_setup_teardown(test_bad_gso, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_extra, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gso_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_extras, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_honest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_liar, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
