// Host tests for drivers/xen/evtchn_fifo_queue.c against a simulation of Xen's producer
// side (link onto the tail with BUSY, HEAD and READY for new heads): priority and FIFO
// order, masking, events linked while consuming, corrupt links, stale READY bits, the
// work budget, a randomized model check and a two-thread race against the producer.
// UNIT-SOURCES: drivers/xen/evtchn_fifo_queue.c
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/xen/evtchn_fifo_queue.h"

#define BIT(b)  ((event_word_t)1 << (b))
#define PENDING BIT(EVTCHN_FIFO_PENDING)
#define MASKED  BIT(EVTCHN_FIFO_MASKED)
#define LINKED  BIT(EVTCHN_FIFO_LINKED)
#define BUSY    BIT(EVTCHN_FIFO_BUSY)

#define NPAGES 2
#define NPORTS (NPAGES * EVTCHN_FIFO_WORDS_PER_PAGE)

/*
 * Xen's producer, from the ABI: set PENDING; unless MASKED or already LINKED, set
 * LINKED and link the port onto its queue's tail (BUSY while it retries a LINK
 * update); if the tail is gone (not LINKED: the guest consumed it), the port is the
 * new HEAD and READY is set, which is when an upcall would be raised. The tail is
 * Xen's private state; a port that moves to another queue invalidates the old tail.
 */
struct xen_sim {
    struct evtchn_fifo_control_block cb;
    struct evtchn_fifo_array array;
    event_word_t *words;
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];
    uint8_t prio[NPORTS];
    uint8_t last_prio[NPORTS];
    pthread_mutex_t lock; /* Xen's queue lock */
    unsigned int upcalls;
    unsigned int busy;      /* set_link had to retry under BUSY */
    unsigned int tail_gone; /* the tail was consumed under Xen's feet: new HEAD */
    unsigned int lost;      /* set_link gave up: must stay 0 */
};

static struct xen_sim *sim_new(void)
{
    struct xen_sim *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->words = aligned_alloc(4096, NPAGES * 4096);
    assert_non_null(s->words);
    memset(s->words, 0, NPAGES * 4096);
    evtchn_fifo_array_init(&s->array);
    for (int i = 0; i < NPAGES; i++)
        assert_int_equal(
            evtchn_fifo_array_add_page(&s->array, s->words + i * EVTCHN_FIFO_WORDS_PER_PAGE), 0);
    for (uint32_t p = 0; p < NPORTS; p++)
        s->prio[p] = s->last_prio[p] = EVTCHN_FIFO_PRIORITY_DEFAULT;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void sim_free(struct xen_sim *s)
{
    pthread_mutex_destroy(&s->lock);
    free(s->words);
    free(s);
}

static event_word_t *sim_word(struct xen_sim *s, uint32_t port)
{
    return port < NPORTS ? &s->words[port] : NULL;
}

static int sim_try_link(event_word_t *w, event_word_t *old, uint32_t link)
{
    if (!(*old & LINKED))
        return 0;
    event_word_t new = (*old & ~(BUSY | EVTCHN_FIFO_LINK_MASK)) | link;
    if (__atomic_compare_exchange_n(w, old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return 1;
    return -EAGAIN;
}

/* Set LINK on a tail word iff it is still LINKED. */
static bool sim_set_link(struct xen_sim *s, event_word_t *w, uint32_t link)
{
    event_word_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    int rc = sim_try_link(w, &old, link);
    if (rc >= 0)
        return rc;
    s->busy++;
    __atomic_fetch_or(w, BUSY, __ATOMIC_SEQ_CST);
    old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4; i++) {
        rc = sim_try_link(w, &old, link);
        if (rc >= 0) {
            if (rc == 0)
                __atomic_fetch_and(w, ~BUSY, __ATOMIC_SEQ_CST);
            return rc;
        }
    }
    s->lost++;
    __atomic_fetch_and(w, ~BUSY, __ATOMIC_SEQ_CST);
    return true;
}

static void sim_send(struct xen_sim *s, uint32_t port)
{
    event_word_t *w = sim_word(s, port);
    bool linked = true;
    uint32_t q;

    pthread_mutex_lock(&s->lock);
    q = s->prio[port];
    __atomic_fetch_or(w, PENDING, __ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(w, __ATOMIC_SEQ_CST) & MASKED) &&
        !(__atomic_fetch_or(w, LINKED, __ATOMIC_SEQ_CST) & LINKED)) {
        if (s->tail[s->last_prio[port]] == port)
            s->tail[s->last_prio[port]] = 0;
        s->last_prio[port] = q;
        linked = false;
        if (s->tail[q]) {
            linked = sim_set_link(s, sim_word(s, s->tail[q]), port);
            s->tail_gone += !linked;
        }
        if (!linked)
            __atomic_store_n(&s->cb.head[q], port, __ATOMIC_SEQ_CST);
        s->tail[q] = port;
    }
    pthread_mutex_unlock(&s->lock);
    if (!linked && !(__atomic_fetch_or(&s->cb.ready, 1u << q, __ATOMIC_SEQ_CST) & (1u << q)))
        __atomic_fetch_add(&s->upcalls, 1, __ATOMIC_SEQ_CST);
}

/* EVTCHNOP_unmask: clear MASKED, relink if pending. */
static void sim_unmask(struct xen_sim *s, uint32_t port)
{
    event_word_t *w = sim_word(s, port);
    __atomic_fetch_and(w, ~MASKED, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(w, __ATOMIC_SEQ_CST) & PENDING)
        sim_send(s, port);
}

/* Xen clearing PENDING (close, EVTCHNOP_reset): the word stays linked. */
static void sim_clear_pending(struct xen_sim *s, uint32_t port)
{
    __atomic_fetch_and(sim_word(s, port), ~PENDING, __ATOMIC_SEQ_CST);
}

/* The guest's unmask: the helper, then the hypercall when it asks for one. */
static void guest_unmask(struct xen_sim *s, uint32_t port)
{
    if (evtchn_fifo_word_unmask(sim_word(s, port)))
        sim_unmask(s, port);
}

/* Take every event the queue hands out, failing on errors. Returns how many. */
static unsigned int drain(struct evtchn_fifo_queue *q, uint32_t *out, unsigned int max)
{
    unsigned int n = 0;
    evtchn_port_t port;
    int rc;

    while ((rc = evtchn_fifo_queue_next(q, &port)) != 0) {
        assert_int_equal(rc, 1);
        assert_true(n < max);
        out[n++] = port;
    }
    return n;
}

#define ASSERT_DRAIN(q, ...)                                                                       \
    do {                                                                                           \
        const uint32_t exp_[] = {__VA_ARGS__};                                                     \
        uint32_t got_[NPORTS];                                                                     \
        unsigned int n_ = drain(q, got_, NPORTS);                                                  \
        for (unsigned int i_ = 0; i_ < n_; i_++)                                                   \
            print_message("%u ", got_[i_]);                                                        \
        print_message("(%u events)\n", n_);                                                        \
        assert_int_equal(n_, sizeof(exp_) / sizeof(exp_[0]));                                      \
        assert_memory_equal(got_, exp_, sizeof(exp_));                                             \
    } while (0)

static void assert_next(struct evtchn_fifo_queue *q, int want_rc, uint32_t want_port)
{
    evtchn_port_t port = 0xdeadbeef;
    int rc = evtchn_fifo_queue_next(q, &port);
    assert_int_equal(rc, want_rc);
    if (want_rc != 0 && want_rc != -EAGAIN)
        assert_int_equal(port, want_port);
}

/* No word linked or pending, no READY bit: everything was consumed. */
static void assert_quiet(struct xen_sim *s, struct evtchn_fifo_queue *q)
{
    for (uint32_t p = 0; p < NPORTS; p++)
        if (s->words[p] & (LINKED | PENDING | EVTCHN_FIFO_LINK_MASK)) {
            print_message("port %u word %#x\n", p, s->words[p]);
            fail();
        }
    assert_int_equal(s->cb.ready, 0);
    assert_false(evtchn_fifo_queue_has_work(q));
    assert_int_equal(s->lost, 0);
}

static void setup(struct xen_sim **s, struct evtchn_fifo_queue *q)
{
    *s = sim_new();
    evtchn_fifo_queue_init(q, &(*s)->cb, &(*s)->array);
}

static void test_empty(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);
    assert_false(evtchn_fifo_queue_has_work(&q));
    assert_next(&q, 0, 0);
    assert_next(&q, 0, 0);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_array(void **state)
{
    static event_word_t page[EVTCHN_FIFO_WORDS_PER_PAGE];
    struct evtchn_fifo_array a;

    evtchn_fifo_array_init(&a);
    assert_int_equal(evtchn_fifo_array_nr_ports(&a), 0);
    assert_null(evtchn_fifo_word(&a, 0));
    assert_null(evtchn_fifo_word(&a, 1));
    for (uint32_t i = 0; i < EVTCHN_FIFO_MAX_PAGES; i++)
        assert_int_equal(evtchn_fifo_array_add_page(&a, page), 0);
    assert_int_equal(evtchn_fifo_array_add_page(&a, page), -ENOSPC);
    assert_int_equal(evtchn_fifo_array_nr_ports(&a), EVTCHN_FIFO_NR_CHANNELS);
    assert_ptr_equal(evtchn_fifo_word(&a, 1025), &page[1]);
    assert_ptr_equal(evtchn_fifo_word(&a, EVTCHN_FIFO_NR_CHANNELS - 1),
                     &page[EVTCHN_FIFO_WORDS_PER_PAGE - 1]);
    assert_null(evtchn_fifo_word(&a, EVTCHN_FIFO_NR_CHANNELS));
    assert_null(evtchn_fifo_word(&a, UINT32_MAX));

    evtchn_fifo_array_init(&a);
    assert_int_equal(evtchn_fifo_array_add_page(&a, page), 0);
    assert_int_equal(evtchn_fifo_array_nr_ports(&a), 1024);
    assert_ptr_equal(evtchn_fifo_word(&a, 1023), &page[1023]);
    assert_null(evtchn_fifo_word(&a, 1024));
}

static void test_word_helpers(void **state)
{
    event_word_t w = 0;

    assert_false(evtchn_fifo_word_is_masked(&w));
    assert_false(evtchn_fifo_word_is_pending(&w));
    evtchn_fifo_word_mask(&w);
    assert_int_equal(w, MASKED);
    assert_true(evtchn_fifo_word_is_masked(&w));
    assert_false(evtchn_fifo_word_unmask(&w)); /* not pending: no hypercall */
    assert_int_equal(w, 0);

    w = MASKED | PENDING;
    assert_true(evtchn_fifo_word_is_pending(&w));
    assert_true(evtchn_fifo_word_unmask(&w)); /* pending: Xen must link it */
    assert_int_equal(w, PENDING);
    evtchn_fifo_word_clear_pending(&w);
    assert_int_equal(w, 0);

    /* Linked words keep their link through mask and unmask. */
    w = LINKED | MASKED | 123;
    assert_false(evtchn_fifo_word_unmask(&w));
    assert_int_equal(w, LINKED | 123);
    evtchn_fifo_word_mask(&w);
    assert_int_equal(w, LINKED | MASKED | 123);

    /* BUSY: Xen is linking onto the word; the guest must not clear MASKED. */
    w = BUSY | LINKED | MASKED;
    assert_true(evtchn_fifo_word_unmask(&w));
    assert_int_equal(w, BUSY | LINKED | MASKED);
    w = BUSY | LINKED | MASKED | PENDING;
    assert_true(evtchn_fifo_word_unmask(&w));
    assert_int_equal(w, BUSY | LINKED | MASKED | PENDING);
    /* Masking is always allowed. */
    w = BUSY | LINKED;
    evtchn_fifo_word_mask(&w);
    assert_int_equal(w, BUSY | LINKED | MASKED);
}

static void test_priority_order(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    s->prio[10] = 5;
    s->prio[11] = 0;
    s->prio[12] = 15;
    s->prio[13] = 7;
    s->prio[14] = 0;
    s->prio[15] = 5;
    for (uint32_t p = 10; p <= 15; p++)
        sim_send(s, p);
    assert_int_equal(s->upcalls, 4); /* one per queue that got a head */
    assert_int_equal(s->cb.ready, (1u << 0) | (1u << 5) | (1u << 7) | (1u << 15));
    assert_true(evtchn_fifo_queue_has_work(&q));
    ASSERT_DRAIN(&q, 11, 14, 10, 15, 13, 12);
    assert_quiet(s, &q);
    assert_int_equal(q.stale, 0);
    assert_int_equal(q.corrupt, 0);
    sim_free(s);
}

static void test_fifo_order(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    uint32_t want[500], got[NPORTS];
    setup(&s, &q);

    /* Ports in a scrambled order, on one queue: they come out as sent. */
    for (uint32_t i = 0; i < 500; i++) {
        want[i] = 1 + (i * 797) % (NPORTS - 1);
        sim_send(s, want[i]);
    }
    assert_int_equal(s->upcalls, 1);
    assert_int_equal(drain(&q, got, NPORTS), 500);
    assert_memory_equal(got, want, sizeof(want));
    assert_quiet(s, &q);

    /* The highest port the array covers works like any other. */
    sim_send(s, NPORTS - 1);
    sim_send(s, 1);
    ASSERT_DRAIN(&q, NPORTS - 1, 1);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_resend_coalesces(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    sim_send(s, 5);
    sim_send(s, 6);
    sim_send(s, 5); /* still pending and linked: nothing new */
    ASSERT_DRAIN(&q, 5, 6);
    sim_send(s, 5); /* consumed: linked again */
    ASSERT_DRAIN(&q, 5);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_masked_left_pending(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* Masked after it was linked: unlinked and skipped, still pending. */
    sim_send(s, 20);
    sim_send(s, 21);
    sim_send(s, 22);
    evtchn_fifo_word_mask(sim_word(s, 21));
    ASSERT_DRAIN(&q, 20, 22);
    assert_int_equal(s->words[21], MASKED | PENDING);

    /* Sends while masked are not linked. */
    sim_send(s, 21);
    assert_int_equal(s->words[21], MASKED | PENDING);
    assert_int_equal(s->cb.ready, 0);

    /* Masked before the send: never linked. */
    evtchn_fifo_word_mask(sim_word(s, 30));
    sim_send(s, 30);
    assert_int_equal(s->words[30], MASKED | PENDING);
    assert_int_equal(s->cb.ready, 0);
    assert_next(&q, 0, 0);

    /* Unmask says a hypercall is needed; Xen then links them. */
    assert_true(evtchn_fifo_word_unmask(sim_word(s, 30)));
    sim_unmask(s, 30);
    assert_true(evtchn_fifo_word_unmask(sim_word(s, 21)));
    sim_unmask(s, 21);
    ASSERT_DRAIN(&q, 30, 21);

    /* Unmasking what is not pending needs nothing. */
    evtchn_fifo_word_mask(sim_word(s, 40));
    assert_false(evtchn_fifo_word_unmask(sim_word(s, 40)));
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_unmasked_while_linked(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* Masked and unmasked again before the consumer got there: handled in place. */
    sim_send(s, 50);
    sim_send(s, 51);
    evtchn_fifo_word_mask(sim_word(s, 50));
    guest_unmask(s, 50);
    ASSERT_DRAIN(&q, 50, 51);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_not_pending_skipped(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    sim_send(s, 7);
    sim_send(s, 8);
    sim_send(s, 9);
    sim_clear_pending(s, 8);
    sim_clear_pending(s, 9);
    ASSERT_DRAIN(&q, 7);
    assert_quiet(s, &q);
    sim_send(s, 9);
    ASSERT_DRAIN(&q, 9);
    sim_free(s);
}

static void test_linked_while_consuming(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    sim_send(s, 100);
    sim_send(s, 101);
    assert_next(&q, 1, 100);
    sim_send(s, 102); /* onto tail 101, which we have not reached */
    sim_send(s, 100); /* consumed already: linked again, behind 102 */
    assert_next(&q, 1, 101);
    sim_send(s, 103); /* tail is 100 */
    assert_next(&q, 1, 102);
    assert_next(&q, 1, 100);
    assert_next(&q, 1, 103);
    assert_next(&q, 0, 0);
    assert_int_equal(s->upcalls, 1);

    /* The queue ran dry and the old tail is unlinked: a new HEAD and READY. */
    sim_send(s, 104);
    assert_int_equal(s->upcalls, 2);
    assert_int_equal(s->cb.head[EVTCHN_FIFO_PRIORITY_DEFAULT], 104);
    sim_send(s, 105);
    assert_next(&q, 1, 104);
    /* The last event is consumed; a send before the next call starts afresh. */
    assert_next(&q, 1, 105);
    sim_send(s, 106);
    assert_next(&q, 1, 106);
    assert_next(&q, 0, 0);

    /* A higher priority event goes ahead of the rest of a lower queue. */
    sim_send(s, 110);
    sim_send(s, 111);
    sim_send(s, 112);
    assert_next(&q, 1, 110);
    s->prio[120] = 1;
    sim_send(s, 120);
    assert_next(&q, 1, 120);
    s->prio[121] = 14;
    sim_send(s, 121);
    assert_next(&q, 1, 111);
    assert_next(&q, 1, 112);
    assert_next(&q, 1, 121);
    assert_next(&q, 0, 0);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_priority_change(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* 60 is the tail of queue 7 when consumed, then moves to queue 3. */
    sim_send(s, 60);
    ASSERT_DRAIN(&q, 60);
    s->prio[60] = 3;
    sim_send(s, 60);
    sim_send(s, 61); /* queue 7: must not link behind 60, now on queue 3 */
    sim_send(s, 62);
    ASSERT_DRAIN(&q, 60, 61, 62);

    /* Still linked on queue 7 when its priority changes: it stays there once. */
    sim_send(s, 63);
    sim_send(s, 64);
    s->prio[64] = 2;
    sim_send(s, 65);
    ASSERT_DRAIN(&q, 63, 64, 65);
    sim_send(s, 64);
    sim_send(s, 66);
    s->prio[66] = 2;
    sim_send(s, 66); /* pending and linked: stays on queue 7 */
    ASSERT_DRAIN(&q, 64, 66);
    assert_quiet(s, &q);
    sim_free(s);
}

static void test_busy_left_to_xen(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* Xen has set BUSY on the tail and not yet written LINK. */
    sim_send(s, 70);
    __atomic_fetch_or(&s->words[70], BUSY, __ATOMIC_SEQ_CST);
    assert_next(&q, 1, 70);
    assert_int_equal(s->words[70], BUSY);
    /* Xen's next compare-and-swap finds the word unlinked; it clears BUSY itself. */
    event_word_t old = __atomic_load_n(&s->words[70], __ATOMIC_SEQ_CST);
    assert_int_equal(sim_try_link(&s->words[70], &old, 71), 0);
    __atomic_fetch_and(&s->words[70], ~BUSY, __ATOMIC_SEQ_CST);
    assert_int_equal(s->words[70], 0);
    sim_free(s);
}

static void test_corrupt_link_past_array(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    sim_send(s, 200);
    s->prio[201] = 9;
    sim_send(s, 201);
    s->words[200] |= 5000; /* LINK past the two pages */
    assert_next(&q, 1, 200);
    assert_next(&q, -EIO, 5000);
    assert_int_equal(q.corrupt, 1);
    assert_next(&q, 1, 201); /* other queues carry on */
    assert_next(&q, 0, 0);

    /* A HEAD past the array. */
    s->cb.head[4] = 4000;
    s->cb.ready = 1u << 4;
    assert_next(&q, -EIO, 4000);
    assert_next(&q, 0, 0);
    assert_int_equal(q.corrupt, 2);
    sim_free(s);
}

static void test_corrupt_cycle(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* 30 -> 31 -> 30, both pending: each is handed out once, then the loop shows. */
    s->words[30] = PENDING | LINKED | 31;
    s->words[31] = PENDING | LINKED | 30;
    s->cb.head[4] = 30;
    s->cb.ready = 1u << 4;
    assert_next(&q, 1, 30);
    assert_next(&q, 1, 31);
    assert_next(&q, -EIO, 30);
    assert_next(&q, 0, 0);

    /* A masked word linked to itself. */
    s->words[40] = MASKED | PENDING | LINKED | 40;
    s->cb.head[2] = 40;
    s->cb.ready = 1u << 2;
    assert_next(&q, -EIO, 40);
    assert_int_equal(s->words[40], MASKED | PENDING);

    /* A long cycle of masked words costs the budget, not an endless loop. */
    for (uint32_t p = 1; p <= 300; p++)
        s->words[p] = MASKED | LINKED | (p % 300 + 1);
    s->cb.head[9] = 1;
    s->cb.ready = 1u << 9;
    int again = 0, rc;
    evtchn_port_t port;
    while ((rc = evtchn_fifo_queue_next(&q, &port)) == -EAGAIN)
        again++;
    assert_int_equal(rc, -EIO);
    assert_int_equal(port, 1);
    assert_int_equal(again, 300 / EVTCHN_FIFO_QUEUE_BUDGET);
    assert_next(&q, 0, 0);
    assert_int_equal(q.corrupt, 3);
    sim_free(s);
}

static void test_budget(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* 200 masked events ahead of one to handle. */
    for (uint32_t p = 1; p <= 201; p++)
        sim_send(s, p);
    for (uint32_t p = 1; p <= 200; p++)
        evtchn_fifo_word_mask(sim_word(s, p));
    int again = 0, rc;
    evtchn_port_t port;
    while ((rc = evtchn_fifo_queue_next(&q, &port)) == -EAGAIN) {
        assert_true(evtchn_fifo_queue_has_work(&q));
        again++;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(port, 201);
    assert_int_equal(again, 200 / EVTCHN_FIFO_QUEUE_BUDGET);
    assert_next(&q, 0, 0);
    for (uint32_t p = 1; p <= 200; p++)
        assert_int_equal(s->words[p], MASKED | PENDING);
    sim_free(s);
}

static void test_stale_ready(void **state)
{
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    setup(&s, &q);

    /* READY with no HEAD. */
    s->cb.ready = 1u << 3;
    assert_true(evtchn_fifo_queue_has_work(&q));
    assert_next(&q, 0, 0);
    assert_int_equal(q.stale, 1);
    assert_quiet(s, &q);

    /* READY again for a HEAD already consumed (older Xen set READY per event). */
    sim_send(s, 80);
    ASSERT_DRAIN(&q, 80);
    s->cb.ready = 1u << EVTCHN_FIFO_PRIORITY_DEFAULT;
    assert_next(&q, 0, 0);
    assert_int_equal(q.stale, 2);

    /* Even when that port is pending again (masked, so not linked): not ours to take. */
    evtchn_fifo_word_mask(sim_word(s, 80));
    sim_send(s, 80);
    evtchn_fifo_word_unmask(sim_word(s, 80));
    s->cb.ready = 1u << EVTCHN_FIFO_PRIORITY_DEFAULT;
    assert_next(&q, 0, 0);
    assert_int_equal(s->words[80], PENDING);
    assert_int_equal(q.stale, 3);

    /* The queue works normally afterwards. */
    sim_unmask(s, 80);
    sim_send(s, 81);
    ASSERT_DRAIN(&q, 80, 81);
    assert_quiet(s, &q);
    assert_int_equal(q.corrupt, 0);
    sim_free(s);
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

/*
 * Random sends, masks, unmasks, priority changes, Xen clears and partial drains,
 * checked against a model of what is owed: a port is handed out only while the
 * model says it is pending and unmasked, and at the end nothing owed is left behind.
 */
static void test_randomized(void **state)
{
    enum { PORTS = 300, OPS = 40000 };
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    static bool pending[PORTS], masked[PORTS];
    unsigned int delivered = 0;
    setup(&s, &q);
    rng_state = 0x9e3779b97f4a7c15ULL;
    memset(pending, 0, sizeof(pending));
    memset(masked, 0, sizeof(masked));

    for (int op = 0; op < OPS; op++) {
        uint32_t p = 1 + rnd(PORTS - 1);
        uint32_t r = rnd(100);
        if (r < 45) {
            sim_send(s, p);
            pending[p] = true;
        } else if (r < 52) {
            evtchn_fifo_word_mask(sim_word(s, p));
            masked[p] = true;
        } else if (r < 60) {
            guest_unmask(s, p);
            masked[p] = false;
        } else if (r < 63) {
            s->prio[p] = rnd(EVTCHN_FIFO_MAX_QUEUES);
        } else if (r < 65) {
            sim_clear_pending(s, p);
            pending[p] = false;
        } else {
            evtchn_port_t port;
            int rc = evtchn_fifo_queue_next(&q, &port);
            assert_true(rc == 0 || rc == 1);
            if (rc == 1) {
                assert_true(port > 0 && port < PORTS);
                assert_true(pending[port]);
                assert_false(masked[port]);
                assert_false(s->words[port] & PENDING);
                pending[port] = false;
                delivered++;
            }
        }
    }
    /* Unmask all and drain: everything still owed comes out, once. */
    for (uint32_t p = 1; p < PORTS; p++)
        if (masked[p]) {
            guest_unmask(s, p);
            masked[p] = false;
        }
    uint32_t got[NPORTS];
    unsigned int n = drain(&q, got, NPORTS);
    for (unsigned int i = 0; i < n; i++) {
        assert_true(pending[got[i]]);
        pending[got[i]] = false;
    }
    for (uint32_t p = 1; p < PORTS; p++)
        assert_false(pending[p]);
    print_message("%u handed out during the run, %u at the end, %llu stale READY\n", delivered, n,
                  (unsigned long long)q.stale);
    assert_true(delivered > 1000);
    assert_int_equal(q.corrupt, 0);
    assert_quiet(s, &q);
    sim_free(s);
}

/*
 * Xen on one thread, the guest on another, for real: the producer links while the
 * consumer unlinks, masks and unmasks. Sends come in three kinds of phase: bursts
 * (linking onto a tail the consumer is at), paced sends (queues run dry: linking
 * onto a tail the consumer just took), and rounds after which the producer parks
 * until the consumer has found every queue empty, when no port sent in the round
 * may be left pending and unmasked (a lost wakeup). At the end every word must be
 * clean and every port sent handed out.
 */
struct race {
    struct xen_sim *s;
    struct evtchn_fifo_queue q;
    uint32_t nports; /* ports 1 .. nports-1 are used: few ports, more collisions */
    unsigned int sent[NPORTS];
    unsigned int delivered[NPORTS];
    uint32_t round[8];
    unsigned int nround;
    unsigned int rounds;
    pthread_mutex_t park_lock;
    pthread_cond_t unparked;
    int parked;
    int done;
    int errors;
};

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *race_producer(void *arg)
{
    struct race *r = arg;
    uint64_t x = 0x1234567887654321ULL;
    unsigned int k;

    for (int i = 0; i < 300000; i++) {
        int phase = (i / 1000) % 3;
        uint32_t p = 1 + (uint32_t)(xorshift(&x) % (r->nports - 1));
        if ((x >> 40) % 64 == 0) {
            pthread_mutex_lock(&r->s->lock);
            r->s->prio[p] = (x >> 50) % EVTCHN_FIFO_MAX_QUEUES;
            pthread_mutex_unlock(&r->s->lock);
        }
        r->sent[p]++;
        sim_send(r->s, p);
        if (phase == 1) {
            for (k = (x >> 30) % 1024; k > 0; k--)
                (void)__atomic_load_n(&r->done, __ATOMIC_RELAXED);
        } else if (phase == 2) {
            r->round[r->nround++] = p;
            if (r->nround == 8 || (x >> 30) % 4 == 0) {
                pthread_mutex_lock(&r->park_lock);
                __atomic_store_n(&r->parked, 1, __ATOMIC_RELEASE);
                while (__atomic_load_n(&r->parked, __ATOMIC_ACQUIRE))
                    pthread_cond_wait(&r->unparked, &r->park_lock);
                pthread_mutex_unlock(&r->park_lock);
                r->nround = 0;
            }
        }
    }
    __atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void race_take(struct race *r, int rc, evtchn_port_t port)
{
    if (rc == 1)
        r->delivered[port]++;
    else if (rc != 0 && rc != -EAGAIN)
        r->errors++;
}

static void *race_consumer(void *arg)
{
    struct race *r = arg;
    uint64_t x = 0x0fedcba987654321ULL;
    uint32_t masked[64];
    unsigned int nmasked = 0, idle = 0;
    evtchn_port_t port;
    int rc;

    for (;;) {
        int done = __atomic_load_n(&r->done, __ATOMIC_SEQ_CST);
        int parked = __atomic_load_n(&r->parked, __ATOMIC_ACQUIRE);
        xorshift(&x);
        if (x % 97 == 0 && nmasked < 64) {
            uint32_t p = 1 + (uint32_t)((x >> 20) % (r->nports - 1));
            evtchn_fifo_word_mask(sim_word(r->s, p));
            masked[nmasked++] = p;
        } else if (x % 89 == 0 && nmasked > 0) {
            guest_unmask(r->s, masked[--nmasked]);
        }
        rc = evtchn_fifo_queue_next(&r->q, &port);
        race_take(r, rc, port);
        if (parked && rc == 0) {
            /* Everything sent before the producer parked has been looked at. */
            for (unsigned int i = 0; i < r->nround; i++) {
                event_word_t w = __atomic_load_n(sim_word(r->s, r->round[i]), __ATOMIC_SEQ_CST);
                if ((w & PENDING) && !(w & MASKED)) {
                    print_message("port %u left pending: %#x\n", r->round[i], w);
                    r->errors++;
                }
            }
            r->rounds++;
            pthread_mutex_lock(&r->park_lock);
            __atomic_store_n(&r->parked, 0, __ATOMIC_RELEASE);
            pthread_cond_signal(&r->unparked);
            pthread_mutex_unlock(&r->park_lock);
        }
        if (done && rc == 0)
            break;
        if (rc == 0 && ++idle % 256 == 0)
            sched_yield(); /* the producer may share our CPU */
    }
    /* The producer is finished: unmask everything, then drain to the end. */
    while (nmasked > 0)
        guest_unmask(r->s, masked[--nmasked]);
    while ((rc = evtchn_fifo_queue_next(&r->q, &port)) != 0)
        race_take(r, rc, port);
    return NULL;
}

static void race_with_producer(uint32_t nports)
{
    struct race *r = calloc(1, sizeof(*r));
    pthread_t prod, cons;
    assert_non_null(r);
    r->nports = nports;
    pthread_mutex_init(&r->park_lock, NULL);
    pthread_cond_init(&r->unparked, NULL);
    r->s = sim_new();
    evtchn_fifo_queue_init(&r->q, &r->s->cb, &r->s->array);
    for (uint32_t p = 0; p < NPORTS; p++)
        r->s->prio[p] = r->s->last_prio[p] = p % EVTCHN_FIFO_MAX_QUEUES;

    assert_int_equal(pthread_create(&cons, NULL, race_consumer, r), 0);
    assert_int_equal(pthread_create(&prod, NULL, race_producer, r), 0);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);

    unsigned int total = 0;
    assert_int_equal(r->errors, 0);
    for (uint32_t p = 1; p < NPORTS; p++) {
        assert_true(r->delivered[p] <= r->sent[p]);
        if (r->sent[p])
            assert_true(r->delivered[p] >= 1);
        total += r->delivered[p];
        assert_false(r->s->words[p] & MASKED);
    }
    print_message("%u ports, 300000 sends, %u handed out, %u upcalls, %u tails consumed under Xen, "
                  "%u BUSY retries, %u rounds checked, %llu stale READY\n",
                  nports, total, r->s->upcalls, r->s->tail_gone, r->s->busy, r->rounds,
                  (unsigned long long)r->q.stale);
    assert_quiet(r->s, &r->q);
    assert_int_equal(r->q.corrupt, 0);
    pthread_cond_destroy(&r->unparked);
    pthread_mutex_destroy(&r->park_lock);
    sim_free(r->s);
    free(r);
}

static void test_race_many_ports(void **state)
{
    race_with_producer(NPORTS);
}

static void test_race_few_ports(void **state)
{
    race_with_producer(8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_word_helpers),
        cmocka_unit_test(test_priority_order),
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_resend_coalesces),
        cmocka_unit_test(test_masked_left_pending),
        cmocka_unit_test(test_unmasked_while_linked),
        cmocka_unit_test(test_not_pending_skipped),
        cmocka_unit_test(test_linked_while_consuming),
        cmocka_unit_test(test_priority_change),
        cmocka_unit_test(test_busy_left_to_xen),
        cmocka_unit_test(test_corrupt_link_past_array),
        cmocka_unit_test(test_corrupt_cycle),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_stale_ready),
        cmocka_unit_test(test_randomized),
        cmocka_unit_test(test_race_many_ports),
        cmocka_unit_test(test_race_few_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
