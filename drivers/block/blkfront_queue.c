/*
 * blkfront queues: one shared ring, event channel and thread per queue, and
 * the pool of pages that carry data to and from the backend.
 *
 * A caller's request waits in the queue's pending list and is cut into ring
 * requests as ring slots and pool pages allow (blkif_ring.c does the cutting
 * and the layouts). Data is copied between the caller's buffer and pool pages,
 * so the backend never sees the caller's memory. With persistent grants the
 * pool pages stay granted for the life of the device; without, each is granted
 * for one ring request and the grant is ended when the response comes.
 *
 * The event handler only wakes the queue's thread, and the port stays masked
 * until the thread has looked at the ring (as Linux's late EOI): a backend
 * sending events in a loop costs one upcall per pass of the thread, never a
 * VCPU. The thread takes the responses (every one checked), copies read data
 * out, issues what waits, watches for requests the backend sits on, and runs
 * the callbacks with no lock held. Everything else about a queue happens
 * under its mutex.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/time.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "drivers/block/blkfront.h"
#include "drivers/xen/xenbus_frontend.h"
#include "drivers/xen/gnttab.h"
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE_4K 4096u

/* How often the queue thread looks for requests the backend has sat on too long. */
#define WATCHDOG_NS (1000ULL * 1000 * 1000)

static uint64_t gfn_of(const void *va)
{
    return (uint64_t)(uintptr_t)va >> 12;
}

static const char *op_name(enum xenolith_blk_op op)
{
    static const char *const names[] = {"read", "write", "flush", "discard"};
    return (unsigned)op < ARRAY_SIZE(names) ? names[op] : "?";
}

/* ---- the page pool ---- */

/*
 * A new pool page; with persistent grants it is granted (read-write) for good.
 * Cleared first: frames come from the allocator as their last user left them
 * (thread stacks, heap), and a 512-byte write or a partly filled indirect page
 * would hand the rest of the page to the backend (XSA-403). From then on a pool
 * page only ever holds this device's data, which the backend has seen already.
 */
static struct blk_page *page_new(struct blk_queue *q)
{
    struct blk_page *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->va = pages_alloc(1);
    if (!p->va) {
        free(p);
        return NULL;
    }
    memset(p->va, 0, PAGE_SIZE_4K);
    if (q->dev->persistent) {
        if (gnttab_grant_access(q->dev->xb.otherend_id, gfn_of(p->va), 0, &p->gref) < 0) {
            pages_free(p->va, 1);
            free(p);
            return NULL;
        }
        p->granted = 1;
        q->stats.grants++;
    }
    q->pages_total++;
    q->stats.pool_pages = q->pages_total;
    return p;
}

/* n pages as a list, or NULL when the pool cannot give them now. */
static struct blk_page *pool_take(struct blk_queue *q, unsigned int n)
{
    if (q->pages_free + (q->pages_max - q->pages_total) < n)
        return NULL;
    struct blk_page *head = NULL, **tail = &head;
    unsigned int got = 0;
    while (got < n && q->free_pages) {
        struct blk_page *p = q->free_pages;
        q->free_pages = p->next;
        q->pages_free--;
        p->next = NULL;
        *tail = p;
        tail = &p->next;
        got++;
    }
    while (got < n) {
        struct blk_page *p = page_new(q);
        if (!p) {
            /* Out of memory or grants for now: give back what we took, try again later. */
            while (head) {
                struct blk_page *x = head;
                head = x->next;
                x->next = q->free_pages;
                q->free_pages = x;
                q->pages_free++;
            }
            return NULL;
        }
        *tail = p;
        tail = &p->next;
        got++;
    }
    return head;
}

/* A ring or pool page: freed (0), or deferred while the backend still maps it (1). */
static unsigned int end_and_free(grant_ref_t ref, void *page, struct blk_queue *q)
{
    char who[24];
    ksnprintf(who, sizeof(who), "blk %s", q->dev->info.name);
    return gnttab_end_access_free(ref, page, who) == 0 ? 0 : 1;
}

/*
 * A page whose grant the backend would not let go (it still maps it): it leaves the
 * pool, and the grant table keeps it out of use until the backend lets go, then
 * frees it. The pool may take a new page in its place.
 */
static void withdraw(struct blk_queue *q, struct blk_page *p)
{
    if (q->stats.grants_leaked++ == 0)
        printk("blk %s: queue %u: the backend still maps a page after answering its request; "
               "the page leaves the pool until it lets go\n",
               q->dev->info.name, q->index);
    end_and_free(p->gref, p->va, q);
    q->pages_total--;
    q->stats.pool_pages = q->pages_total;
    free(p);
}

/* Give pages back after a ring request. Without persistent grants their grants end here. */
static void pool_give(struct blk_queue *q, struct blk_page *list)
{
    while (list) {
        struct blk_page *p = list;
        list = p->next;
        if (p->granted && !q->dev->persistent) {
            if (gnttab_end_access(p->gref) < 0) {
                withdraw(q, p);
                continue;
            }
            p->granted = 0;
        }
        p->next = q->free_pages;
        q->free_pages = p;
        q->pages_free++;
    }
}

/* Grant a request's pages for one use (non-persistent mode). 0 or -errno, all or nothing. */
static int grant_for_request(struct blk_queue *q, struct blk_page *list, int readonly)
{
    for (struct blk_page *p = list; p; p = p->next) {
        int rc = gnttab_grant_access(q->dev->xb.otherend_id, gfn_of(p->va), readonly, &p->gref);
        if (rc < 0) {
            for (struct blk_page *u = list; u != p; u = u->next) {
                gnttab_end_access(u->gref); /* never mapped: the request was not issued */
                u->granted = 0;
            }
            return rc;
        }
        p->granted = 1;
    }
    return 0;
}

/* ---- completing ---- */

static void wake_thread(struct blk_queue *q)
{
    __atomic_add_fetch(&q->kicks, 1, __ATOMIC_SEQ_CST);
    waitq_wake_all(&q->wq);
}

static uint64_t request_total(const struct xenolith_blk_request *r)
{
    return r->op == XENOLITH_BLK_READ || r->op == XENOLITH_BLK_WRITE ? r->len : 1;
}

/* The request is over: queue its callback for the thread. */
static void finish(struct blk_queue *q, struct xenolith_blk_request *r)
{
    struct xenolith_blk_stats *st = &q->stats;
    if (r->_status)
        st->errors++;
    switch (r->op) {
    case XENOLITH_BLK_READ:
        st->reads++;
        st->read_bytes += r->_status ? 0 : r->len;
        break;
    case XENOLITH_BLK_WRITE:
        st->writes++;
        st->write_bytes += r->_status ? 0 : r->len;
        break;
    case XENOLITH_BLK_FLUSH:
        st->flushes++;
        break;
    case XENOLITH_BLK_DISCARD:
        st->discards++;
        break;
    }
    blkif_reqlist_push(&q->done, r);
}

static void copy_out(struct blk_frag *f)
{
    char *dst = (char *)f->req->buf + f->buf_off;
    uint32_t left = f->nbytes;
    for (struct blk_page *p = f->data; p && left; p = p->next) {
        uint32_t n = MIN(left, PAGE_SIZE_4K);
        memcpy(dst, p->va, n);
        dst += n;
        left -= n;
    }
}

static void copy_in(struct blk_page *pages, const char *src, uint32_t nbytes)
{
    for (struct blk_page *p = pages; p && nbytes; p = p->next) {
        uint32_t n = MIN(nbytes, PAGE_SIZE_4K);
        memcpy(p->va, src, n);
        src += n;
        nbytes -= n;
    }
}

/* A ring request is over (answered, or failed with the device): settle its caller's request. */
static void frag_end(struct blk_queue *q, uint32_t slot, int err)
{
    struct blk_frag *f = &q->frags[slot];
    struct xenolith_blk_request *r = f->req;
    if (!err && r->op == XENOLITH_BLK_READ)
        copy_out(f);
    pool_give(q, f->data);
    pool_give(q, f->ind);
    memset(f, 0, sizeof(*f));
    if (err && !r->_status)
        r->_status = err;
    r->_inflight--;
    if (r->_inflight == 0 && !r->_pending)
        finish(q, r);
}

static void on_response(void *ctx, uint32_t slot, int err)
{
    frag_end(ctx, slot, err);
}

/* ---- issuing ---- */

static void pending_pop(struct blk_queue *q)
{
    blkif_reqlist_pop(&q->pending)->_pending = 0;
}

/*
 * Put the next piece of r on the ring (not yet pushed). Returns 1 when issued,
 * 0 when the pool or grant table must wait for completions, or -errno when r
 * cannot proceed at all.
 */
static int issue_one(struct blk_queue *q, struct xenolith_blk_request *r)
{
    struct xenolith_blk_dev *d = q->dev;
    blkif_request_t *dst = RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt);
    struct blk_page *data = NULL, *ind = NULL;
    uint32_t slot, nbytes = 0;
    uint64_t id;
    int waiting = q->inflight.nr_busy > 0; /* completions will free resources */

    if (r->op == XENOLITH_BLK_FLUSH) {
        if (blkif_inflight_get(&q->inflight, d->flush_op, d->flush_op, &slot, &id) < 0)
            return 0;
        blkif_build_flush(dst, id, d->flush_op, d->handle);
        if (d->flush_op == BLKIF_OP_WRITE_BARRIER)
            q->stats.barrier_requests++;
        else
            q->stats.flush_requests++;
        r->_issued = 1;
    } else if (r->op == XENOLITH_BLK_DISCARD) {
        if (blkif_inflight_get(&q->inflight, BLKIF_OP_DISCARD, BLKIF_OP_DISCARD, &slot, &id) < 0)
            return 0;
        blkif_build_discard(dst, id, d->handle, r->offset >> BLKIF_SECTOR_SHIFT,
                            r->len >> BLKIF_SECTOR_SHIFT, 0);
        q->stats.discard_requests++;
        r->_issued = 1;
    } else {
        nbytes = blkif_next_chunk(r->len - r->_issued, d->max_segs);
        uint32_t nsegs = blkif_data_pages(nbytes);
        uint32_t nind = blkif_indirect_pages(nsegs);
        uint8_t op = r->op == XENOLITH_BLK_READ ? BLKIF_OP_READ : BLKIF_OP_WRITE;
        data = pool_take(q, nsegs + nind);
        if (!data)
            return waiting ? 0 : -ENOMEM;
        if (nind) {
            /* The last nind pages of the list hold the segments. */
            struct blk_page **cut = &data;
            for (uint32_t i = 0; i < nsegs; i++)
                cut = &(*cut)->next;
            ind = *cut;
            *cut = NULL;
        }
        if (!d->persistent) {
            int rc = grant_for_request(q, data, r->op == XENOLITH_BLK_WRITE);
            if (rc == 0 && ind) {
                rc = grant_for_request(q, ind, 1);
                if (rc < 0) {
                    for (struct blk_page *p = data; p; p = p->next) {
                        gnttab_end_access(p->gref);
                        p->granted = 0;
                    }
                }
            }
            if (rc < 0) {
                pool_give(q, data);
                pool_give(q, ind);
                return waiting ? 0 : rc;
            }
            q->stats.grants += nsegs + nind;
        }
        if (blkif_inflight_get(&q->inflight, nind ? BLKIF_OP_INDIRECT : op, op, &slot, &id) < 0) {
            /* Cannot happen: the ring had room, and there is a slot per ring entry. */
            panic("blk %s: ring has room but no in-flight slot is free", d->info.name);
        }
        if (r->op == XENOLITH_BLK_WRITE)
            copy_in(data, (const char *)r->buf + r->_issued, nbytes);

        uint32_t i = 0;
        for (struct blk_page *p = data; p; p = p->next)
            q->grefs[i++] = p->gref;
        struct blkif_request_segment *ind_va[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
        grant_ref_t ind_gref[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
        i = 0;
        for (struct blk_page *p = ind; p; p = p->next, i++) {
            ind_va[i] = p->va;
            ind_gref[i] = p->gref;
        }
        struct blkif_rw rw = {
            .id = id,
            .op = op,
            .handle = d->handle,
            .sector = (r->offset + r->_issued) >> BLKIF_SECTOR_SHIFT,
            .nbytes = nbytes,
            .grefs = q->grefs,
            .ind_pages = nind ? ind_va : NULL,
            .ind_grefs = nind ? ind_gref : NULL,
        };
        if (blkif_build_rw(dst, &rw) < 0)
            panic("blk %s: built an impossible ring request (%u bytes)", d->info.name, nbytes);
        if (nind)
            q->stats.indirect_requests++;
        q->stats.segments += nsegs + nind;
    }

    struct blk_frag *f = &q->frags[slot];
    f->req = r;
    f->data = data;
    f->ind = ind;
    f->nbytes = nbytes;
    f->buf_off = r->_issued;
    f->started_ns = xenolith_time_now_ns();
    if (r->op == XENOLITH_BLK_READ || r->op == XENOLITH_BLK_WRITE)
        r->_issued += nbytes;
    r->_inflight++;
    q->ring.req_prod_pvt++;
    q->stats.ring_requests++;
    q->stats.max_in_flight = MAX(q->stats.max_in_flight, (uint64_t)q->inflight.nr_busy);
    return 1;
}

/* Issue what the ring and pool take, then push with at most one notification. */
static void issue(struct blk_queue *q)
{
    int pushed = 0;
    if (q->suspended)
        return; /* they wait; issued once the domain has resumed */
    while (q->pending.head) {
        struct xenolith_blk_request *r = q->pending.head;
        if (r->_status) {
            /* An earlier piece failed: issue no more of it. */
            pending_pop(q);
            if (r->_inflight == 0)
                finish(q, r);
            continue;
        }
        if (RING_FULL(&q->ring))
            break;
        int rc = issue_one(q, r);
        if (rc == 0)
            break;
        if (rc < 0) {
            r->_status = rc;
            continue;
        }
        pushed = 1;
        if (r->_issued == request_total(r))
            pending_pop(q);
    }
    if (pushed) {
        int notify;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
        if (notify) {
            evtchn_send(q->port);
            q->stats.notifications++;
        }
    }
}

/* ---- failing everything ---- */

/* Pages the backend may still map: out of use until it has closed (blkq_teardown). */
static void quarantine(struct blk_queue *q, struct blk_page *list)
{
    while (list) {
        struct blk_page *p = list;
        list = p->next;
        p->next = q->quarantined;
        q->quarantined = p;
    }
}

static void fail_all(struct blk_queue *q, int err)
{
    if (q->failed)
        return;
    q->failed = 1;
    if (q->port_bound) {
        evtchn_close(q->port);
        q->port_bound = 0;
    }
    /* Pages of requests in flight may still be mapped by the backend: never reuse them. */
    for (uint32_t s = 0; s < q->inflight.n; s++) {
        if (!q->inflight.slot[s].busy)
            continue;
        struct blk_frag *f = &q->frags[s];
        struct xenolith_blk_request *r = f->req;
        blkif_inflight_put(&q->inflight, s);
        quarantine(q, f->data);
        quarantine(q, f->ind);
        memset(f, 0, sizeof(*f));
        if (!r->_status)
            r->_status = err;
        if (--r->_inflight == 0 && !r->_pending)
            finish(q, r);
    }
    while (q->pending.head) {
        struct xenolith_blk_request *r = q->pending.head;
        pending_pop(q);
        if (!r->_status)
            r->_status = err;
        if (r->_inflight == 0)
            finish(q, r);
    }
}

/* ---- the queue thread ---- */

static void check_timeouts(struct blk_queue *q)
{
    if (q->suspended)
        return; /* the backend is not asked meanwhile; what is out is replayed in a new domain */
    uint64_t now = xenolith_time_now_ns();
    for (uint32_t s = 0; s < q->inflight.n; s++) {
        if (!q->inflight.slot[s].busy)
            continue;
        struct blk_frag *f = &q->frags[s];
        if (now - f->started_ns > q->dev->timeout_ns) {
            blkfront_break(q->dev, -ETIMEDOUT,
                           "queue %u: %s request (id %#llx) unanswered for %llu ms", q->index,
                           op_name(f->req->op),
                           (unsigned long long)blkif_inflight_id(&q->inflight, s),
                           (unsigned long long)((now - f->started_ns) / 1000000));
            return;
        }
    }
}

/* 1, 10, 100, ...: a count worth a line on the console. */
static int worth_reporting(uint64_t n)
{
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    return n == 1;
}

/*
 * An event brought no response. That happens now and then (responses taken on the
 * pass before the event was seen), but a backend notifies at most once per
 * response: more such events than requests ever made (and a few) is a storm.
 * Say so, at 1, 10, 100 ... times the first; masking already keeps it from
 * costing more.
 */
static void count_idle_event(struct blk_queue *q)
{
    struct xenolith_blk_stats *st = &q->stats;
    st->idle_events++;
    if (st->idle_events < st->ring_requests + 64)
        return;
    if (worth_reporting(++q->storm_reports))
        printk("blk %s: queue %u: %llu events from the backend brought no response (%llu "
               "requests made): an event storm; the port stays masked between passes\n",
               q->dev->info.name, q->index, (unsigned long long)st->idle_events,
               (unsigned long long)st->ring_requests);
}

/* Take responses, issue what waits, watch the clock. Under q->lock. */
static void service(struct blk_queue *q, int evented)
{
    struct xenolith_blk_dev *d = q->dev;
    if (q->failed || q->retired)
        return;
    if (!__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE)) {
        struct blkif_fault fault;
        int n = blkif_take_responses(&q->ring, &q->inflight, on_response, q, &fault);
        if (n == 0 && evented)
            count_idle_event(q);
        if (n == -EPROTO) {
            const char *what =
                fault.slot != BLKIF_SLOT_NONE ? op_name(q->frags[fault.slot].req->op) : "-";
            blkfront_break(d, -EIO,
                           "queue %u: %s (response %u: id %#llx, operation %u, status %d; "
                           "request %s)",
                           q->index, blkif_fault_name(fault.kind), fault.index,
                           (unsigned long long)fault.id, fault.operation, fault.status, what);
        }
    }
    if (!__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE)) {
        issue(q);
        check_timeouts(q);
    }
    if (__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE))
        fail_all(q, d->break_err);
}

static void run_callbacks(struct xenolith_blk_request *list)
{
    while (list) {
        struct xenolith_blk_request *r = list;
        list = r->_next;
        r->_next = NULL;
        r->done(r, r->_status);
    }
}

static void *queue_thread(void *arg)
{
    struct blk_queue *q = arg;
    unsigned int seen = 0;
    uint64_t irqs_seen = 0;
    for (;;) {
        uint64_t timeout = q->inflight.nr_busy || q->pending.head ? WATCHDOG_NS : 0;
        wait_event_timeout(&q->wq, __atomic_load_n(&q->kicks, __ATOMIC_ACQUIRE) != seen, timeout);
        seen = __atomic_load_n(&q->kicks, __ATOMIC_ACQUIRE);
        uint64_t irqs = __atomic_load_n(&q->stats.interrupts, __ATOMIC_ACQUIRE);

        mutex_lock(&q->lock);
        service(q, irqs != irqs_seen);
        irqs_seen = irqs;
        /* The ring has been looked at: let the next event in (it is re-sent if pending). */
        if (q->port_bound)
            evtchn_unmask(q->port);
        struct xenolith_blk_request *done = q->done.head;
        q->done.head = q->done.tail = NULL;
        mutex_unlock(&q->lock);

        if (done) {
            run_callbacks(done);
            waitq_wake_all(&q->sync_wq);
        }
        if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE) && (q->failed || q->retired))
            break;
    }
    /* Last touch of q: blkq_teardown may free what it points at once it sees this. */
    __atomic_store_n(&q->stopped, 1, __ATOMIC_RELEASE);
    waitq_wake_all(&q->sync_wq);
    return NULL;
}

static void queue_event(evtchn_port_t port, void *arg)
{
    struct blk_queue *q = arg;
    __atomic_add_fetch(&q->stats.interrupts, 1, __ATOMIC_RELAXED);
    wake_thread(q);
}

/* ---- set-up and tear-down ---- */

int blkq_init(struct blk_queue *q, struct xenolith_blk_dev *d, unsigned int index,
              unsigned int order)
{
    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    q->cpu = xenbus_frontend_queue_cpu(index, -1);
    mutex_init(&q->lock);
    waitq_init(&q->wq);
    waitq_init(&q->sync_wq);

    q->ring_pages = 1u << order;
    q->sring = pages_alloc(q->ring_pages);
    if (!q->sring)
        return -ENOMEM;
    memset(q->sring, 0, (size_t)q->ring_pages * PAGE_SIZE_4K);
    SHARED_RING_INIT(q->sring);
    FRONT_RING_INIT(&q->ring, q->sring, (size_t)q->ring_pages * PAGE_SIZE_4K);

    uint32_t n = RING_SIZE(&q->ring);
    q->slots = calloc(n, sizeof(*q->slots));
    q->frags = calloc(n, sizeof(*q->frags));
    if (!q->slots || !q->frags)
        return -ENOMEM;
    blkif_inflight_init(&q->inflight, q->slots, n);

    for (unsigned int i = 0; i < q->ring_pages; i++) {
        int rc = gnttab_grant_access(d->xb.otherend_id, gfn_of(q->sring) + i, 0, &q->ring_ref[i]);
        if (rc < 0)
            return rc;
        q->ring_granted = (int)i + 1;
    }
    int rc = evtchn_alloc_unbound(d->xb.otherend_id, queue_event, q, &q->port);
    if (rc < 0)
        return rc;
    q->port_bound = 1;
    evtchn_mask_on_event(q->port, 1); /* the queue thread unmasks after each pass */
    if (q->cpu != 0 && evtchn_bind_vcpu(q->port, (unsigned int)q->cpu) < 0)
        q->cpu = 0;
    return 0;
}

int blkq_start(struct blk_queue *q, unsigned int pool_pages)
{
    struct xenolith_blk_dev *d = q->dev;
    /* Room for at least two of the largest ring requests, so one is always in flight
     * while the next is being answered. */
    q->pages_max = MAX(pool_pages, 2 * (d->max_segs + blkif_indirect_pages(d->max_segs)));
    q->grefs = calloc(d->max_segs, sizeof(*q->grefs));
    if (!q->grefs)
        return -ENOMEM;
    char name[24];
    ksnprintf(name, sizeof(name), "blk-%s-q%u", d->info.name, q->index);
    q->thread = xenolith_thread_create(name, queue_thread, q, q->cpu, 0);
    if (!q->thread)
        return -ENOMEM;
    xenolith_thread_detach(q->thread);
    return 0;
}

unsigned int blkq_release(struct blk_queue *q)
{
    unsigned int kept = 0;
    if (q->port_bound)
        evtchn_close(q->port);
    q->port_bound = 0;
    for (unsigned int i = 0; q->sring && i < q->ring_pages; i++) {
        void *page = (char *)q->sring + (size_t)i * PAGE_SIZE_4K;
        if ((int)i < q->ring_granted)
            kept += end_and_free(q->ring_ref[i], page, q);
        else
            pages_free(page, 1);
    }
    q->ring_granted = 0;
    q->sring = NULL;
    free(q->slots);
    free(q->frags);
    free(q->grefs);
    q->slots = NULL;
    q->frags = NULL;
    q->grefs = NULL;
    return kept;
}

/* End each page's grant (if it has one) and free it; how many the backend still maps. */
static unsigned int free_pages_list(struct blk_queue *q, struct blk_page *list)
{
    unsigned int kept = 0;
    while (list) {
        struct blk_page *p = list;
        list = p->next;
        if (p->granted)
            kept += end_and_free(p->gref, p->va, q);
        else
            pages_free(p->va, 1);
        free(p);
    }
    return kept;
}

int blkq_teardown(struct blk_queue *q)
{
    if (q->thread) {
        __atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
        wake_thread(q);
        wait_event(&q->sync_wq, __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE));
        q->thread = NULL;
    }
    unsigned int kept = free_pages_list(q, q->free_pages) + free_pages_list(q, q->quarantined);
    q->free_pages = q->quarantined = NULL;
    q->pages_free = q->pages_total = 0;
    kept += blkq_release(q);
    return kept ? -EBUSY : 0;
}

/* ---- suspend and resume ---- */

int blkq_quiesce(struct blk_queue *q, uint64_t timeout_ns)
{
    mutex_lock(&q->lock);
    q->suspended = 1;
    mutex_unlock(&q->lock);
    uint64_t deadline = xenolith_time_now_ns() + timeout_ns;
    while (__atomic_load_n(&q->inflight.nr_busy, __ATOMIC_ACQUIRE) && !q->failed &&
           xenolith_time_now_ns() < deadline)
        xenolith_thread_sleep_ns(1000000);
    return q->inflight.nr_busy && !q->failed ? -EBUSY : 0;
}

void blkq_resume(struct blk_queue *q)
{
    mutex_lock(&q->lock);
    q->suspended = 0;
    mutex_unlock(&q->lock);
    wake_thread(q);
}

void blkq_forget_port(struct blk_queue *q)
{
    mutex_lock(&q->lock);
    q->port_bound = 0;
    mutex_unlock(&q->lock);
}

/* A grant made to the old backend: its entry is empty in the new table, only the ref is ours. */
static void forget_grant(grant_ref_t ref)
{
    if (gnttab_end_access(ref) < 0)
        printk("blk: grant %u still busy after resume\n", ref);
}

/*
 * In a new domain nothing on the old ring will ever be answered: every ring
 * request still out goes back to be issued again (blkif_rewind), ahead of what
 * waits, and its pages go back to the pool. Under q->lock. How many.
 */
static unsigned int rewind_inflight(struct blk_queue *q)
{
    struct blkif_reqlist replay = {0};
    unsigned int n = 0;
    for (uint32_t s = 0; q->frags && s < q->inflight.n; s++) {
        if (!q->inflight.slot[s].busy)
            continue;
        struct blk_frag *f = &q->frags[s];
        struct xenolith_blk_request *r = f->req;
        blkif_inflight_put(&q->inflight, s);
        pool_give(q, f->data); /* a one-use grant ends here: void, so never busy */
        pool_give(q, f->ind);
        uint64_t at = r->op == XENOLITH_BLK_READ || r->op == XENOLITH_BLK_WRITE ? f->buf_off : 0;
        memset(f, 0, sizeof(*f));
        if (blkif_rewind(r, at))
            blkif_reqlist_push(&replay, r);
        n++;
    }
    blkif_reqlist_prepend(&q->pending, &replay);
    return n;
}

/* Every grant to the old backend (ring and pool) is void: take the refs back. Under q->lock. */
static void forget_grants(struct blk_queue *q)
{
    for (int i = 0; i < q->ring_granted; i++)
        forget_grant(q->ring_ref[i]);
    q->ring_granted = 0;
    for (struct blk_page *p = q->free_pages; p; p = p->next)
        if (p->granted) {
            forget_grant(p->gref);
            p->granted = 0;
        }
    q->port_bound = 0; /* the port went with the old domain */
}

/* A ring of 2^order pages in place of the old one (whose grants are already forgotten). */
static int ring_resize(struct blk_queue *q, unsigned int order)
{
    unsigned int pages = 1u << order;
    void *sring = pages_alloc(pages);
    uint32_t n = (uint32_t)__CONST_RING_SIZE(blkif, (size_t)pages * PAGE_SIZE_4K);
    struct blkif_slot *slots = calloc(n, sizeof(*slots));
    struct blk_frag *frags = calloc(n, sizeof(*frags));
    if (!sring || !slots || !frags) {
        if (sring)
            pages_free(sring, pages);
        free(slots);
        free(frags);
        return -ENOMEM;
    }
    for (unsigned int i = 0; i < q->ring_pages; i++)
        pages_free((char *)q->sring + (size_t)i * PAGE_SIZE_4K, 1);
    free(q->slots);
    free(q->frags);
    q->sring = sring;
    q->ring_pages = pages;
    q->slots = slots;
    q->frags = frags;
    return 0;
}

int blkq_reconnect(struct blk_queue *q, unsigned int order, unsigned int *replayed)
{
    struct xenolith_blk_dev *d = q->dev;
    mutex_lock(&q->lock);
    *replayed += rewind_inflight(q);
    forget_grants(q);
    int rc = 0;
    if (q->ring_pages != 1u << order && (rc = ring_resize(q, order)) < 0)
        goto out;
    memset(q->sring, 0, (size_t)q->ring_pages * PAGE_SIZE_4K);
    SHARED_RING_INIT(q->sring);
    FRONT_RING_INIT(&q->ring, q->sring, (size_t)q->ring_pages * PAGE_SIZE_4K);
    blkif_inflight_init(&q->inflight, q->slots, RING_SIZE(&q->ring));
    for (unsigned int i = 0; i < q->ring_pages; i++) {
        rc = gnttab_grant_access(d->xb.otherend_id, gfn_of(q->sring) + i, 0, &q->ring_ref[i]);
        if (rc < 0)
            goto out;
        q->ring_granted = (int)i + 1;
    }
    rc = evtchn_alloc_unbound(d->xb.otherend_id, queue_event, q, &q->port);
    if (rc < 0)
        goto out;
    q->port_bound = 1;
    evtchn_mask_on_event(q->port, 1);
    /* Its VCPU may not have come back (Xen keeps nothing of a VCPU that was down). */
    q->cpu = xenbus_frontend_queue_cpu(q->index, q->cpu);
    if (q->cpu != 0 && evtchn_bind_vcpu(q->port, (unsigned int)q->cpu) < 0)
        q->cpu = 0;
out:
    mutex_unlock(&q->lock);
    return rc;
}

unsigned int blkq_retire(struct blk_queue *q, struct blk_queue *to, unsigned int *replayed)
{
    mutex_lock(&q->lock);
    q->retired = 1; /* blkq_submit sends callers elsewhere from now on */
    *replayed += rewind_inflight(q);
    forget_grants(q);
    struct blkif_reqlist moving = q->pending;
    q->pending.head = q->pending.tail = NULL;
    mutex_unlock(&q->lock);
    if (q->thread) { /* it runs what callbacks it has left, then ends */
        __atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
        wake_thread(q);
        wait_event(&q->sync_wq, __atomic_load_n(&q->stopped, __ATOMIC_ACQUIRE));
        q->thread = NULL;
    }
    mutex_lock(&to->lock);
    unsigned int n = blkif_reqlist_move(&to->pending, &moving, to);
    mutex_unlock(&to->lock);
    waitq_wake_all(&q->sync_wq); /* xenolith_blk_read & co. follow their request to its new queue */
    free_pages_list(q, q->free_pages); /* nothing granted any more: all freed */
    free_pages_list(q, q->quarantined);
    q->free_pages = q->quarantined = NULL;
    q->pages_free = q->pages_total = 0;
    blkq_release(q);
    return n;
}

int blkq_regrant_pool(struct blk_queue *q, unsigned int pool_pages)
{
    struct xenolith_blk_dev *d = q->dev;
    int rc = 0;
    mutex_lock(&q->lock);
    /* The new backend may take more (or fewer) segments per request than the old one. */
    grant_ref_t *grefs = calloc(d->max_segs, sizeof(*grefs));
    if (grefs) {
        free(q->grefs);
        q->grefs = grefs;
        q->pages_max = MAX(pool_pages, 2 * (d->max_segs + blkif_indirect_pages(d->max_segs)));
    } else {
        rc = -ENOMEM;
    }
    for (struct blk_page *p = q->free_pages; p && rc == 0 && d->persistent; p = p->next) {
        rc = gnttab_grant_access(d->xb.otherend_id, gfn_of(p->va), 0, &p->gref);
        p->granted = rc == 0;
    }
    mutex_unlock(&q->lock);
    return rc;
}

static unsigned int count_granted(const struct blk_page *list)
{
    unsigned int n = 0;
    for (; list; list = list->next)
        n += list->granted ? 1 : 0;
    return n;
}

unsigned int blkq_grants_held(struct blk_queue *q)
{
    unsigned int n = (unsigned int)q->ring_granted + count_granted(q->free_pages) +
                     count_granted(q->quarantined);
    for (uint32_t s = 0; q->frags && s < q->inflight.n; s++)
        if (q->inflight.slot[s].busy)
            n += count_granted(q->frags[s].data) + count_granted(q->frags[s].ind);
    return n;
}

/* ---- submitting ---- */

int blkq_submit(struct blk_queue *q, struct xenolith_blk_request **rs, int n)
{
    struct xenolith_blk_dev *d = q->dev;
    int accepted = 0, kick = 0;

    mutex_lock(&q->lock);
    if (__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE) || q->failed) {
        mutex_unlock(&q->lock);
        return -EIO;
    }
    if (q->retired) {
        mutex_unlock(&q->lock);
        return -EAGAIN; /* taken away at a reconnect: the caller picks a queue again */
    }
    for (; accepted < n; accepted++) {
        struct xenolith_blk_request *r = rs[accepted];
        r->_next = NULL;
        r->_queue = q;
        r->_issued = 0;
        r->_inflight = 0;
        r->_status = 0;
        r->_pending = 1;
        blkif_reqlist_push(&q->pending, r);
    }
    issue(q);
    if (q->done.head)
        kick = 1;
    mutex_unlock(&q->lock);
    if (kick)
        wake_thread(q);
    return accepted;
}
