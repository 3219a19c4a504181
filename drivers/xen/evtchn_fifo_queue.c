/*
 * FIFO event channels, guest side, as pure logic: the event array lookup, the
 * event word flags, and the consumer that walks one VCPU's sixteen queues. No
 * hypercalls and no locks: drivers/xen issues EVTCHNOP_* and serializes callers.
 * Xen is the producer and runs concurrently, so every shared access is atomic.
 * Host tested against a simulation of Xen's producer.
 */
#include <errno.h>
#include <stddef.h>
#include "drivers/xen/evtchn_fifo_queue.h"

#define BIT(b) ((event_word_t)1 << (b))

/* Compare-and-swap attempts before unmask leaves the job to EVTCHNOP_unmask. */
#define UNMASK_TRIES 8

void evtchn_fifo_array_init(struct evtchn_fifo_array *a)
{
    for (uint32_t i = 0; i < EVTCHN_FIFO_MAX_PAGES; i++)
        a->page[i] = NULL;
    a->npages = 0;
}

int evtchn_fifo_array_add_page(struct evtchn_fifo_array *a, event_word_t *page)
{
    uint32_t n = __atomic_load_n(&a->npages, __ATOMIC_RELAXED);

    if (n >= EVTCHN_FIFO_MAX_PAGES)
        return -ENOSPC;
    a->page[n] = page;
    /* Readers that see the new count see the page pointer too. */
    __atomic_store_n(&a->npages, n + 1, __ATOMIC_RELEASE);
    return 0;
}

uint32_t evtchn_fifo_array_nr_ports(const struct evtchn_fifo_array *a)
{
    return __atomic_load_n(&a->npages, __ATOMIC_ACQUIRE) * (uint32_t)EVTCHN_FIFO_WORDS_PER_PAGE;
}

event_word_t *evtchn_fifo_word(const struct evtchn_fifo_array *a, evtchn_port_t port)
{
    uint32_t p = port / EVTCHN_FIFO_WORDS_PER_PAGE;

    if (p >= __atomic_load_n(&a->npages, __ATOMIC_ACQUIRE))
        return NULL;
    return a->page[p] + port % EVTCHN_FIFO_WORDS_PER_PAGE;
}

void evtchn_fifo_word_mask(event_word_t *w)
{
    __atomic_fetch_or(w, BIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
}

bool evtchn_fifo_word_is_masked(const event_word_t *w)
{
    return __atomic_load_n(w, __ATOMIC_ACQUIRE) & BIT(EVTCHN_FIFO_MASKED);
}

bool evtchn_fifo_word_is_pending(const event_word_t *w)
{
    return __atomic_load_n(w, __ATOMIC_ACQUIRE) & BIT(EVTCHN_FIFO_PENDING);
}

void evtchn_fifo_word_clear_pending(event_word_t *w)
{
    __atomic_fetch_and(w, ~BIT(EVTCHN_FIFO_PENDING), __ATOMIC_SEQ_CST);
}

bool evtchn_fifo_word_unmask(event_word_t *w)
{
    event_word_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

    /*
     * Xen bounds its own retries when linking onto a tail word by setting BUSY,
     * which promises that the guest will not clear MASKED under it. Xen changes a
     * word only a few times in a row, so a failing compare-and-swap settles soon;
     * if it does not, the hypercall does the unmask instead.
     */
    for (int i = 0; i < UNMASK_TRIES; i++) {
        if (old & BIT(EVTCHN_FIFO_BUSY))
            return true;
        if (__atomic_compare_exchange_n(w, &old, old & ~BIT(EVTCHN_FIFO_MASKED), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            return old & BIT(EVTCHN_FIFO_PENDING);
    }
    return true;
}

void evtchn_fifo_queue_init(struct evtchn_fifo_queue *q, struct evtchn_fifo_control_block *cb,
                            const struct evtchn_fifo_array *array)
{
    q->cb = cb;
    q->array = array;
    for (int i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++)
        q->head[i] = 0;
    q->ready = 0;
    q->stale = 0;
    q->corrupt = 0;
}

/*
 * Take READY bits from the control block. Exchanging them out (rather than
 * clearing a bit when a queue runs dry) closes the race with Xen linking onto a
 * queue we are just emptying: Xen writes HEAD and then sets READY only when it
 * finds the queue empty, and a set bit in the block always means "new HEAD".
 */
static void take_ready(struct evtchn_fifo_queue *q)
{
    if (__atomic_load_n(&q->cb->ready, __ATOMIC_RELAXED))
        q->ready |= __atomic_exchange_n(&q->cb->ready, 0, __ATOMIC_ACQUIRE);
}

static void drop_queue(struct evtchn_fifo_queue *q, int prio)
{
    q->head[prio] = 0;
    q->ready &= ~(1u << prio);
}

/*
 * Unlink a word: clear LINKED and LINK in one compare-and-swap, so a LINK that Xen
 * writes meanwhile is either seen here or finds the word unlinked (Xen then starts
 * the queue afresh at HEAD). An event to hand out (pending, not masked) has PENDING
 * cleared in the same step: a send after it links the event again. BUSY is Xen's
 * and is left as found. Returns 0 with the old word in *was, -ENOENT when the word
 * is not linked, -EAGAIN when the budget ran out.
 */
static int unlink_word(event_word_t *w, event_word_t *was, int *budget)
{
    event_word_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

    for (;;) {
        if (!(old & BIT(EVTCHN_FIFO_LINKED)))
            return -ENOENT;
        event_word_t new = old & ~(BIT(EVTCHN_FIFO_LINKED) | EVTCHN_FIFO_LINK_MASK);
        if ((old & BIT(EVTCHN_FIFO_PENDING)) && !(old & BIT(EVTCHN_FIFO_MASKED)))
            new &= ~BIT(EVTCHN_FIFO_PENDING);
        /* Acquire: the port on LINK was marked LINKED by Xen before LINK was set. */
        if (__atomic_compare_exchange_n(w, &old, new, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *was = old;
            return 0;
        }
        if (--*budget == 0)
            return -EAGAIN;
    }
}

int evtchn_fifo_queue_next(struct evtchn_fifo_queue *q, evtchn_port_t *port)
{
    int budget = EVTCHN_FIFO_QUEUE_BUDGET;

    for (;; budget--) {
        if (budget == 0)
            return -EAGAIN;
        take_ready(q);
        if (!q->ready)
            return 0;

        int prio = __builtin_ctz(q->ready);
        uint32_t head = q->head[prio];
        bool from_block = head == 0;
        if (from_block) {
            /* Xen wrote HEAD before READY; take_ready's acquire orders this. */
            head = __atomic_load_n(&q->cb->head[prio], __ATOMIC_RELAXED);
            if (head == 0) {
                q->stale++;
                drop_queue(q, prio);
                continue;
            }
        }

        event_word_t *w = evtchn_fifo_word(q->array, head);
        event_word_t was;
        int rc = w ? unlink_word(w, &was, &budget) : -ENOENT;
        if (rc == -EAGAIN)
            return rc;
        if (rc == -ENOENT && w && from_block) {
            /* A HEAD we consumed already: the READY bit was stale. */
            q->stale++;
            drop_queue(q, prio);
            continue;
        }
        if (rc == -ENOENT) {
            /* Past the array, or not linked though Xen links a port before pointing at it. */
            q->corrupt++;
            drop_queue(q, prio);
            *port = head;
            return -EIO;
        }

        q->head[prio] = was & EVTCHN_FIFO_LINK_MASK;
        if (q->head[prio] == 0)
            q->ready &= ~(1u << prio);
        if ((was & BIT(EVTCHN_FIFO_PENDING)) && !(was & BIT(EVTCHN_FIFO_MASKED))) {
            *port = head;
            return 1;
        }
    }
}

bool evtchn_fifo_queue_has_work(const struct evtchn_fifo_queue *q)
{
    return q->ready || __atomic_load_n(&q->cb->ready, __ATOMIC_RELAXED);
}
