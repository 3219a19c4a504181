// Host tests for drivers/block/blkif_ring.c: the in-flight table, range checks, cutting
// transfers into ring requests (direct and indirect), request layouts, and taking
// responses off crafted shared rings: good ones in any order, and each kind of bad one
// (unknown, repeated, stale id; wrong operation; undefined status; runaway producer);
// segments per request from absurd feature-max-indirect-segments values.
// UNIT-SOURCES: drivers/block/blkif_ring.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/block/blkif_ring.h"

/* ---- in-flight table ---- */

static void test_inflight_exhaustion_and_reuse(void **state)
{
    struct blkif_slot slots[32];
    struct blkif_inflight t;
    uint64_t ids[32], id;
    uint32_t s, seen = 0;

    blkif_inflight_init(&t, slots, 32);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(blkif_inflight_get(&t, BLKIF_OP_READ, BLKIF_OP_READ, &s, &ids[i]), 0);
        assert_true(s < 32);
        assert_false(seen & (1u << s));
        seen |= 1u << s;
        assert_int_not_equal(ids[i], 0);
        assert_int_equal(blkif_inflight_id(&t, s), ids[i]);
    }
    assert_int_equal(t.nr_busy, 32);
    assert_int_equal(blkif_inflight_get(&t, BLKIF_OP_READ, BLKIF_OP_READ, &s, &id), -ENOSPC);

    /* A slot used again gets a different id. */
    blkif_inflight_put(&t, 7);
    blkif_inflight_put(&t, 7); /* harmless twice */
    assert_int_equal(t.nr_busy, 31);
    assert_int_equal(blkif_inflight_get(&t, BLKIF_OP_WRITE, BLKIF_OP_WRITE, &s, &id), 0);
    assert_int_equal(s, 7);
    for (int i = 0; i < 32; i++)
        assert_int_not_equal(id, ids[i]);
}

/* ---- ranges and cutting ---- */

static void test_check_range(void **state)
{
    const uint64_t sectors = 131072; /* 64 MiB of 512 */
    assert_int_equal(blkif_check_range(0, 512, 512, sectors), 0);
    assert_int_equal(blkif_check_range(0, 64 << 20, 512, sectors), 0);
    assert_int_equal(blkif_check_range((64 << 20) - 512, 512, 512, sectors), 0);
    assert_int_equal(blkif_check_range(0, 0, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(1, 512, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(0, 511, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(64 << 20, 512, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range((64 << 20) - 512, 1024, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(UINT64_MAX - 511, 512, 512, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(512, UINT64_MAX - 511, 512, sectors), -EINVAL);
    /* 4 KiB logical sectors: 512-aligned is not enough. */
    assert_int_equal(blkif_check_range(4096, 8192, 4096, 16384), 0);
    assert_int_equal(blkif_check_range(512, 4096, 4096, 16384), -EINVAL);
    assert_int_equal(blkif_check_range(0, 2048, 4096, 16384), -EINVAL);
    /* Nonsense sector sizes. */
    assert_int_equal(blkif_check_range(0, 512, 0, sectors), -EINVAL);
    assert_int_equal(blkif_check_range(0, 768, 768, sectors), -EINVAL);
}

static void test_pages_and_chunks(void **state)
{
    assert_int_equal(blkif_data_pages(512), 1);
    assert_int_equal(blkif_data_pages(4096), 1);
    assert_int_equal(blkif_data_pages(4608), 2);
    assert_int_equal(blkif_data_pages(1 << 20), 256);
    assert_int_equal(blkif_indirect_pages(1), 0);
    assert_int_equal(blkif_indirect_pages(11), 0);
    assert_int_equal(blkif_indirect_pages(12), 1);
    assert_int_equal(blkif_indirect_pages(512), 1);
    assert_int_equal(blkif_indirect_pages(513), 2);
    assert_int_equal(blkif_indirect_pages(4096), 8);

    /* Cutting transfers of many sizes: pieces add up, none too big, all but the last whole
     * pages, and each a multiple of 512. */
    const uint32_t maxes[] = {11, 32, 256, 4096};
    for (unsigned m = 0; m < 4; m++) {
        for (uint64_t len = 512; len < (40u << 20); len = len * 3 + 512) {
            uint64_t left = len, n = 0;
            while (left) {
                uint32_t c = blkif_next_chunk(left, maxes[m]);
                assert_true(c > 0);
                assert_true(c <= (uint64_t)maxes[m] * 4096);
                assert_int_equal(c % 512, 0);
                assert_true(blkif_data_pages(c) <= maxes[m]);
                if (c != left)
                    assert_int_equal(c % 4096, 0);
                left -= c;
                n++;
            }
            assert_int_equal(n,
                             (len + (uint64_t)maxes[m] * 4096 - 1) / ((uint64_t)maxes[m] * 4096));
        }
    }
}

/* ---- request layouts ---- */

static grant_ref_t grefs[BLKIF_MAX_INDIRECT_SEGS];

static void fill_grefs(void)
{
    for (unsigned i = 0; i < BLKIF_MAX_INDIRECT_SEGS; i++)
        grefs[i] = 1000 + i;
}

static void test_build_direct(void **state)
{
    blkif_request_t req;
    fill_grefs();
    struct blkif_rw rw = {
        .id = 0x1234500000007ULL,
        .op = BLKIF_OP_WRITE,
        .handle = 51712,
        .sector = 99,
        .nbytes = 2 * 4096 + 1536,
        .grefs = grefs,
    };
    memset(&req, 0xa5, sizeof(req));
    assert_int_equal(blkif_build_rw(&req, &rw), 3);
    assert_int_equal(req.operation, BLKIF_OP_WRITE);
    assert_int_equal(req.nr_segments, 3);
    assert_int_equal(req.handle, 51712);
    assert_int_equal(req.id, rw.id);
    assert_int_equal(req.sector_number, 99);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(req.seg[i].gref, 1000 + i);
        assert_int_equal(req.seg[i].first_sect, 0);
    }
    assert_int_equal(req.seg[0].last_sect, 7);
    assert_int_equal(req.seg[1].last_sect, 7);
    assert_int_equal(req.seg[2].last_sect, 2);

    /* Eleven full pages still fit a direct request. */
    rw.nbytes = 11 * 4096;
    rw.op = BLKIF_OP_READ;
    assert_int_equal(blkif_build_rw(&req, &rw), 11);
    assert_int_equal(req.operation, BLKIF_OP_READ);
    assert_int_equal(req.seg[10].gref, 1010);
    assert_int_equal(req.seg[10].last_sect, 7);

    /* Impossible requests. */
    rw.nbytes = 0;
    assert_int_equal(blkif_build_rw(&req, &rw), -EINVAL);
    rw.nbytes = 1000;
    assert_int_equal(blkif_build_rw(&req, &rw), -EINVAL);
    rw.nbytes = 4096;
    rw.op = BLKIF_OP_DISCARD;
    assert_int_equal(blkif_build_rw(&req, &rw), -EINVAL);
    /* More than 11 segments without indirect pages. */
    rw.op = BLKIF_OP_READ;
    rw.nbytes = 12 * 4096;
    assert_int_equal(blkif_build_rw(&req, &rw), -EINVAL);
}

static void test_build_indirect(void **state)
{
    static struct blkif_request_segment pages[8][512];
    struct blkif_request_segment *ind[8];
    grant_ref_t ind_grefs[8] = {70, 71, 72, 73, 74, 75, 76, 77};
    blkif_request_t req;

    fill_grefs();
    for (int i = 0; i < 8; i++)
        ind[i] = pages[i];
    memset(pages, 0xff, sizeof(pages));
    struct blkif_rw rw = {
        .id = 42,
        .op = BLKIF_OP_READ,
        .handle = 51728,
        .sector = 8,
        .nbytes = 600 * 4096 - 512,
        .grefs = grefs,
        .ind_pages = ind,
        .ind_grefs = ind_grefs,
    };
    assert_int_equal(blkif_build_rw(&req, &rw), 600);
    struct blkif_request_indirect in;
    memcpy(&in, &req, sizeof(in));
    assert_int_equal(in.operation, BLKIF_OP_INDIRECT);
    assert_int_equal(in.indirect_op, BLKIF_OP_READ);
    assert_int_equal(in.nr_segments, 600);
    assert_int_equal(in.id, 42);
    assert_int_equal(in.sector_number, 8);
    assert_int_equal(in.handle, 51728);
    assert_int_equal(in.indirect_grefs[0], 70);
    assert_int_equal(in.indirect_grefs[1], 71);
    assert_int_equal(in.indirect_grefs[2], 0); /* unused ones stay zero */
    for (int i = 0; i < 600; i++) {
        struct blkif_request_segment s = pages[i / 512][i % 512];
        assert_int_equal(s.gref, 1000 + i);
        assert_int_equal(s.first_sect, 0);
        assert_int_equal(s.last_sect, i == 599 ? 6 : 7);
    }
    /* Entries past the last segment are not touched. */
    assert_int_equal(pages[1][600 - 512].gref, 0xffffffffu);

    /* The largest request the protocol can describe, and one more page. */
    rw.nbytes = BLKIF_MAX_INDIRECT_SEGS * 4096;
    assert_int_equal(blkif_build_rw(&req, &rw), BLKIF_MAX_INDIRECT_SEGS);
    memcpy(&in, &req, sizeof(in));
    assert_int_equal(in.indirect_grefs[7], 77);
    rw.nbytes += 4096;
    assert_int_equal(blkif_build_rw(&req, &rw), -EINVAL);
}

static void test_build_flush_discard(void **state)
{
    blkif_request_t req;
    memset(&req, 0xa5, sizeof(req));
    blkif_build_flush(&req, 9, BLKIF_OP_FLUSH_DISKCACHE, 51712);
    assert_int_equal(req.operation, BLKIF_OP_FLUSH_DISKCACHE);
    assert_int_equal(req.nr_segments, 0);
    assert_int_equal(req.id, 9);
    assert_int_equal(req.handle, 51712);

    blkif_build_discard(&req, 10, 51712, 2048, 4096, 1);
    struct blkif_request_discard d;
    memcpy(&d, &req, sizeof(d));
    assert_int_equal(d.operation, BLKIF_OP_DISCARD);
    assert_int_equal(d.flag, BLKIF_DISCARD_SECURE);
    assert_int_equal(d.id, 10);
    assert_int_equal(d.handle, 51712);
    assert_int_equal(d.sector_number, 2048);
    assert_int_equal(d.nr_sectors, 4096);
    blkif_build_discard(&req, 11, 51712, 0, 1, 0);
    memcpy(&d, &req, sizeof(d));
    assert_int_equal(d.flag, 0);
}

/* ---- responses on a crafted ring ---- */

struct rig {
    union {
        struct blkif_sring s;
        char page[4096];
    } * mem;
    blkif_front_ring_t front;
    blkif_back_ring_t back;
    struct blkif_slot slots[32];
    struct blkif_inflight t;
    int done_count[32];
    int done_err[32];
    int calls;
};

static void rig_init(struct rig *g)
{
    memset(g, 0, sizeof(*g));
    g->mem = aligned_alloc(4096, 4096);
    assert_non_null(g->mem);
    memset(g->mem, 0, 4096);
    SHARED_RING_INIT(&g->mem->s);
    FRONT_RING_INIT(&g->front, &g->mem->s, 4096);
    BACK_RING_INIT(&g->back, &g->mem->s, 4096);
    assert_int_equal(RING_SIZE(&g->front), 32);
    blkif_inflight_init(&g->t, g->slots, 32);
}

static void rig_free(struct rig *g)
{
    free(g->mem);
}

static void on_done(void *ctx, uint32_t slot, int err)
{
    struct rig *g = ctx;
    assert_true(slot < 32);
    g->done_count[slot]++;
    g->done_err[slot] = err;
    g->calls++;
}

/* The frontend issues a request of op; returns its slot. */
static uint32_t issue(struct rig *g, uint8_t op, uint8_t alt)
{
    uint32_t slot;
    uint64_t id;
    assert_int_equal(blkif_inflight_get(&g->t, op, alt, &slot, &id), 0);
    blkif_request_t *r = RING_GET_REQUEST(&g->front, g->front.req_prod_pvt);
    blkif_build_flush(r, id, op, 0);
    g->front.req_prod_pvt++;
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&g->front, notify);
    (void)notify;
    return slot;
}

/* The backend answers with whatever we say. */
static void respond(struct rig *g, uint64_t id, uint8_t op, int16_t status)
{
    blkif_response_t *rsp = RING_GET_RESPONSE(&g->back, g->back.rsp_prod_pvt);
    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    g->back.rsp_prod_pvt++;
    RING_PUSH_RESPONSES(&g->back);
}

static void test_responses_good(void **state)
{
    struct rig g;
    struct blkif_fault f;
    rig_init(&g);
    uint32_t a = issue(&g, BLKIF_OP_READ, BLKIF_OP_READ);
    uint32_t b = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    uint32_t c = issue(&g, BLKIF_OP_INDIRECT, BLKIF_OP_WRITE);
    uint32_t d = issue(&g, BLKIF_OP_INDIRECT, BLKIF_OP_READ);
    uint32_t e = issue(&g, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_FLUSH_DISKCACHE);

    /* Nothing yet: nothing taken, and rsp_event asks for the next response. */
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), 0);
    assert_int_equal(g.mem->s.rsp_event, g.front.rsp_cons + 1);

    /* Out of order; an indirect request answered with its inner op and with INDIRECT. */
    respond(&g, blkif_inflight_id(&g.t, c), BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    respond(&g, blkif_inflight_id(&g.t, a), BLKIF_OP_READ, BLKIF_RSP_ERROR);
    respond(&g, blkif_inflight_id(&g.t, e), BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_EOPNOTSUPP);
    respond(&g, blkif_inflight_id(&g.t, d), BLKIF_OP_INDIRECT, BLKIF_RSP_OKAY);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), 4);
    assert_int_equal(f.kind, BLKIF_FAULT_NONE);
    assert_int_equal(g.done_count[c], 1);
    assert_int_equal(g.done_err[c], 0);
    assert_int_equal(g.done_count[a], 1);
    assert_int_equal(g.done_err[a], -EIO);
    assert_int_equal(g.done_count[e], 1);
    assert_int_equal(g.done_err[e], -EOPNOTSUPP);
    assert_int_equal(g.done_count[d], 1);
    assert_int_equal(g.done_count[b], 0);
    assert_int_equal(g.t.nr_busy, 1);
    assert_int_equal(g.mem->s.rsp_event, g.front.rsp_cons + 1);

    respond(&g, blkif_inflight_id(&g.t, b), BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), 1);
    assert_int_equal(g.done_count[b], 1);
    assert_int_equal(g.t.nr_busy, 0);
    rig_free(&g);
}

/* One good response, then a bad one: the good one completes, the bad one is reported. */
static void expect_fault(struct rig *g, uint64_t bad_id, uint8_t bad_op, int16_t bad_status,
                         enum blkif_fault_kind kind)
{
    struct blkif_fault f;
    uint32_t good = issue(g, BLKIF_OP_READ, BLKIF_OP_READ);
    /* Another request outstanding, so two responses are within the producer's budget. */
    (void)issue(g, BLKIF_OP_READ, BLKIF_OP_READ);
    respond(g, blkif_inflight_id(&g->t, good), BLKIF_OP_READ, BLKIF_RSP_OKAY);
    respond(g, bad_id, bad_op, bad_status);
    int before = g->calls;
    assert_int_equal(blkif_take_responses(&g->front, &g->t, on_done, g, &f), -EPROTO);
    assert_int_equal(f.kind, kind);
    assert_int_equal(f.id, bad_id);
    assert_int_equal(g->calls, before + 1);
    assert_int_equal(g->done_count[good] > 0, 1);
    /* The bad response was not consumed. */
    assert_int_equal(g->front.rsp_cons, g->back.rsp_prod_pvt - 1);
    assert_non_null(blkif_fault_name(kind));
}

static void test_response_unknown_id(void **state)
{
    struct rig g;
    rig_init(&g);
    expect_fault(&g, 32, BLKIF_OP_READ, 0, BLKIF_FAULT_BAD_ID);
    rig_free(&g);
    rig_init(&g);
    expect_fault(&g, 0, BLKIF_OP_READ, 0, BLKIF_FAULT_BAD_ID); /* a zeroed response */
    rig_free(&g);
    rig_init(&g);
    expect_fault(&g, 0xffffffffffffffffULL, BLKIF_OP_READ, 0, BLKIF_FAULT_BAD_ID);
    rig_free(&g);
    /* The right slot but a generation never handed out. */
    rig_init(&g);
    uint32_t s = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    expect_fault(&g, blkif_inflight_id(&g.t, s) + (5ULL << 32), BLKIF_OP_WRITE, 0,
                 BLKIF_FAULT_BAD_ID);
    rig_free(&g);
}

static void test_response_repeated(void **state)
{
    struct rig g;
    struct blkif_fault f;
    rig_init(&g);
    uint32_t s = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    uint32_t other = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    uint64_t id = blkif_inflight_id(&g.t, s);
    respond(&g, id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), 1);
    /* The same id again while the slot is idle (and another request is outstanding, so
     * the producer index alone does not give it away). */
    respond(&g, id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), -EPROTO);
    assert_int_equal(f.kind, BLKIF_FAULT_REPEATED);
    assert_int_equal(f.id, id);
    assert_int_equal(g.done_count[s], 1);
    assert_int_equal(g.done_count[other], 0);
    rig_free(&g);
}

static void test_response_stale(void **state)
{
    struct rig g;
    struct blkif_fault f;
    rig_init(&g);
    uint32_t s = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    uint64_t old = blkif_inflight_id(&g.t, s);
    respond(&g, old, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), 1);
    /* The slot is busy again with a new request; the old id must not complete it. */
    uint32_t s2 = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    assert_int_equal(s2, s);
    expect_fault(&g, old, BLKIF_OP_WRITE, 0, BLKIF_FAULT_STALE);
    assert_int_equal(g.done_count[s], 1);
    assert_true(g.slots[s].busy);
    rig_free(&g);
}

static void test_response_bad_operation_and_status(void **state)
{
    struct rig g;
    struct blkif_fault f;
    rig_init(&g);
    uint32_t s = issue(&g, BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    expect_fault(&g, blkif_inflight_id(&g.t, s), BLKIF_OP_READ, 0, BLKIF_FAULT_OPERATION);
    rig_free(&g);

    rig_init(&g);
    s = issue(&g, BLKIF_OP_READ, BLKIF_OP_READ);
    uint32_t good = issue(&g, BLKIF_OP_READ, BLKIF_OP_READ);
    respond(&g, blkif_inflight_id(&g.t, good), BLKIF_OP_READ, BLKIF_RSP_OKAY);
    respond(&g, blkif_inflight_id(&g.t, s), BLKIF_OP_READ, 1);
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), -EPROTO);
    assert_int_equal(f.kind, BLKIF_FAULT_STATUS);
    assert_int_equal(f.status, 1);
    assert_int_equal(f.slot, s);
    assert_int_equal(g.done_count[s], 0); /* never reported as a success */
    assert_int_equal(g.done_count[good], 1);
    rig_free(&g);
}

static void test_response_runaway_producer(void **state)
{
    struct rig g;
    struct blkif_fault f;
    rig_init(&g);
    uint32_t s = issue(&g, BLKIF_OP_READ, BLKIF_OP_READ);
    respond(&g, blkif_inflight_id(&g.t, s), BLKIF_OP_READ, BLKIF_RSP_OKAY);
    /* Two responses claimed for one request. */
    g.mem->s.rsp_prod = 2;
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), -EPROTO);
    assert_int_equal(f.kind, BLKIF_FAULT_PROD);
    assert_int_equal(g.calls, 0);
    /* A producer far behind the consumer is just as wrong. */
    g.mem->s.rsp_prod = 0xfffffff0u;
    assert_int_equal(blkif_take_responses(&g.front, &g.t, on_done, &g, &f), -EPROTO);
    assert_int_equal(f.kind, BLKIF_FAULT_PROD);
    rig_free(&g);
}

/* Many rounds over a ring that wraps: the backend answers a random subset of what is
 * outstanding, in random order; every request completes exactly once. */
static void test_responses_random(void **state)
{
    struct rig g;
    struct blkif_fault f;
    uint64_t outstanding[32];
    uint32_t out_slot[32];
    int nout = 0, issued = 0, completed = 0;
    rig_init(&g);
    srand(7);
    for (int round = 0; round < 5000; round++) {
        int want = rand() % 8;
        for (int i = 0; i < want && !RING_FULL(&g.front); i++) {
            uint32_t s = issue(&g, BLKIF_OP_READ, BLKIF_OP_READ);
            g.done_count[s] = 0;
            out_slot[nout] = s;
            outstanding[nout++] = blkif_inflight_id(&g.t, s);
            issued++;
        }
        /* Backend: consume requests, answer some in random order. */
        g.back.req_cons = g.mem->s.req_prod;
        int answer = nout ? rand() % (nout + 1) : 0;
        for (int i = 0; i < answer; i++) {
            int k = rand() % nout;
            respond(&g, outstanding[k], BLKIF_OP_READ, BLKIF_RSP_OKAY);
            outstanding[k] = outstanding[nout - 1];
            out_slot[k] = out_slot[nout - 1];
            nout--;
        }
        int before = g.calls;
        int n = blkif_take_responses(&g.front, &g.t, on_done, &g, &f);
        assert_int_equal(n, answer);
        assert_int_equal(g.calls - before, answer);
        completed += n;
        assert_int_equal((int)g.t.nr_busy, nout);
        for (int i = 0; i < nout; i++)
            assert_int_equal(g.done_count[out_slot[i]], 0);
    }
    assert_int_equal(issued - completed, nout);
    assert_true(issued > 10000);
    rig_free(&g);
}

/* ---- negotiation ---- */

static void test_segments_to_use(void **state)
{
    /* No or too few indirect segments offered: direct requests of 11. */
    assert_int_equal(blkif_segments_to_use(0, 256), BLKIF_MAX_SEGMENTS_PER_REQUEST);
    assert_int_equal(blkif_segments_to_use(1, 256), BLKIF_MAX_SEGMENTS_PER_REQUEST);
    assert_int_equal(blkif_segments_to_use(11, 256), BLKIF_MAX_SEGMENTS_PER_REQUEST);
    /* We asked for none. */
    assert_int_equal(blkif_segments_to_use(256, 0), BLKIF_MAX_SEGMENTS_PER_REQUEST);
    assert_int_equal(blkif_segments_to_use(256, 11), BLKIF_MAX_SEGMENTS_PER_REQUEST);
    /* The smaller of the two. */
    assert_int_equal(blkif_segments_to_use(12, 256), 12);
    assert_int_equal(blkif_segments_to_use(32, 256), 32);
    assert_int_equal(blkif_segments_to_use(256, 64), 64);
    /* Absurd offers and wishes stop at what 8 indirect pages describe. */
    assert_int_equal(blkif_segments_to_use(4294967295UL, 256), 256);
    assert_int_equal(blkif_segments_to_use(~0UL, ~0UL), BLKIF_MAX_INDIRECT_SEGS);
    assert_int_equal(blkif_segments_to_use(4294967295UL, 100000), BLKIF_MAX_INDIRECT_SEGS);
    assert_int_equal(BLKIF_MAX_INDIRECT_SEGS, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inflight_exhaustion_and_reuse),
        cmocka_unit_test(test_check_range),
        cmocka_unit_test(test_pages_and_chunks),
        cmocka_unit_test(test_build_direct),
        cmocka_unit_test(test_build_indirect),
        cmocka_unit_test(test_build_flush_discard),
        cmocka_unit_test(test_responses_good),
        cmocka_unit_test(test_response_unknown_id),
        cmocka_unit_test(test_response_repeated),
        cmocka_unit_test(test_response_stale),
        cmocka_unit_test(test_response_bad_operation_and_status),
        cmocka_unit_test(test_response_runaway_producer),
        cmocka_unit_test(test_responses_random),
        cmocka_unit_test(test_segments_to_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
