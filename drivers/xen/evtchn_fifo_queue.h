/* FIFO event channels, guest side: event words, the event array, and consuming the queues. */
#ifndef XENOLITH_EVTCHN_FIFO_QUEUE_H
#define XENOLITH_EVTCHN_FIFO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/event_channel.h>

/*
 * The FIFO ABI in brief. Each port has a 32-bit event word in the domain's event
 * array: PENDING, MASKED, LINKED and BUSY flags and a 17-bit LINK to the next port
 * of its queue. Each VCPU has a control block with sixteen queues, one per priority
 * (0 highest): Xen appends at the tail (it keeps the tail to itself), writes HEAD
 * when it links onto an empty queue and then sets the queue's READY bit. The guest
 * walks from the head, clearing LINKED as it goes; only Xen writes HEAD, so the
 * guest keeps its own head per queue. Port 0 is never bound: a LINK or HEAD of 0
 * means "none".
 *
 * The guest may only set or clear MASKED, clear PENDING, and clear LINKED (with
 * LINK) on a word; everything else belongs to Xen. Xen sets BUSY on a tail word
 * while it links onto it and the guest must not clear MASKED meanwhile.
 */

#define EVTCHN_FIFO_WORDS_PER_PAGE (4096u / sizeof(event_word_t))
#define EVTCHN_FIFO_MAX_PAGES      (EVTCHN_FIFO_NR_CHANNELS / EVTCHN_FIFO_WORDS_PER_PAGE)

/*
 * Event words that one call of evtchn_fifo_queue_next may look at without
 * handing out a port (masked, not pending, lost compare-and-swap races).
 */
#define EVTCHN_FIFO_QUEUE_BUDGET 64

/*
 * The domain's event array: pages of event words, in port order, as given to Xen
 * with EVTCHNOP_expand_array. Readers need no lock; adding pages must be
 * serialized by the caller (one writer at a time).
 */
struct evtchn_fifo_array {
    event_word_t *page[EVTCHN_FIFO_MAX_PAGES];
    uint32_t npages;
};

/*
 * One VCPU's consumer state. head[] holds the next port to look at per priority
 * (0: take the head from the control block); ready holds the READY bits taken
 * from the control block whose queues are not yet drained.
 */
struct evtchn_fifo_queue {
    struct evtchn_fifo_control_block *cb;
    const struct evtchn_fifo_array *array;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
    uint32_t ready;
    uint64_t stale;   /* READY bits found with an empty or already consumed HEAD */
    uint64_t corrupt; /* queues dropped because Xen's links made no sense */
};

void evtchn_fifo_array_init(struct evtchn_fifo_array *a);

/*
 * Append a page (4096 bytes, zeroed, the one just given to EVTCHNOP_expand_array)
 * to the array: its ports become visible to readers. Call after the hypercall
 * succeeds and before binding any port the page covers. Returns 0 or -ENOSPC
 * when the array already covers every port.
 */
int evtchn_fifo_array_add_page(struct evtchn_fifo_array *a, event_word_t *page);

/* Ports the array covers: [0, evtchn_fifo_array_nr_ports()). */
uint32_t evtchn_fifo_array_nr_ports(const struct evtchn_fifo_array *a);

/* The event word of a port, or NULL when the array does not cover it (yet). */
event_word_t *evtchn_fifo_word(const struct evtchn_fifo_array *a, evtchn_port_t port);

/*
 * Event word helpers. Atomic; safe from any CPU, concurrently with Xen and with
 * the consumer.
 */
void evtchn_fifo_word_mask(event_word_t *w);
bool evtchn_fifo_word_is_masked(const event_word_t *w);
bool evtchn_fifo_word_is_pending(const event_word_t *w);
void evtchn_fifo_word_clear_pending(event_word_t *w);

/*
 * Unmask a port. Returns true when the caller must still issue EVTCHNOP_unmask:
 * the event was pending when it was unmasked (Xen did not link it while masked,
 * only Xen can link it now), or Xen held the word BUSY so the guest was not
 * allowed to clear MASKED and left it set (Xen clears it in the hypercall).
 */
bool evtchn_fifo_word_unmask(event_word_t *w);

/*
 * Start consuming the queues of the VCPU that owns control block cb (just given
 * to EVTCHNOP_init_control; also after resume, when Xen starts from empty queues).
 */
void evtchn_fifo_queue_init(struct evtchn_fifo_queue *q, struct evtchn_fifo_control_block *cb,
                            const struct evtchn_fifo_array *array);

/*
 * Take the next event off the VCPU's queues, highest priority first and in FIFO
 * order within a priority; a higher priority event linked meanwhile is taken before
 * the rest of a lower queue. Events found masked or no longer pending are unlinked
 * and skipped (a masked one stays pending for its unmask).
 *
 * Returns
 *   1        *port is pending and unmasked: its PENDING is now clear; handle it.
 *   0        every queue is empty.
 *   -EAGAIN  EVTCHN_FIFO_QUEUE_BUDGET words looked at and nothing to hand out;
 *            the state is consistent: call again (after letting other work run).
 *   -EIO     Xen's links are malformed (a LINK to a port the array does not cover,
 *            or to a port that is not linked: a cycle or a stray pointer); *port is
 *            the bad port. The rest of that queue is dropped, its events stay linked
 *            and will not be seen again; other queues carry on: call again.
 *
 * Caller serializes: only the VCPU that owns cb calls this, and not re-entrantly
 * (with event upcalls disabled, or under a per-VCPU lock). A hypervisor that keeps
 * linking events makes the sequence of 1s endless: bound the loop in the caller.
 */
int evtchn_fifo_queue_next(struct evtchn_fifo_queue *q, evtchn_port_t *port);

/* True when a READY bit is set, taken or not: evtchn_fifo_queue_next has work. */
bool evtchn_fifo_queue_has_work(const struct evtchn_fifo_queue *q);

#endif
