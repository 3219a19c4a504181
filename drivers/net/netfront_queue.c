/*
 * One netfront queue: a tx and an rx ring, each one page granted to the backend; a
 * pool of buffer pages per ring, granted once and reused for as long as the device
 * lives; one event channel, or one per direction (feature-split-event-channels); and
 * a thread that receives. The event handler only wakes that thread (or senders
 * waiting for tx room). Notifications in both directions follow the rings' event
 * indices, so a busy backend is not interrupted per frame and neither are we.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/smp.h"
#include "drivers/xen/xenbus_frontend.h"
#include "drivers/xen/gnttab.h"
#include "drivers/net/netfront.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_BATCH        64            /* frames per pass before the thread yields */
#define RX_THREAD_STACK (128 * 1024)  /* the app's handler runs on it */
#define TX_RECHECK_NS   1000000000ULL /* a waiting sender looks again this often */
#define POOL_CHUNK      32            /* pages allocated together for a pool */

/* ---- events ---- */

static void queue_event(evtchn_port_t port, void *arg)
{
    struct netfront_queue *q = arg;
    __atomic_add_fetch(&q->interrupts, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&q->pending, 1, __ATOMIC_RELEASE);
    waitq_wake_all(&q->wq);
    waitq_wake_all(&q->tx_wq);
}

static void queue_rx_event(evtchn_port_t port, void *arg)
{
    struct netfront_queue *q = arg;
    __atomic_add_fetch(&q->interrupts, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&q->pending, 1, __ATOMIC_RELEASE);
    waitq_wake_all(&q->wq);
}

static void queue_tx_event(evtchn_port_t port, void *arg)
{
    struct netfront_queue *q = arg;
    __atomic_add_fetch(&q->interrupts, 1, __ATOMIC_RELAXED);
    waitq_wake_all(&q->tx_wq);
}

void netfront_queue_kick(struct netfront_queue *q)
{
    __atomic_store_n(&q->pending, 1, __ATOMIC_RELEASE);
    waitq_wake_all(&q->wq);
    waitq_wake_all(&q->tx_wq);
}

static int running(const struct xenolith_net_dev *d)
{
    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == NETFRONT_RUNNING;
}

/* ---- set-up ---- */

/* nbufs zeroed pages (allocated in chunks) into page[]; grants into gref[]. */
static int pool_alloc(struct xenolith_net_dev *d, void **page, grant_ref_t *gref,
                      unsigned int nbufs, int readonly)
{
    for (unsigned int i = 0; i < nbufs;) {
        unsigned int n = MIN(POOL_CHUNK, nbufs - i);
        uint8_t *p = pages_alloc(n);
        if (!p)
            return -ENOMEM;
        memset(p, 0, (size_t)n * PAGE_SIZE);
        for (unsigned int j = 0; j < n; j++, i++) {
            page[i] = p + (size_t)j * PAGE_SIZE;
            int rc = gnttab_grant_access(d->xb.otherend_id, (uintptr_t)page[i] >> PAGE_SHIFT,
                                         readonly, &gref[i]);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int ring_page(struct xenolith_net_dev *d, void **page, grant_ref_t *ref)
{
    *page = pages_alloc(1);
    if (!*page)
        return -ENOMEM;
    memset(*page, 0, PAGE_SIZE);
    return gnttab_grant_access(d->xb.otherend_id, (uintptr_t)*page >> PAGE_SHIFT, 0, ref);
}

static int bind_events(struct xenolith_net_dev *d, struct netfront_queue *q)
{
    domid_t be = d->xb.otherend_id;
    int rc;
    if (d->split) {
        rc = evtchn_alloc_unbound(be, queue_tx_event, q, &q->tx_port);
        if (rc == 0)
            rc = evtchn_alloc_unbound(be, queue_rx_event, q, &q->rx_port);
    } else {
        rc = evtchn_alloc_unbound(be, queue_event, q, &q->tx_port);
        q->rx_port = q->tx_port;
    }
    if (rc < 0)
        return rc;
    if (q->cpu != 0) {
        evtchn_bind_vcpu(q->tx_port, (unsigned int)q->cpu);
        if (d->split)
            evtchn_bind_vcpu(q->rx_port, (unsigned int)q->cpu);
    }
    return 0;
}

int netfront_queue_setup(struct xenolith_net_dev *d, struct netfront_queue *q, unsigned int index)
{
    void *page;
    int rc;

    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    waitq_init(&q->tx_wq);
    waitq_init(&q->wq);
    q->cpu = xenbus_frontend_queue_cpu(index, -1);

    if ((rc = ring_page(d, &page, &q->tx_ring_ref)) < 0)
        return rc;
    q->tx_sring = page;
    if ((rc = ring_page(d, &page, &q->rx_ring_ref)) < 0)
        return rc;
    q->rx_sring = page;

    if ((rc = netif_txq_init(&q->tx, q->tx_sring, d->nbufs)) < 0 ||
        (rc = netif_rxq_init(&q->rx, q->rx_sring, d->nbufs, d->sg, d->rx_gso)) < 0)
        return rc;
    if ((rc = pool_alloc(d, q->tx.page, q->tx.gref, d->nbufs, 1)) < 0 ||
        (rc = pool_alloc(d, q->rx.page, q->rx.gref, d->nbufs, 0)) < 0)
        return rc;
    /* Every received frame is copied here: a multi-slot one needs it whole, and even a
     * single slot stays granted to the backend, which could rewrite it under the handler. */
    size_t pages = d->sg ? ALIGN_UP((size_t)NETIF_RX_MAX_FRAME, PAGE_SIZE) / PAGE_SIZE : 1;
    q->reasm = pages_alloc(pages);
    q->reasm_pages = pages;
    if (!q->reasm)
        return -ENOMEM;
    netif_rx_refill(&q->rx);
    RING_PUSH_REQUESTS(&q->rx.ring);
    return bind_events(d, q);
}

void netfront_queue_stop_events(struct netfront_queue *q)
{
    if (q->tx_port)
        evtchn_close(q->tx_port);
    if (q->rx_port && q->rx_port != q->tx_port)
        evtchn_close(q->rx_port);
    q->tx_port = q->rx_port = 0;
}

/*
 * A page done with for good: freed, or, while the backend still maps it, deferred
 * until it lets go (gnttab_end_access_free). With keep set (our thread may still be
 * in it) the grant is only revoked and the page stays ours, allocated.
 */
static void drop_page(struct netfront_queue *q, void **page, grant_ref_t *ref, int keep,
                      unsigned int *busy)
{
    if (*ref && keep) {
        if (gnttab_end_access(*ref) == -EBUSY)
            (*busy)++;
    } else if (*ref && *page) {
        char who[24];
        ksnprintf(who, sizeof(who), "net %s", q->dev->name);
        if (gnttab_end_access_free(*ref, *page, who) != 0)
            (*busy)++;
    } else if (*page && !keep) {
        pages_free(*page, 1);
    }
    *ref = 0;
    if (!keep)
        *page = NULL;
}

void netfront_queue_release(struct netfront_queue *q)
{
    /* The queue's structures stay: threads may still be on their way out of them. */
    int keep = !netfront_queue_stopped(q);
    unsigned int busy = 0;
    void *ring = q->rx_sring;
    drop_page(q, &ring, &q->rx_ring_ref, keep, &busy);
    for (unsigned int i = 0; i < q->rx.nbufs && q->rx.gref; i++)
        drop_page(q, &q->rx.page[i], &q->rx.gref[i], keep, &busy);
    if (!keep && q->reasm) {
        pages_free(q->reasm, q->reasm_pages);
        q->reasm = NULL;
    }
    /* Senders look at the state under tx_lock before they touch a tx page or the ring. */
    uint64_t flags = spin_lock_irqsave(&q->tx_lock);
    ring = q->tx_sring;
    drop_page(q, &ring, &q->tx_ring_ref, 0, &busy);
    for (unsigned int i = 0; i < q->tx.nbufs && q->tx.gref; i++)
        drop_page(q, &q->tx.page[i], &q->tx.gref[i], 0, &busy);
    spin_unlock_irqrestore(&q->tx_lock, flags);
    if (!keep)
        q->rx_sring = NULL;
    q->tx_sring = NULL;
    if (busy)
        printk("net: %s queue %u: %u page%s still mapped by the backend after we revoked them; "
               "deferred, not reused, until it lets go\n",
               q->dev->name, q->index, busy, busy == 1 ? "" : "s");
    else if (keep)
        printk("net: %s queue %u: its thread is still running; pages revoked but kept\n",
               q->dev->name, q->index);
}

void netfront_queue_destroy(struct netfront_queue *q)
{
    netif_txq_destroy(&q->tx);
    netif_rxq_destroy(&q->rx);
}

/* ---- receive ---- */

static void deliver(struct netfront_queue *q, const struct netif_rx_frame *f)
{
    struct xenolith_net_dev *d = q->dev;
    xenolith_net_rx_fn fn = __atomic_load_n(&d->rx_fn, __ATOMIC_ACQUIRE);
    if (f->status != 0 || f->len < NETIF_ETH_HLEN || !fn) {
        q->rx_dropped++;
        return;
    }
    /*
     * Copy out of the rx pages before anyone parses the frame: they stay granted to the
     * backend, which could change a header between a check and its use. Several slots
     * come only with sg, and netif_rx_next bounded the total by NETIF_RX_MAX_FRAME; one
     * slot is at most a page. The copy goes where the handler asks, else to our buffer.
     */
    xenolith_net_rx_buf_fn buf = __atomic_load_n(&d->rx_buf, __ATOMIC_ACQUIRE);
    uint8_t *data = buf ? buf(d, q->index, f->len, d->rx_arg) : NULL;
    if (data)
        q->rx_direct++;
    else
        data = q->reasm;
    size_t off = 0;
    for (unsigned int i = 0; i < f->nseg; i++) {
        memcpy(data + off, (const uint8_t *)q->rx.page[f->seg[i].buf] + f->seg[i].offset,
               f->seg[i].len);
        off += f->seg[i].len;
    }
    unsigned int flags = 0;
    if (f->flags & NETRXF_data_validated)
        flags |= XENOLITH_NET_RX_CSUM_VALID;
    if (f->flags & NETRXF_csum_blank)
        flags |= XENOLITH_NET_RX_CSUM_BLANK;
    q->rx_frames++;
    q->rx_bytes += f->len;
    q->rx_gso += f->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    fn(d, q->index, data, f->len, flags, d->rx_arg);
}

static void rx_refill_push(struct netfront_queue *q)
{
    if (!netif_rx_refill(&q->rx))
        return;
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx.ring, notify);
    if (notify) {
        q->rx_notifies++;
        evtchn_send(q->rx_port);
    }
}

/* Take every complete frame off the ring, then arm the event; -EPROTO if broken. */
static int rx_poll(struct netfront_queue *q)
{
    struct netif_rx_frame f;
    for (;;) {
        unsigned int n = 0;
        int rc = 0;
        while (n < RX_BATCH && running(q->dev) && (rc = netif_rx_next(&q->rx, &f)) == 1) {
            deliver(q, &f);
            netif_rx_release(&q->rx, &f);
            n++;
        }
        if (!running(q->dev))
            return 0;
        if (rc < 0)
            return rc;
        rx_refill_push(q);
        if (n == RX_BATCH) {
            xenolith_thread_yield(); /* let others run; there is more */
            continue;
        }
        if (!netif_rx_arm(&q->rx))
            return 0;
        /* More came meanwhile. A backend could keep saying so: never hog the CPU. */
        xenolith_thread_yield();
    }
}

static void *queue_thread(void *arg)
{
    struct netfront_queue *q = arg;
    struct xenolith_net_dev *d = q->dev;
    __atomic_store_n(&q->thread_running, 1, __ATOMIC_RELEASE);
    while (running(d)) {
        wait_event(&q->wq, __atomic_load_n(&q->pending, __ATOMIC_ACQUIRE) || !running(d));
        __atomic_store_n(&q->pending, 0, __ATOMIC_RELEASE);
        if (!running(d) || !__atomic_load_n(&d->rx_fn, __ATOMIC_ACQUIRE))
            continue; /* frames wait in the ring for a handler */
        if (rx_poll(q) < 0)
            netfront_fail(d, "queue %u: %s", q->index, q->rx.error);
    }
    __atomic_store_n(&q->thread_running, 0, __ATOMIC_RELEASE);
    return NULL;
}

int netfront_queue_stopped(struct netfront_queue *q)
{
    return !__atomic_load_n(&q->thread_running, __ATOMIC_ACQUIRE);
}

/* A grant to the old backend: empty in the new table; only the ref is still ours. */
static void forget(grant_ref_t *ref)
{
    if (*ref)
        gnttab_end_access(*ref);
    *ref = 0;
}

/* The pages of a buffer array, kept across the ring's re-initialisation. */
static void **keep_pages(void **page, unsigned int n)
{
    void **copy = malloc(n * sizeof(*copy));
    if (copy)
        memcpy(copy, page, n * sizeof(*copy));
    return copy;
}

static int regrant(struct xenolith_net_dev *d, void **dst, grant_ref_t *gref, void **pages,
                   unsigned int n, int readonly)
{
    for (unsigned int i = 0; i < n; i++) {
        dst[i] = pages[i];
        int rc = gnttab_grant_access(d->xb.otherend_id, (uintptr_t)pages[i] >> PAGE_SHIFT, readonly,
                                     &gref[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int netfront_queue_reconnect(struct netfront_queue *q)
{
    struct xenolith_net_dev *d = q->dev;
    unsigned int n = d->nbufs;
    forget(&q->tx_ring_ref);
    forget(&q->rx_ring_ref);
    for (unsigned int i = 0; i < n; i++) {
        forget(&q->tx.gref[i]);
        forget(&q->rx.gref[i]);
    }
    q->tx_port = q->rx_port = 0; /* went with the old domain */
    void **txp = keep_pages(q->tx.page, n), **rxp = keep_pages(q->rx.page, n);
    int rc = txp && rxp ? 0 : -ENOMEM;
    if (rc == 0) {
        netif_txq_destroy(&q->tx);
        netif_rxq_destroy(&q->rx);
        memset(q->tx_sring, 0, PAGE_SIZE);
        memset(q->rx_sring, 0, PAGE_SIZE);
        if ((rc = netif_txq_init(&q->tx, q->tx_sring, n)) == 0)
            rc = netif_rxq_init(&q->rx, q->rx_sring, n, d->sg, d->rx_gso);
    }
    if (rc == 0)
        rc = gnttab_grant_access(d->xb.otherend_id, (uintptr_t)q->tx_sring >> PAGE_SHIFT, 0,
                                 &q->tx_ring_ref);
    if (rc == 0)
        rc = gnttab_grant_access(d->xb.otherend_id, (uintptr_t)q->rx_sring >> PAGE_SHIFT, 0,
                                 &q->rx_ring_ref);
    if (rc == 0 && (rc = regrant(d, q->tx.page, q->tx.gref, txp, n, 1)) == 0)
        rc = regrant(d, q->rx.page, q->rx.gref, rxp, n, 0);
    free(txp);
    free(rxp);
    if (rc < 0)
        return rc;
    netif_rx_refill(&q->rx);
    RING_PUSH_REQUESTS(&q->rx.ring);
    /* Its VCPU may not have come back (Xen keeps nothing of a VCPU that was down). */
    q->cpu = xenbus_frontend_queue_cpu(q->index, q->cpu);
    return bind_events(d, q);
}

int netfront_queue_start(struct netfront_queue *q)
{
    char name[24];
    /* Went offline since? A thread there could not start. */
    q->cpu = xenbus_frontend_queue_cpu(q->index, q->cpu);
    ksnprintf(name, sizeof(name), "%s-q%u", q->dev->name, q->index);
    q->thread = xenolith_thread_create(name, queue_thread, q, q->cpu, RX_THREAD_STACK);
    if (!q->thread)
        return -ENOMEM;
    xenolith_thread_detach(q->thread);
    /* Tell the backend about the posted buffers, and look at the ring once. */
    evtchn_send(q->tx_port);
    if (q->rx_port != q->tx_port)
        evtchn_send(q->rx_port);
    netfront_queue_kick(q);
    return 0;
}

/* ---- transmit ---- */

static int tx_responses_waiting(struct netfront_queue *q)
{
    return __atomic_load_n(&q->tx.ring.sring->rsp_prod, __ATOMIC_ACQUIRE) != q->tx.ring.rsp_cons;
}

int netfront_queue_transmit(struct netfront_queue *q, const struct xenolith_net_frag *frags,
                            unsigned int nfrags, size_t len, const struct netif_tx_meta *meta)
{
    struct xenolith_net_dev *d = q->dev;
    int gso = meta->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    for (;;) {
        if (!running(d))
            return -ENETDOWN;
        struct netif_tx_reaped r;
        uint64_t flags = spin_lock_irqsave(&q->tx_lock);
        if (!running(d)) { /* checked again under the lock: release frees the pages */
            spin_unlock_irqrestore(&q->tx_lock, flags);
            return -ENETDOWN;
        }
        if (netif_tx_reap(&q->tx, &r) < 0) {
            spin_unlock_irqrestore(&q->tx_lock, flags);
            netfront_fail(d, "queue %u: %s", q->index, q->tx.error);
            return -ENETDOWN;
        }
        q->tx_errors += r.errors;
        if (netif_tx_room(&q->tx, len, gso)) {
            int notify;
            netif_tx_put(&q->tx, frags, nfrags, len, meta);
            RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx.ring, notify);
            q->tx_frames++;
            q->tx_bytes += len;
            q->tx_gso += (unsigned int)gso;
            q->tx_notifies += (unsigned int)notify;
            spin_unlock_irqrestore(&q->tx_lock, flags);
            if (notify)
                evtchn_send(q->tx_port);
            return 0;
        }
        /* Full: ask for an event on the next response, then sleep unless one came. */
        int more;
        RING_FINAL_CHECK_FOR_RESPONSES(&q->tx.ring, more);
        spin_unlock_irqrestore(&q->tx_lock, flags);
        if (!more)
            wait_event_timeout(&q->tx_wq, !running(d) || tx_responses_waiting(q), TX_RECHECK_NS);
    }
}
