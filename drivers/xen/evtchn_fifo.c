/*
 * The FIFO event channel ABI: a control block per VCPU with sixteen priority
 * queues, and a domain-wide event array that grows a page (1024 ports) at a time
 * as ports are bound. Queue walking is pure code in evtchn_fifo_queue.c.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/percpu.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/evtchn_abi.h"
#include <string.h>

#define HANDLE_BUDGET 4096 /* events per pass before the upcall checks its time budget */

static struct evtchn_fifo_array array;

static void *zeroed_page(void)
{
    void *p = pages_alloc(1);
    if (p)
        memset(p, 0, PAGE_SIZE);
    return p;
}

/*
 * Grow the event array until it covers port. Callers serialize (evtchn bind_lock).
 * New words start masked, as every 2-level port does: a port bound by Xen is
 * pending at once (bind_interdomain marks it so), before its handler is attached;
 * masked, the event waits for attach's unmask instead of meeting no handler.
 */
static int setup_port(evtchn_port_t port)
{
    while (port >= evtchn_fifo_array_nr_ports(&array)) {
        event_word_t *page = zeroed_page();
        if (!page)
            return -ENOMEM;
        for (unsigned int i = 0; i < EVTCHN_FIFO_WORDS_PER_PAGE; i++)
            page[i] = (event_word_t)1 << EVTCHN_FIFO_MASKED;
        struct evtchn_expand_array e = {.array_gfn = (uintptr_t)page >> PAGE_SHIFT};
        long rc = hypercall_event_channel_op(EVTCHNOP_expand_array, &e);
        if (rc < 0) {
            pages_free(page, 1);
            printk("events: FIFO array cannot grow past %u ports (%ld)\n",
                   evtchn_fifo_array_nr_ports(&array), rc);
            return (int)rc;
        }
        if (evtchn_fifo_array_add_page(&array, page) < 0)
            return -ENOSPC;
    }
    return 0;
}

static int init_cpu(struct cpu *c)
{
    if (c->evtchn.fifo.cb)
        return 0; /* the boot CPU was set up by the probe */
    struct evtchn_fifo_control_block *cb = zeroed_page();
    if (!cb)
        return -ENOMEM;
    struct evtchn_init_control ic = {
        .control_gfn = (uintptr_t)cb >> PAGE_SHIFT,
        .offset = 0,
        .vcpu = c->id,
    };
    long rc = hypercall_event_channel_op(EVTCHNOP_init_control, &ic);
    if (rc < 0) {
        pages_free(cb, 1);
        return (int)rc;
    }
    evtchn_fifo_queue_init(&c->evtchn.fifo, cb, &array);
    return 0;
}

/* Hand Xen this CPU's control block (zeroed: the queues start empty). */
static int register_control(struct cpu *c, struct evtchn_fifo_control_block *cb)
{
    memset(cb, 0, PAGE_SIZE);
    struct evtchn_init_control ic = {
        .control_gfn = (uintptr_t)cb >> PAGE_SHIFT,
        .offset = 0,
        .vcpu = c->id,
    };
    long rc = hypercall_event_channel_op(EVTCHNOP_init_control, &ic);
    if (rc == 0)
        evtchn_fifo_queue_init(&c->evtchn.fifo, cb, &array);
    return (int)rc;
}

/*
 * The new domain knows neither the control blocks nor the event array: give it the
 * same pages again, every word masked (as at boot) until its port is bound anew.
 */
static int resume_domain(void)
{
    struct evtchn_fifo_array old = array;
    evtchn_fifo_array_init(&array);
    int rc = register_control(this_cpu(), this_cpu()->evtchn.fifo.cb);
    for (uint32_t i = 0; rc == 0 && i < old.npages; i++) {
        event_word_t *page = old.page[i];
        for (unsigned int w = 0; w < EVTCHN_FIFO_WORDS_PER_PAGE; w++)
            page[w] = (event_word_t)1 << EVTCHN_FIFO_MASKED;
        struct evtchn_expand_array e = {.array_gfn = (uintptr_t)page >> PAGE_SHIFT};
        rc = (int)hypercall_event_channel_op(EVTCHNOP_expand_array, &e);
        if (rc == 0)
            rc = evtchn_fifo_array_add_page(&array, page);
    }
    if (rc < 0)
        printk("events: FIFO state not restored after resume (%d)\n", rc);
    return rc;
}

static int resume_cpu(struct cpu *c)
{
    if (c->id == 0)
        return 0; /* done by resume_domain */
    return register_control(c, c->evtchn.fifo.cb);
}

int evtchn_fifo_probe(struct cpu *boot)
{
    evtchn_fifo_array_init(&array);
    int rc = init_cpu(boot);
    if (rc < 0)
        return rc;
    /* The first page at once: ports the toolstack bound already (console, xenstore) live there. */
    return setup_port(1);
}

static void mask(evtchn_port_t port)
{
    event_word_t *w = evtchn_fifo_word(&array, port);
    if (w)
        evtchn_fifo_word_mask(w);
}

static int unmask(evtchn_port_t port)
{
    event_word_t *w = evtchn_fifo_word(&array, port);
    return w ? evtchn_fifo_word_unmask(w) : 0;
}

static void clear_pending(evtchn_port_t port)
{
    event_word_t *w = evtchn_fifo_word(&array, port);
    if (w)
        evtchn_fifo_word_clear_pending(w);
}

static int handle_pending(struct cpu *c, void (*dispatch)(evtchn_port_t port))
{
    struct evtchn_fifo_queue *q = &c->evtchn.fifo;
    for (int budget = HANDLE_BUDGET; budget > 0; budget--) {
        evtchn_port_t port;
        int rc = evtchn_fifo_queue_next(q, &port);
        if (rc == 1)
            dispatch(port);
        else if (rc == 0)
            return 0;
        else if (rc == -EIO)
            printk("events: FIFO queue link to port %u is corrupt; queue dropped\n", port);
    }
    return 1; /* still busy: the caller comes round again */
}

static void describe(struct cpu *c, evtchn_port_t port, char *buf, size_t size)
{
    const struct evtchn_fifo_queue *q = &c->evtchn.fifo;
    const event_word_t *w = evtchn_fifo_word(&array, port);
    event_word_t v = w ? __atomic_load_n(w, __ATOMIC_SEQ_CST) : 0;
    unsigned int prio = EVTCHN_FIFO_PRIORITY_DEFAULT;
    ksnprintf(buf, size, "port %u %s%s%s link %u; cb ready %#x head %u, ours ready %#x head %u",
              port, v >> EVTCHN_FIFO_PENDING & 1 ? "P" : "-",
              v >> EVTCHN_FIFO_MASKED & 1 ? "M" : "-", v >> EVTCHN_FIFO_LINKED & 1 ? "L" : "-",
              (unsigned)(v & EVTCHN_FIFO_LINK_MASK),
              q->cb ? (unsigned)__atomic_load_n(&q->cb->ready, __ATOMIC_SEQ_CST) : 0,
              q->cb ? (unsigned)q->cb->head[prio] : 0, (unsigned)q->ready, (unsigned)q->head[prio]);
}

const struct evtchn_abi evtchn_abi_fifo = {
    .name = "FIFO",
    .max_ports = EVTCHN_FIFO_NR_CHANNELS,
    .setup_port = setup_port,
    .init_cpu = init_cpu,
    .resume_domain = resume_domain,
    .resume_cpu = resume_cpu,
    .mask = mask,
    .unmask = unmask,
    .clear_pending = clear_pending,
    .handle_pending = handle_pending,
    .describe = describe,
};
