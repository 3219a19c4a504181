// Host tests for drivers/xen/frontend_layout.c (queues, ring order and VCPUs of a frontend's
// (re)connect) and for the request lists of drivers/block/blkif_ring.c that a reconnect
// uses to move waiting requests off queues taken away and to replay what was in flight:
// every request ends up on exactly one queue that stays, in order, none lost or doubled.
// UNIT-SOURCES: drivers/xen/frontend_layout.c drivers/block/blkif_ring.c
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/block/blkif_ring.h"
#include "drivers/xen/frontend_layout.h"

static void queues_follow_the_offer(void **state)
{
    assert_int_equal(frontend_layout_queues(2, 1, 16), 1); /* a backend offering fewer */
    assert_int_equal(frontend_layout_queues(2, 8, 16), 2); /* offering more than we want */
    assert_int_equal(frontend_layout_queues(4, 4, 2), 2);  /* room for only 2 */
    assert_int_equal(frontend_layout_queues(0, 4, 16), 1); /* want 0 counts as 1 */
    assert_int_equal(frontend_layout_queues(4, 0, 16), 1); /* never fewer than one */
    assert_int_equal(frontend_layout_queues(16, ~0UL, 16), 16);
}

static void order_follows_the_offer(void **state)
{
    assert_int_equal(frontend_layout_order(4, 4, -1), 4);
    assert_int_equal(frontend_layout_order(2, 4, -1), 2); /* a smaller ring offered */
    assert_int_equal(frontend_layout_order(9, 4, -1), 4); /* more than we take */
    assert_int_equal(frontend_layout_order(4, 4, 1), 1);  /* the option asks for less */
    assert_int_equal(frontend_layout_order(1, 4, 3), 1);  /* the offer is less still */
    assert_int_equal(frontend_layout_order(0, 4, -1), 0);
}

static int online_mask;
static int online(int id, void *arg)
{
    return id < 31 && (online_mask >> id) & 1;
}

static void cpus_rehomed_when_offline(void **state)
{
    online_mask = 0xf; /* 0-3 */
    for (unsigned int i = 0; i < 4; i++)
        assert_int_equal(frontend_layout_cpu(i, 8, online, NULL), (int)i);
    assert_int_equal(frontend_layout_cpu(5, 8, online, NULL), 1); /* 5 % 4 */
    online_mask = 0x5;                                            /* 0 and 2: 1 and 3 went */
    assert_int_equal(frontend_layout_cpu(1, 8, online, NULL), 2);
    assert_int_equal(frontend_layout_cpu(3, 8, online, NULL), 2);
    assert_int_equal(frontend_layout_cpu(2, 8, online, NULL), 2);
    assert_int_equal(frontend_layout_cpu(0, 8, online, NULL), 0);
    online_mask = 0;
    assert_int_equal(frontend_layout_cpu(0, 8, online, NULL), -1);
    online_mask = 0x1;
    for (unsigned int i = 0; i < 40; i++)
        assert_int_equal(frontend_layout_cpu(i, 8, online, NULL), 0);
}

static void targets_are_queues_that_stay(void **state)
{
    for (unsigned int n = 1; n < 8; n++)
        for (unsigned int i = 0; i < 16; i++) {
            unsigned int t = frontend_layout_target(i, n);
            assert_true(t < n);
            if (i < n)
                assert_int_equal(t, i);
        }
}

#define NR 24
static struct xenolith_blk_request reqs[NR];
static int queue_tag[4];

/* Queues 4 -> 1 and 4 -> 2, requests spread over them: each once, on a queue that stays. */
static void moving_loses_and_doubles_nothing(void **state)
{
    for (unsigned int new_n = 1; new_n <= 3; new_n++) {
        struct blkif_reqlist q[4] = {0};
        memset(reqs, 0, sizeof(reqs));
        for (int i = 0; i < NR; i++) {
            reqs[i].len = (uint64_t)i; /* its number */
            reqs[i]._queue = &queue_tag[i % 4];
            blkif_reqlist_push(&q[i % 4], &reqs[i]);
        }
        unsigned int moved = 0;
        for (unsigned int k = new_n; k < 4; k++) {
            unsigned int to = frontend_layout_target(k, new_n);
            moved += blkif_reqlist_move(&q[to], &q[k], &queue_tag[to]);
            assert_null(q[k].head);
            assert_null(q[k].tail);
        }
        assert_int_equal(moved, NR / 4 * (4 - new_n));
        int seen[NR] = {0};
        for (unsigned int k = 0; k < new_n; k++) {
            int last_own = -1;
            for (struct xenolith_blk_request *r = q[k].head; r; r = r->_next) {
                assert_ptr_equal(r->_queue, &queue_tag[k]);
                seen[r->len]++;
                if (r->len % 4 == k) { /* its own requests keep their order, ahead of moved ones */
                    assert_true((int)r->len > last_own);
                    last_own = (int)r->len;
                }
                if (!r->_next)
                    assert_ptr_equal(q[k].tail, r);
            }
        }
        for (int i = 0; i < NR; i++)
            assert_int_equal(seen[i], 1);
    }
}

static void moving_an_empty_list(void **state)
{
    struct blkif_reqlist a = {0}, b = {0};
    assert_int_equal(blkif_reqlist_move(&a, &b, NULL), 0);
    assert_null(a.head);
    blkif_reqlist_push(&b, &reqs[0]);
    assert_int_equal(blkif_reqlist_move(&a, &b, &queue_tag[1]), 1);
    assert_ptr_equal(a.head, &reqs[0]);
    assert_ptr_equal(a.tail, &reqs[0]);
    assert_ptr_equal(blkif_reqlist_pop(&a), &reqs[0]);
    assert_null(blkif_reqlist_pop(&a));
    assert_null(a.tail);
}

/*
 * In flight at the move: r0 wholly issued (two pieces out, not waiting), r1 partly issued
 * (one piece out, still waiting), r2 waiting untouched. After rewinding: r0 goes back once,
 * from its first piece out, ahead of r1 and r2; r1 from its piece out; nothing in flight.
 */
static void rewind_replays_each_once(void **state)
{
    struct xenolith_blk_request r0 = {.op = XENOLITH_BLK_WRITE, .len = 3 * 4096}, r1 = r0, r2 = r0;
    struct blkif_reqlist pending = {0}, replay = {0};
    r0._issued = 3 * 4096;
    r0._inflight = 2; /* pieces at 4096 and 8192; the one at 0 was answered */
    r1._issued = 8192;
    r1._inflight = 1; /* the piece at 4096 */
    r1._pending = 1;
    r2._pending = 1;
    blkif_reqlist_push(&pending, &r1);
    blkif_reqlist_push(&pending, &r2);
    /* The slots in ring order. */
    assert_int_equal(blkif_rewind(&r0, 8192), 1);
    blkif_reqlist_push(&replay, &r0);
    assert_int_equal(blkif_rewind(&r1, 4096), 0);
    assert_int_equal(blkif_rewind(&r0, 4096), 0); /* already back */
    blkif_reqlist_prepend(&pending, &replay);
    assert_null(replay.head);
    assert_ptr_equal(pending.head, &r0);
    assert_ptr_equal(r0._next, &r1);
    assert_ptr_equal(r1._next, &r2);
    assert_ptr_equal(pending.tail, &r2);
    assert_int_equal(r0._issued, 4096);
    assert_int_equal(r0._inflight, 0);
    assert_int_equal(r0._pending, 1);
    assert_int_equal(r1._issued, 4096);
    assert_int_equal(r1._inflight, 0);
    assert_int_equal(r2._issued, 0);

    struct xenolith_blk_request fl = {.op = XENOLITH_BLK_FLUSH, ._issued = 1, ._inflight = 1};
    assert_int_equal(blkif_rewind(&fl, 0), 1);
    assert_int_equal(fl._issued, 0);
    assert_int_equal(fl._inflight, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queues_follow_the_offer),
        cmocka_unit_test(order_follows_the_offer),
        cmocka_unit_test(cpus_rehomed_when_offline),
        cmocka_unit_test(targets_are_queues_that_stay),
        cmocka_unit_test(moving_loses_and_doubles_nothing),
        cmocka_unit_test(moving_an_empty_list),
        cmocka_unit_test(rewind_replays_each_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
