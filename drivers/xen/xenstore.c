/*
 * xenstore client. Requests carry a req_id and wait on their own queue, so many
 * can be in flight from many threads; a reader thread matches each reply to its
 * request and hands watch events to a watch thread, which runs the callbacks one
 * at a time (a callback may itself use xenstore). Wire format and ring handling
 * are pure code in xs_wire.c / xs_ring.c; every reply is validated there.
 */
#include "core/kernel.h"
#include "core/page_alloc.h"
#include "core/sched.h"
#include "core/time.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/physmap.h"
#include "drivers/xen/xenstore_internal.h"
#include "drivers/xen/xs_ring.h"
#include "drivers/xen/xs_wire.h"
#include <xenolith/xenstore.h>
#include <xen/hvm/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XS_TIMEOUT_NS (30ULL * 1000000000ULL)
#define XS_TX_RETRIES 100

struct xs_request {
    struct xs_request *next;
    uint32_t req_id;
    int done;
    int sent; /* wholly on the ring (under write_mutex): a reply is owed */
    int error;
    struct xsd_sockmsg hdr;
    char *body; /* malloc'd copy of the reply payload, NUL-terminated */
    struct waitq wq;
};

struct xs_event {
    struct xs_event *next;
    char *path;
    char *token;
};

static struct xenstore_domain_interface *intf;
static evtchn_port_t xs_port;
static int xs_broken;
static uint32_t next_req_id;
static uint32_t next_watch_id;

static spinlock_t pending_lock = SPINLOCK_INIT;
static struct xs_request *pending;

static struct mutex write_mutex = MUTEX_INIT(write_mutex);
static struct mutex read_mutex = MUTEX_INIT(read_mutex); /* the reader, or a reconnect */
static struct waitq ring_wq = WAITQ_INIT(ring_wq);       /* reader and writers wait here */

static spinlock_t watch_lock = SPINLOCK_INIT;
static struct xenolith_xs_watch *watches;
static struct xs_event *events_head, **events_tail = &events_head;
static unsigned int nevents, events_dropped;
static struct waitq event_wq = WAITQ_INIT(event_wq);
static struct xenolith_xs_watch *running_watch; /* whose callback runs now (under watch_lock) */
static struct xenolith_thread *watcher;         /* the watch thread */
static struct waitq callback_wq = WAITQ_INIT(callback_wq);

/* Events queued at most; past it, one for a path already queued is dropped too. */
#define WATCH_QUEUE_MAX 256

static struct xs_reader reader;

/*
 * Boot connects in the background while main already runs (xenstore_expect, then
 * xenstore_init on another thread); a request made meanwhile waits for the outcome.
 */
enum { XS_ABSENT, XS_STARTING, XS_READY };
static int xs_state = XS_ABSENT;
static struct waitq ready_wq = WAITQ_INIT(ready_wq);

static int wait_ready(void)
{
    if (__atomic_load_n(&xs_state, __ATOMIC_ACQUIRE) == XS_STARTING) /* only at boot */
        wait_event(&ready_wq, __atomic_load_n(&xs_state, __ATOMIC_ACQUIRE) != XS_STARTING);
    return xs_state == XS_READY ? 0 : -ENODEV;
}

static int restore_watches(void);

static void xs_event_handler(evtchn_port_t port, void *arg)
{
    waitq_wake_all(&ring_wq);
}

static int ring_has_data(void)
{
    return __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE) != intf->rsp_cons || xs_broken;
}

static int ring_has_space(void)
{
    return __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE) + XENSTORE_RING_SIZE !=
               intf->req_prod ||
           xs_broken;
}

/* ---- requests ---- */

static void pending_add(struct xs_request *r)
{
    uint64_t f = spin_lock_irqsave(&pending_lock);
    r->next = pending;
    pending = r;
    spin_unlock_irqrestore(&pending_lock, f);
}

static struct xs_request *pending_take(uint32_t req_id)
{
    uint64_t f = spin_lock_irqsave(&pending_lock);
    struct xs_request **pp = &pending, *r = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->req_id == req_id) {
            r = *pp;
            *pp = r->next;
            break;
        }
    }
    spin_unlock_irqrestore(&pending_lock, f);
    return r;
}

/* Complete everything in flight with an error rather than leave it to time out. */
static void fail_pending(int error)
{
    uint64_t f = spin_lock_irqsave(&pending_lock);
    struct xs_request *r = pending;
    pending = NULL;
    spin_unlock_irqrestore(&pending_lock, f);
    while (r) {
        struct xs_request *next = r->next; /* r lives on its waiter's stack */
        uint64_t wf = waitq_lock(&r->wq);
        r->error = error;
        __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
        waitq_unlock_wake(&r->wq, wf, 1);
        r = next;
    }
}

static void ring_broken(const char *why)
{
    if (!xs_broken)
        printk("xenstore: %s; the connection is unusable\n", why);
    xs_broken = 1;
    fail_pending(-EIO);
    waitq_wake_all(&ring_wq);
}

static int ring_write_all(const char *msg, size_t len, struct xs_request *r)
{
    size_t off = 0;
    mutex_lock(&write_mutex);
    while (off < len && !xs_broken) {
        int n = xs_ring_write(intf, msg + off, len - off);
        if (n < 0) {
            ring_broken("request ring indices are corrupt");
            break;
        }
        if (n > 0) {
            off += (size_t)n;
            evtchn_send(xs_port);
            continue;
        }
        if (wait_event_timeout(&ring_wq, ring_has_space(), XS_TIMEOUT_NS) < 0) {
            mutex_unlock(&write_mutex);
            return -ETIMEDOUT;
        }
    }
    r->sent = off == len;
    mutex_unlock(&write_mutex);
    return xs_broken ? -EIO : 0;
}

/*
 * Transactions open when the domain moved belong to the old xenstored: the new one
 * knows nothing of them (and may hand their numbers out again). Open ones are
 * remembered with the epoch they began in, until ended; a request in one from an
 * older epoch fails with -EAGAIN, as a conflict would, so xenolith_xs_transaction starts
 * over. A new transaction is never given the number of a stale one still open.
 */
#define TX_TRACKED 32
static struct {
    xenolith_xs_tx_t id;
    unsigned int epoch;
} open_tx[TX_TRACKED];
static unsigned int epoch;
static spinlock_t tx_lock = SPINLOCK_INIT;

static void tx_opened(xenolith_xs_tx_t id)
{
    uint64_t f = spin_lock_irqsave(&tx_lock);
    for (int i = 0; i < TX_TRACKED; i++)
        if (open_tx[i].id == XENOLITH_XS_NO_TX) {
            open_tx[i].id = id;
            open_tx[i].epoch = epoch;
            break;
        }
    spin_unlock_irqrestore(&tx_lock, f);
}

/* Is id a transaction of an older epoch? ending: it is over, forget it. */
static int tx_stale(xenolith_xs_tx_t id, int ending)
{
    int stale = 0;
    uint64_t f = spin_lock_irqsave(&tx_lock);
    for (int i = 0; i < TX_TRACKED; i++)
        if (open_tx[i].id == id && id != XENOLITH_XS_NO_TX) {
            stale = open_tx[i].epoch != epoch;
            if (ending)
                open_tx[i].id = XENOLITH_XS_NO_TX;
            break;
        }
    spin_unlock_irqrestore(&tx_lock, f);
    return stale;
}

/*
 * Send an encoded request (its req_id already in the header) and wait for the
 * reply. On success the caller owns reply->body (free it).
 */
static int xs_talk_unchecked(char *msg, int len, struct xs_request *r);

static int xs_talk(char *msg, int len, struct xs_request *r)
{
    if (len < 0)
        return len;
    const struct xsd_sockmsg *h = (const struct xsd_sockmsg *)msg;
    if (h->tx_id != XENOLITH_XS_NO_TX && tx_stale(h->tx_id, h->type == XS_TRANSACTION_END))
        return -EAGAIN;
    return xs_talk_unchecked(msg, len, r);
}

/*
 * A reply later than XS_SLOW_NS is worth one console line (xenstored stopped or
 * swamped, e.g. while it catches up after a restore); the first reply after that
 * says it is over. The request still waits up to XS_TIMEOUT_NS in all.
 */
#define XS_SLOW_NS (2ULL * 1000000000ULL)
static uint64_t xs_slow_since; /* when the slow spell began (a request's start), 0 if none */

static int wait_reply(struct xs_request *r)
{
    uint64_t t0 = xenolith_time_now_ns() | 1; /* never 0, which means "not slow" */
    int rc = wait_event_timeout(&r->wq, __atomic_load_n(&r->done, __ATOMIC_ACQUIRE), XS_SLOW_NS);
    if (rc < 0) {
        uint64_t expected = 0;
        if (__atomic_compare_exchange_n(&xs_slow_since, &expected, t0, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            printk(
                "xenstore: not answering yet (request %u waited %llu ms); waiting up to %llu s\n",
                r->req_id, (unsigned long long)(XS_SLOW_NS / 1000000),
                (unsigned long long)(XS_TIMEOUT_NS / 1000000000));
        rc = wait_event_timeout(&r->wq, __atomic_load_n(&r->done, __ATOMIC_ACQUIRE),
                                XS_TIMEOUT_NS - XS_SLOW_NS);
    }
    uint64_t since;
    if (rc == 0 && __atomic_load_n(&xs_slow_since, __ATOMIC_ACQUIRE) &&
        (since = __atomic_exchange_n(&xs_slow_since, 0, __ATOMIC_SEQ_CST)))
        printk("xenstore: answering again after %llu ms\n",
               (unsigned long long)((xenolith_time_now_ns() - since) / 1000000));
    return rc;
}

static int xs_talk_unchecked(char *msg, int len, struct xs_request *r)
{
    if (len < 0)
        return len;
    if (wait_ready() < 0)
        return -ENODEV;
    r->done = 0;
    r->sent = 0;
    r->error = 0;
    r->body = NULL;
    waitq_init(&r->wq);
    pending_add(r);

    int rc = ring_write_all(msg, (size_t)len, r);
    if (rc == 0)
        rc = wait_reply(r);
    if (rc < 0) {
        if (pending_take(r->req_id) == NULL) {
            /* The reply (or a failure) raced with our timeout: take it. */
            wait_event(&r->wq, __atomic_load_n(&r->done, __ATOMIC_ACQUIRE));
            free(r->body);
        }
        printk("xenstore: request %u: %s\n", r->req_id, rc == -ETIMEDOUT ? "no reply" : "failed");
        return rc;
    }
    if (r->error) {
        free(r->body);
        return r->error;
    }
    return 0;
}

static uint32_t new_req_id(void)
{
    return __atomic_add_fetch(&next_req_id, 1, __ATOMIC_RELAXED);
}

static struct xs_msg reply_of(const struct xs_request *r)
{
    struct xs_msg m = {r->hdr, r->body};
    return m;
}

/* Send a request whose only answer is "OK" (or an error). */
static int xs_talk_ack(char *msg, int len, struct xs_request *r, uint32_t type)
{
    int rc = xs_talk(msg, len, r);
    if (rc < 0)
        return rc;
    struct xs_msg m = reply_of(r);
    rc = xs_wire_decode_ack(&m, type);
    free(r->body);
    return rc;
}

/* One-path requests answered by "OK". */
static int xs_simple(uint32_t type, xenolith_xs_tx_t tx, const char *path)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    return xs_talk_ack(msg, xs_wire_encode_path(msg, sizeof(msg), type, r.req_id, tx, path), &r,
                       type);
}

int xenolith_xs_read(xenolith_xs_tx_t tx, const char *path, char *buf, size_t size)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int rc = xs_talk(msg, xs_wire_encode_path(msg, sizeof(msg), XS_READ, r.req_id, tx, path), &r);
    if (rc < 0)
        return rc;
    struct xs_msg m = reply_of(&r);
    rc = xs_wire_decode_read(&m, buf, size, NULL);
    free(r.body);
    return rc;
}

char *xenolith_xs_read_alloc(xenolith_xs_tx_t tx, const char *path)
{
    char *buf = malloc(XENSTORE_PAYLOAD_MAX + 1);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    int rc = xenolith_xs_read(tx, path, buf, XENSTORE_PAYLOAD_MAX + 1);
    if (rc < 0) {
        free(buf);
        errno = -rc;
        return NULL;
    }
    char *small = realloc(buf, (size_t)rc + 1);
    return small ? small : buf;
}

int xenolith_xs_read_int(xenolith_xs_tx_t tx, const char *path, long *value)
{
    char buf[32], *end;
    int rc = xenolith_xs_read(tx, path, buf, sizeof(buf));
    if (rc < 0)
        return rc;
    long v = strtol(buf, &end, 10);
    if (end == buf || *end != '\0')
        return -EINVAL;
    *value = v;
    return 0;
}

int xenolith_xs_write(xenolith_xs_tx_t tx, const char *path, const char *value)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int len = xs_wire_encode_write(msg, sizeof(msg), r.req_id, tx, path, value, strlen(value));
    return xs_talk_ack(msg, len, &r, XS_WRITE);
}

int xenolith_xs_mkdir(xenolith_xs_tx_t tx, const char *path)
{
    return xs_simple(XS_MKDIR, tx, path);
}

int xenolith_xs_rm(xenolith_xs_tx_t tx, const char *path)
{
    return xs_simple(XS_RM, tx, path);
}

int xenolith_xs_directory(xenolith_xs_tx_t tx, const char *path, char ***names)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int rc =
        xs_talk(msg, xs_wire_encode_path(msg, sizeof(msg), XS_DIRECTORY, r.req_id, tx, path), &r);
    if (rc < 0)
        return rc;
    struct xs_msg m = reply_of(&r);
    struct xs_dir_iter it;
    int n = xs_wire_decode_directory(&m, &it);
    if (n < 0) {
        free(r.body);
        return n;
    }
    /* One block: the pointer array, then the names. */
    size_t ptrs = ((size_t)n + 1) * sizeof(char *);
    char **out = malloc(ptrs + m.hdr.len + 1);
    if (!out) {
        free(r.body);
        return -ENOMEM;
    }
    char *p = (char *)out + ptrs;
    const char *name;
    int i = 0;
    while ((name = xs_dir_next(&it)) != NULL && i < n) {
        size_t l = strlen(name) + 1;
        memcpy(p, name, l);
        out[i++] = p;
        p += l;
    }
    out[i] = NULL;
    free(r.body);
    *names = out;
    return i;
}

int xenolith_xs_get_perms(xenolith_xs_tx_t tx, const char *path, struct xenolith_xs_perm *perms,
                          unsigned int max)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int rc =
        xs_talk(msg, xs_wire_encode_path(msg, sizeof(msg), XS_GET_PERMS, r.req_id, tx, path), &r);
    if (rc < 0)
        return rc;
    struct xs_msg m = reply_of(&r);
    rc = xs_wire_decode_perms(&m, perms, max);
    free(r.body);
    return rc;
}

int xenolith_xs_set_perms(xenolith_xs_tx_t tx, const char *path,
                          const struct xenolith_xs_perm *perms, unsigned int n)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int len = xs_wire_encode_set_perms(msg, sizeof(msg), r.req_id, tx, path, perms, n);
    return xs_talk_ack(msg, len, &r, XS_SET_PERMS);
}

int xenolith_xs_transaction_start(xenolith_xs_tx_t *tx)
{
    for (int tries = 0; tries <= TX_TRACKED; tries++) {
        char msg[XS_MSG_MAX];
        struct xs_request r = {.req_id = new_req_id()};
        int rc = xs_talk(msg, xs_wire_encode_transaction_start(msg, sizeof(msg), r.req_id), &r);
        if (rc < 0)
            return rc;
        struct xs_msg m = reply_of(&r);
        rc = xs_wire_decode_transaction_start(&m, tx);
        free(r.body);
        if (rc < 0)
            return rc;
        if (!tx_stale(*tx, 0)) {
            tx_opened(*tx);
            return 0;
        }
        /* The number of a stale transaction still open: abort this one, take another. */
        struct xs_request e = {.req_id = new_req_id()};
        int len = xs_wire_encode_transaction_end(msg, sizeof(msg), e.req_id, *tx, 0);
        if (xs_talk_unchecked(msg, len, &e) == 0)
            free(e.body);
    }
    return -EAGAIN;
}

int xenolith_xs_transaction_end(xenolith_xs_tx_t tx, int commit)
{
    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int len = xs_wire_encode_transaction_end(msg, sizeof(msg), r.req_id, tx, commit);
    return xs_talk_ack(msg, len, &r, XS_TRANSACTION_END);
}

int xenolith_xs_transaction(int (*fn)(xenolith_xs_tx_t tx, void *arg), void *arg)
{
    for (int attempt = 0; attempt < XS_TX_RETRIES; attempt++) {
        xenolith_xs_tx_t tx;
        int rc = xenolith_xs_transaction_start(&tx);
        if (rc < 0)
            return rc;
        rc = fn(tx, arg);
        if (rc < 0) {
            xenolith_xs_transaction_end(tx, 0);
            if (rc == -EAGAIN)
                continue;
            return rc;
        }
        rc = xenolith_xs_transaction_end(tx, 1);
        if (rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

/* ---- watches ---- */

int xenolith_xs_watch(struct xenolith_xs_watch *w, const char *path, xenolith_xs_watch_fn fn,
                      void *arg)
{
    w->path = strdup(path);
    if (!w->path)
        return -ENOMEM;
    w->fn = fn;
    w->arg = arg;
    ksnprintf(w->token, sizeof(w->token), "xw%u",
              __atomic_add_fetch(&next_watch_id, 1, __ATOMIC_RELAXED));

    uint64_t f = spin_lock_irqsave(&watch_lock);
    w->next = watches;
    watches = w;
    spin_unlock_irqrestore(&watch_lock, f);

    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int rc = xs_talk(
        msg, xs_wire_encode_watch(msg, sizeof(msg), XS_WATCH, r.req_id, path, w->token), &r);
    if (rc == 0) {
        struct xs_msg m = reply_of(&r);
        rc = xs_wire_decode_ack(&m, XS_WATCH);
        free(r.body);
    }
    if (rc < 0)
        xenolith_xs_unwatch(w);
    return rc;
}

int xenolith_xs_unwatch(struct xenolith_xs_watch *w)
{
    uint64_t f = spin_lock_irqsave(&watch_lock);
    struct xenolith_xs_watch **pp = &watches;
    int found = 0;
    for (; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            found = 1;
            break;
        }
    }
    /* Its queued events go (they would name a freed watch); a running callback of it
     * must end first, unless that callback is what calls us. */
    for (struct xs_event **pe = &events_head; found && *pe;) {
        struct xs_event *e = *pe;
        if (strcmp(e->token, w->token) != 0) {
            pe = &e->next;
            continue;
        }
        *pe = e->next;
        nevents--;
        free(e->path);
        free(e->token);
        free(e);
    }
    events_tail = &events_head;
    while (*events_tail)
        events_tail = &(*events_tail)->next;
    spin_unlock_irqrestore(&watch_lock, f);
    if (!found)
        return -ENOENT;
    if (thread_current() != watcher)
        wait_event(&callback_wq, __atomic_load_n(&running_watch, __ATOMIC_ACQUIRE) != w);

    char msg[XS_MSG_MAX];
    struct xs_request r = {.req_id = new_req_id()};
    int len = xs_wire_encode_watch(msg, sizeof(msg), XS_UNWATCH, r.req_id, w->path, w->token);
    int rc = xs_talk_ack(msg, len, &r, XS_UNWATCH);
    free(w->path);
    w->path = NULL;
    return rc;
}

static void queue_event(const char *path, const char *token)
{
    struct xs_event *e = malloc(sizeof(*e));
    char *p = strdup(path), *t = strdup(token);
    if (!e || !p || !t) {
        printk("xenstore: out of memory; watch event for %s lost\n", path);
        free(e);
        free(p);
        free(t);
        return;
    }
    e->path = p;
    e->token = t;
    e->next = NULL;
    /*
     * A node rewritten in a loop (a driver domain, say) must not fill our memory: an
     * event for a watch and path already waiting says all a second one would.
     * Past WATCH_QUEUE_MAX, new events are dropped (counted, reported).
     */
    int dup = 0;
    uint64_t f = spin_lock_irqsave(&watch_lock);
    for (struct xs_event *x = events_head; x && !dup; x = x->next)
        dup = strcmp(x->token, t) == 0 && strcmp(x->path, p) == 0;
    int full = !dup && nevents >= WATCH_QUEUE_MAX;
    if (!dup && !full) {
        *events_tail = e;
        events_tail = &e->next;
        nevents++;
    }
    unsigned int dropped = full ? ++events_dropped : 0;
    spin_unlock_irqrestore(&watch_lock, f);
    if (dup || full) {
        if (full && (dropped & (dropped - 1)) == 0)
            printk("xenstore: %u watch events dropped: %u already queued\n", dropped,
                   WATCH_QUEUE_MAX);
        free(e);
        free(p);
        free(t);
        return;
    }
    waitq_wake_all(&event_wq);
}

static struct xs_event *dequeue_event(void)
{
    uint64_t f = spin_lock_irqsave(&watch_lock);
    struct xs_event *e = events_head;
    if (e) {
        events_head = e->next;
        nevents--;
        if (!events_head)
            events_tail = &events_head;
    }
    spin_unlock_irqrestore(&watch_lock, f);
    return e;
}

static void *watch_thread(void *arg)
{
    watcher = thread_current();
    for (;;) {
        struct xs_event *e;
        wait_event(&event_wq, READ_ONCE(events_head) != NULL);
        while ((e = dequeue_event()) != NULL) {
            uint64_t f = spin_lock_irqsave(&watch_lock);
            struct xenolith_xs_watch *w = watches;
            while (w && strcmp(w->token, e->token) != 0)
                w = w->next;
            xenolith_xs_watch_fn fn = w ? w->fn : NULL;
            void *warg = w ? w->arg : NULL;
            running_watch = w; /* xenolith_xs_unwatch(w) elsewhere waits for the callback to end */
            spin_unlock_irqrestore(&watch_lock, f);
            if (fn)
                fn(w, e->path, warg);
            f = spin_lock_irqsave(&watch_lock);
            __atomic_store_n(&running_watch, NULL, __ATOMIC_RELEASE);
            spin_unlock_irqrestore(&watch_lock, f);
            waitq_wake_all(&callback_wq);
            free(e->path);
            free(e->token);
            free(e);
        }
    }
    return NULL;
}

/* ---- the reader ---- */

static void handle_message(const struct xs_msg *m)
{
    if (m->hdr.type == XS_WATCH_EVENT) {
        const char *path, *token;
        if (xs_wire_decode_watch_event(m, &path, &token) == 0)
            queue_event(path, token);
        else
            printk("xenstore: malformed watch event dropped\n");
        return;
    }
    struct xs_request *r = pending_take(m->hdr.req_id);
    if (!r) {
        printk("xenstore: reply for unknown request %u (type %u) dropped\n", m->hdr.req_id,
               m->hdr.type);
        return;
    }
    r->hdr = m->hdr;
    r->body = malloc(m->hdr.len + 1);
    if (r->body) {
        memcpy(r->body, m->body, m->hdr.len);
        r->body[m->hdr.len] = '\0';
        r->hdr.len = m->hdr.len;
    } else {
        r->error = -ENOMEM;
    }
    uint64_t wf = waitq_lock(&r->wq); /* r is on its waiter's stack: see waitq_lock */
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    waitq_unlock_wake(&r->wq, wf, 1);
}

static void *reader_thread(void *arg)
{
    for (;;) {
        wait_event(&ring_wq, ring_has_data());
        if (xs_broken)
            break;
        struct xs_msg m;
        int rc;
        mutex_lock(&read_mutex);
        uint32_t cons = intf->rsp_cons;
        while ((rc = xs_reader_pull(&reader, intf, &m)) == 1)
            handle_message(&m);
        if (intf->rsp_cons != cons)
            evtchn_send(xs_port); /* xenstored may be waiting for room */
        mutex_unlock(&read_mutex);
        if (rc < 0) {
            ring_broken("malformed data from xenstored");
            break;
        }
    }
    for (;;)
        wait_event(&ring_wq, 0);
    return NULL;
}

/* Wait (bounded) until xenstored has finished resetting the ring. */
static int wait_reconnected(void)
{
    for (int i = 0; i < 5000 && !xs_ring_reconnect_done(intf); i++)
        xenolith_thread_sleep_ns(1000000);
    return xs_ring_reconnect_done(intf) ? 0 : -ETIMEDOUT;
}

int xenstore_reconnect(void)
{
    if (!intf || xs_broken)
        return -ENODEV;
    mutex_lock(&write_mutex);
    mutex_lock(&read_mutex);
    int rc = xs_ring_reconnect_start(intf);
    if (rc == 0) {
        evtchn_send(xs_port);
        rc = wait_reconnected();
    }
    if (rc == 0) {
        /* The server dropped every request, watch and transaction: so do we. */
        xs_reader_init(&reader);
        fail_pending(-EAGAIN);
    }
    mutex_unlock(&read_mutex);
    mutex_unlock(&write_mutex);
    if (rc < 0) {
        printk("xenstore: reconnect failed (%d)\n", rc);
        return rc;
    }
    int restored = restore_watches();
    printk("xenstore: reconnected, %d watch(es) restored\n", restored);
    return 0;
}

/* Watches are ours to restore: snapshot the list, then re-register each. */
static int restore_watches(void)
{
    int n = 0, restored = 0;
    uint64_t f = spin_lock_irqsave(&watch_lock);
    for (struct xenolith_xs_watch *x = watches; x; x = x->next)
        n++;
    struct xenolith_xs_watch **list = malloc(sizeof(*list) * (size_t)(n ? n : 1));
    n = 0;
    for (struct xenolith_xs_watch *x = watches; x && list; x = x->next)
        list[n++] = x;
    spin_unlock_irqrestore(&watch_lock, f);
    for (int i = 0; list && i < n; i++) {
        char msg[XS_MSG_MAX];
        struct xs_request r = {.req_id = new_req_id()};
        int len = xs_wire_encode_watch(msg, sizeof(msg), XS_WATCH, r.req_id, list[i]->path,
                                       list[i]->token);
        if (xs_talk_ack(msg, len, &r, XS_WATCH) == 0)
            restored++;
        else
            printk("xenstore: watch on %s not restored\n", list[i]->path);
    }
    free(list);
    return restored;
}

/* Requests on the ring still owed a reply. */
static int replies_owed(void)
{
    int n = 0;
    uint64_t f = spin_lock_irqsave(&pending_lock);
    for (struct xs_request *r = pending; r; r = r->next)
        n += r->sent;
    spin_unlock_irqrestore(&pending_lock, f);
    return n;
}

/*
 * Before a suspend: nothing new goes on the ring, what is on it gets its reply,
 * and the reader is between messages. Requests waiting to be written stay
 * queued and go to whichever xenstored is there after the resume.
 */
int xenstore_suspend(void)
{
    if (!intf || xs_broken)
        return 0;
    mutex_lock(&write_mutex);
    for (int i = 0; i < 5000 && replies_owed(); i++)
        xenolith_thread_sleep_ns(1000000);
    if (replies_owed()) {
        mutex_unlock(&write_mutex);
        printk("xenstore: requests still unanswered; not suspending\n");
        return -EBUSY;
    }
    mutex_lock(&read_mutex);
    return 0;
}

/*
 * After the suspend. In a new domain the ring page is where it was, but its
 * event channel is new and the new xenstored knows none of our watches.
 */
void xenstore_resume(int new_domain)
{
    if (!intf || xs_broken)
        return;
    if (new_domain) {
        uint64_t port;
        if (xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port) < 0 ||
            port >= EVTCHN_FIFO_NR_CHANNELS ||
            evtchn_bind_existing((evtchn_port_t)port, xs_event_handler, NULL) < 0) {
            printk("xenstore: no usable event channel after resume\n");
            xs_broken = 1;
        }
        xs_port = (evtchn_port_t)port;
        if (intf->rsp_prod != intf->rsp_cons) {
            printk("xenstore: %u stale reply bytes after resume dropped\n",
                   intf->rsp_prod - intf->rsp_cons);
            intf->rsp_cons = intf->rsp_prod;
        }
        xs_reader_init(&reader);
        uint64_t f = spin_lock_irqsave(&tx_lock);
        epoch++; /* transactions open now belong to the old xenstored */
        spin_unlock_irqrestore(&tx_lock, f);
    }
    mutex_unlock(&read_mutex);
    mutex_unlock(&write_mutex);
    waitq_wake_all(&ring_wq);
    if (new_domain && !xs_broken) {
        evtchn_send(xs_port);
        printk("xenstore: %d watch(es) restored after resume\n", restore_watches());
    }
}

int xenolith_xs_domid(void)
{
    long id;
    int rc = xenolith_xs_read_int(XENOLITH_XS_NO_TX, "domid", &id);
    return rc < 0 ? rc : (int)id;
}

void xenstore_expect(void)
{
    __atomic_store_n(&xs_state, XS_STARTING, __ATOMIC_RELEASE);
}

static int connect_ring(void);

int xenstore_init(void)
{
    int rc = connect_ring();
    uint64_t f = waitq_lock(&ready_wq);
    __atomic_store_n(&xs_state, rc == 0 ? XS_READY : XS_ABSENT, __ATOMIC_RELEASE);
    waitq_unlock_wake(&ready_wq, f, 1);
    return rc;
}

static int connect_ring(void)
{
    uint64_t pfn, port;
    if (xen_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn) < 0 || pfn == 0 ||
        xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port) < 0) {
        printk("xenstore: not offered by the toolstack\n");
        return -ENODEV;
    }
    if (pfn >= (1ULL << 40) || port >= EVTCHN_FIFO_NR_CHANNELS) {
        printk("xenstore: implausible ring pfn %#lx / port %lu\n", (unsigned long)pfn,
               (unsigned long)port);
        return -EINVAL;
    }
    if (physmap_check_foreign(pfn, "xenstore") < 0)
        return -EINVAL;
    if (vm_map(pfn << PAGE_SHIFT, pfn << PAGE_SHIFT, 1, VM_RW) < 0)
        return -ENOMEM;
    intf = (struct xenstore_domain_interface *)(uintptr_t)(pfn << PAGE_SHIFT);
    if (!xs_ring_reconnect_done(intf))
        printk("xenstore: a ring reset is in progress; waiting for it\n");
    if (xs_ring_error(intf)) {
        printk("xenstore: ring reports error %u\n", xs_ring_error(intf));
        intf = NULL;
        return -EIO;
    }
    xs_port = (evtchn_port_t)port;
    xs_reader_init(&reader);

    struct xenolith_thread *t1 = xenolith_thread_create("xenstore", reader_thread, NULL, 0, 0);
    struct xenolith_thread *t2 = xenolith_thread_create("xenwatch", watch_thread, NULL, 0, 0);
    if (!t1 || !t2)
        return -ENOMEM;
    xenolith_thread_detach(t1);
    xenolith_thread_detach(t2);
    int rc = evtchn_bind_existing(xs_port, xs_event_handler, NULL);
    if (rc < 0)
        return rc;
    return wait_reconnected();
}
