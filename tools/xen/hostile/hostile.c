/*
 * A hostile backend for the nested suite: runs in dom0, sets up a vbd (or a vif) for
 * a guest that was created paused (the nodes the toolstack would write), and plays
 * blkback over a RAM disk (or netback) with one scripted misbehaviour, so the
 * guest's frontend can be seen to notice, say which rule was broken, and fail only
 * that device.
 *
 *   hostile MODE DOMID
 *
 * Block modes (the first two requests are always served correctly, so a fault in
 * the ring comes in the middle of working I/O):
 *   honest        serve everything; check that no granted page carries the guest's
 *                 poison bytes (0xa5 x 16: XSA-403, pages granted uncleared)
 *   bad-id        answer with an id that was never issued
 *   twice         answer one request twice (the next one's answer carries its id)
 *   bad-status    answer with status 42
 *   bad-op        answer with the wrong operation
 *   prod-ahead    move rsp_prod 200 past anything requested
 *   flip          switch the backend state Closing/Connected/Closing...
 *   storm         serve correctly, and send events without work in a loop
 *   sector-size-0, sector-size-3, sectors-2^64, bytes-2^64
 *                 an absurd disk geometry in xenstore
 *   queues-huge, queues-0, ring-order-huge, indirect-huge, indirect-0, indirect-1
 *                 absurd multi-queue-max-queues, max-ring-page-order or
 *                 feature-max-indirect-segments (4294967295, 0 or 1); served honestly
 *                 on as many queues and ring pages as the frontend picks (up to 16
 *                 and 4), and a frontend that takes more than offered is a FAILED
 *   keep-mapped   no persistent grants; keep the data pages of one read mapped after
 *                 answering it, write a marker into them from the next request on for
 *                 3 s, then let go. Every page mapped later is checked for the marker
 *                 (a page the frontend reused while we still map it)
 *   keep-persistent  persistent grants; keep the pages of one request mapped past the
 *                 device's end: once the guest says its disk is detached, write the
 *                 marker into them for 3 s, then let go
 *   revoked       once the guest says its disk is detached and its memory armed, try
 *                 to map every grant ref it ever gave us: each must fail (a mapped one
 *                 is written over with the marker, and is a FAILED)
 * The detach modes close the device (state Closing) when the guest writes
 * data/hostile-app = io-done; the guest says "detached" and "armed" there too, and
 * the backend answers in data/hostile-backend ("unmapped", "probed").
 *
 * Network modes set up vif 0 instead and play netback:
 *   net-rx-offset an rx response whose offset + size run past the page
 *   net-extra-chain  an rx frame whose extra-info chain never ends (MORE set in
 *                 every slot posted)
 *   net-keep-rx   keep the first posted rx buffer mapped, close the device after 1 s,
 *                 and write the marker into that page for 3 s after the frontend closed
 *   net-queues-huge  multi-queue-max-queues 4294967295: serve every queue the frontend
 *                 sets up (one frame into each rx ring, every tx request answered)
 *
 * Built on the host against Debian's libxen-dev (libxenstore, libxenevtchn,
 * libxengnttab; dom0 has the same libraries for xl). Logs to stdout, one line per
 * event, "hostile: ..."; ends when the frontend closes or the domain is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
/* ring.h wants the barriers from the including program. */
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#define PAGE        4096u
#define VDEV        51712 /* xvda */
#define DISK_BYTES  (4u << 20)
#define HONEST_REQS 2
#define LIFETIME_S  120
#define STORM_S     8
#define KEEP_S      3
#define MAX_QUEUES  16 /* what we serve, whatever we offer */
#define MAX_ORDER   4
#define MAX_SEGS    (BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * (PAGE / 8))
#define MAX_KEPT    64
#define MAX_REFS    65536
#define ABSURD      "4294967295"
#define MARKER      "XENOLITH-HOSTILE" /* 16 bytes, written over a page we should not touch */

static struct xs_handle *xs;
static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static int domid;
static const char *mode;
static char fe[128], bk[128], datadir[64];
static uint8_t *disk;
static uint64_t sectors = DISK_BYTES / 512;
static unsigned long served, pages_checked, leaks, faults_done, reuses, max_segs_seen;
static volatile int stop_storm;
static int persistent = 1;
static unsigned long indirect_offer = 32; /* segments we take, and say we take */

/* One blkif ring the frontend set up (one per queue). */
struct bq {
    blkif_back_ring_t ring;
    void *sring;
    unsigned int npages;
    evtchn_port_t lport;
    uint64_t last_id; /* the last request answered */
    uint8_t last_op;
};
static struct bq bqs[MAX_QUEUES];
static unsigned int nbq;

/* Pages we keep mapped on purpose (the keep modes), and the refs we were ever given. */
static struct {
    void *va;
    uint32_t gref;
} kept[MAX_KEPT];
static unsigned int nkept;
static int keeping; /* the request being served: keep its pages */
static unsigned long kept_req;
static pthread_t marker_thr;
static int marker_started;
static uint8_t seen_ref[MAX_REFS];

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("hostile: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static void die(const char *what)
{
    say("FAILED: %s (%s)", what, strerror(errno));
    exit(1);
}

static int is(const char *m)
{
    return strcmp(mode, m) == 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void note_ref(uint32_t ref)
{
    if (ref < MAX_REFS)
        seen_ref[ref] = 1;
}

/* ---- xenstore ---- */

static void xs_put(const char *dir, const char *node, const char *fmt, ...)
{
    char path[256], val[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, node);
    if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
        die(path);
}

static long xs_get_long(const char *dir, const char *node, long dflt)
{
    char path[256];
    unsigned int len;
    snprintf(path, sizeof(path), "%s/%s", dir, node);
    char *v = xs_read(xs, XBT_NULL, path, &len);
    long r = v ? strtol(v, NULL, 10) : dflt;
    free(v);
    return r;
}

/* Does the guest's data/hostile-app say `what`? */
static int app_says(const char *what)
{
    char path[96];
    unsigned int len;
    snprintf(path, sizeof(path), "%s/hostile-app", datadir);
    char *v = xs_read(xs, XBT_NULL, path, &len);
    int r = v && strcmp(v, what) == 0;
    free(v);
    return r;
}

/* Owner `owner`, readable by `reader` (as libxl sets device directories). */
static void xs_perms(const char *path, int owner, int reader)
{
    struct xs_permissions p[2] = {{.id = owner, .perms = XS_PERM_NONE},
                                  {.id = reader, .perms = XS_PERM_READ}};
    if (!xs_set_permissions(xs, XBT_NULL, path, p, 2))
        die(path);
}

static void xs_mkdir_perms(const char *path, int owner, int reader)
{
    if (!xs_mkdir(xs, XBT_NULL, path))
        die(path);
    xs_perms(path, owner, reader);
}

static int domain_alive(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%d", domid);
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    free(v);
    return v != NULL;
}

/* Wait (up to limit s) until the guest's data/hostile-app says `what`; 0 if it never did. */
static int wait_app(const char *what, double limit)
{
    double end = now() + limit;
    while (now() < end && domain_alive()) {
        if (app_says(what))
            return 1;
        usleep(20000);
    }
    say("the guest never said %s", what);
    return 0;
}

/*
 * The device's two directories (fe, bk) with libxl's permissions: the frontend's owned
 * by the guest and readable by dom0, the backend's the other way round.
 */
static void make_device_dirs(const char *type, int id)
{
    char dir[128];
    snprintf(fe, sizeof(fe), "/local/domain/%d/device/%s/%d", domid, type, id);
    snprintf(bk, sizeof(bk), "/local/domain/0/backend/%s/%d/%d", type, domid, id);
    snprintf(dir, sizeof(dir), "/local/domain/%d/device", domid);
    xs_mkdir_perms(dir, domid, 0);
    snprintf(dir, sizeof(dir), "/local/domain/%d/device/%s", domid, type);
    xs_mkdir_perms(dir, domid, 0);
    xs_mkdir_perms(bk, 0, domid);
    xs_mkdir_perms(fe, domid, 0);
    xs_put(bk, "frontend", "%s", fe);
    xs_put(bk, "frontend-id", "%d", domid);
    xs_put(bk, "online", "1");
}

/* The vbd nodes, backend first, as libxl writes them for a disk. */
static void create_device(void)
{
    make_device_dirs("vbd", VDEV);
    xs_put(bk, "removable", "0");
    xs_put(bk, "mode", "w");
    xs_put(bk, "device-type", "disk");
    xs_put(bk, "info", "0");
    xs_put(bk, "feature-flush-cache", "1");
    persistent = !is("keep-mapped");
    xs_put(bk, "feature-persistent", "%d", persistent);
    if (is("indirect-huge")) {
        xs_put(bk, "feature-max-indirect-segments", ABSURD);
        indirect_offer = MAX_SEGS;
    } else if (is("indirect-0") || is("indirect-1")) {
        indirect_offer = is("indirect-0") ? 0 : 1;
        xs_put(bk, "feature-max-indirect-segments", "%lu", indirect_offer);
    } else {
        xs_put(bk, "feature-max-indirect-segments", "%lu", indirect_offer);
    }
    if (is("queues-huge"))
        xs_put(bk, "multi-queue-max-queues", ABSURD);
    else if (is("queues-0"))
        xs_put(bk, "multi-queue-max-queues", "0");
    if (is("ring-order-huge"))
        xs_put(bk, "max-ring-page-order", ABSURD);
    if (is("sector-size-0"))
        xs_put(bk, "sector-size", "0");
    else if (is("sector-size-3"))
        xs_put(bk, "sector-size", "3");
    else
        xs_put(bk, "sector-size", "512");
    if (is("sectors-2^64"))
        xs_put(bk, "sectors", "18446744073709551616");
    else if (is("bytes-2^64"))
        xs_put(bk, "sectors", "%" PRIu64, (uint64_t)1 << 55); /* x 512 = 2^64 bytes */
    else
        xs_put(bk, "sectors", "%" PRIu64, sectors);
    xs_put(bk, "state", "%d", XenbusStateInitWait);

    xs_put(fe, "backend", "%s", bk);
    xs_put(fe, "backend-id", "0");
    xs_put(fe, "virtual-device", "%d", VDEV);
    xs_put(fe, "device-type", "disk");
    xs_put(fe, "state", "%d", XenbusStateInitialising);
    say("vbd %d for domain %d set up in xenstore; mode %s", VDEV, domid, mode);
}

/* Wait until the frontend's state is one of `mask`; its state, or -1 if the domain went. */
static int wait_frontend(unsigned int mask, double limit)
{
    double end = now() + limit;
    while (now() < end) {
        long s = xs_get_long(fe, "state", -1);
        if (s >= 0 && s < 32 && (mask & (1u << s)))
            return (int)s;
        if (!domain_alive())
            return -1;
        usleep(20000);
    }
    return -1;
}

static evtchn_port_t bind_port(const char *dir, const char *node)
{
    long port = xs_get_long(dir, node, -1);
    if (port < 0) {
        say("FAILED: frontend published no %s/%s", dir, node);
        exit(1);
    }
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, domid, (evtchn_port_t)port);
    if (p < 0)
        die("bind event channel");
    return (evtchn_port_t)p;
}

/* Let go of an event channel, or of pages mapped from the guest, if held. */
static void unbind(evtchn_port_t *port)
{
    if (*port)
        xenevtchn_unbind(xce, *port);
    *port = 0;
}

static void unmap(void **va, unsigned int npages)
{
    if (*va)
        xengnttab_unmap(xgt, *va, npages);
    *va = NULL;
}

/* The frontend's directory for queue i of n: the device's own when there is one queue. */
static void queue_dir(char *dir, size_t size, unsigned int n, unsigned int i)
{
    if (n > 1)
        snprintf(dir, size, "%s/queue-%u", fe, i);
    else
        snprintf(dir, size, "%s", fe);
}

/* ---- the marker: pages we keep mapped after the frontend is done with them ---- */

static void fill_marker(uint8_t *pg)
{
    for (unsigned int i = 0; i < PAGE; i += 16)
        memcpy(pg + i, MARKER, 16);
}

static int has_marker(const uint8_t *pg)
{
    for (unsigned int i = 0; i < PAGE; i += 16)
        if (memcmp(pg + i, MARKER, 16) == 0)
            return 1;
    return 0;
}

static void keep(void *va, uint32_t gref)
{
    kept[nkept].va = va;
    kept[nkept].gref = gref;
    nkept++;
}

/* Write the marker over every kept page for KEEP_S, then unmap them and say so. */
static void *marker_loop(void *arg __attribute__((unused)))
{
    unsigned long rounds = 0;
    double end = now() + KEEP_S;
    say("writing the marker into %u page(s) we still map, for %d s", nkept, KEEP_S);
    while (now() < end) {
        for (unsigned int i = 0; i < nkept; i++)
            fill_marker(kept[i].va);
        rounds++;
        usleep(1000);
    }
    for (unsigned int i = 0; i < nkept; i++)
        xengnttab_unmap(xgt, kept[i].va, 1);
    say("wrote the marker %lu times; unmapped the %u kept page(s)", rounds, nkept);
    xs_put(datadir, "hostile-backend", "unmapped");
    return NULL;
}

static void start_marker(void)
{
    if (marker_started || !nkept)
        return;
    if (pthread_create(&marker_thr, NULL, marker_loop, NULL) != 0)
        die("marker thread");
    marker_started = 1;
}

static void join_marker(void)
{
    if (marker_started)
        pthread_join(marker_thr, NULL);
    marker_started = 0;
}

/* ---- the block rings ---- */

static void connect_rings(void)
{
    long order = xs_get_long(fe, "ring-page-order", 0);
    long n = xs_get_long(fe, "multi-queue-num-queues", 1);
    long max_order = is("ring-order-huge") ? MAX_ORDER : 0;
    long max_q = is("queues-huge") ? MAX_QUEUES : 1;
    if (order < 0 || order > max_order || n < 1 || n > max_q) {
        say("FAILED: frontend took ring-page-order %ld and %ld queue(s); we can serve %ld and "
            "%ld",
            order, n, max_order, max_q);
        exit(1);
    }
    nbq = (unsigned int)n;
    for (unsigned int q = 0; q < nbq; q++) {
        char dir[160];
        struct bq *b = &bqs[q];
        queue_dir(dir, sizeof(dir), nbq, q);
        b->npages = 1u << order;
        uint32_t refs[1u << MAX_ORDER];
        for (unsigned int i = 0; i < b->npages; i++) {
            char node[24];
            if (order == 0)
                snprintf(node, sizeof(node), "ring-ref");
            else
                snprintf(node, sizeof(node), "ring-ref%u", i);
            long ref = xs_get_long(dir, node, -1);
            if (ref < 0) {
                say("FAILED: frontend published no %s/%s", dir, node);
                exit(1);
            }
            refs[i] = (uint32_t)ref;
            note_ref(refs[i]);
        }
        b->sring =
            xengnttab_map_domain_grant_refs(xgt, b->npages, domid, refs, PROT_READ | PROT_WRITE);
        if (!b->sring)
            die("map ring");
        BACK_RING_INIT(&b->ring, (blkif_sring_t *)b->sring, PAGE * b->npages);
        b->lport = bind_port(dir, "event-channel");
    }
    say("%u queue(s) of %u-page rings mapped", nbq, bqs[0].npages);
}

static void disconnect_rings(void)
{
    for (unsigned int q = 0; q < nbq; q++) {
        unbind(&bqs[q].lport);
        unmap(&bqs[q].sring, bqs[q].npages);
    }
}

/* 16 bytes of the guest's poison anywhere in a page the guest granted us: a leak. */
static void check_page(const uint8_t *pg, const char *what, uint64_t id, uint32_t gref)
{
    pages_checked++;
    if (has_marker(pg) && reuses++ < 5)
        say("FAILED: %s page of request %#" PRIx64 " (grant %u) carries our marker: the frontend "
            "reused a page we still map",
            what, id, gref);
    for (unsigned int i = 0; i + 16 <= PAGE; i += 16) {
        int run = 1;
        for (unsigned int j = 0; j < 16 && run; j++)
            run = pg[i + j] == 0xa5;
        if (run) {
            if (leaks++ < 5)
                say("LEAK: %s page of request %#" PRIx64 " holds guest poison at offset %u", what,
                    id, i);
            return;
        }
    }
}

/* Move data for one segment; -1 when the segment is out of range. */
static int do_segment(uint8_t op, uint64_t sector, const struct blkif_request_segment *s,
                      uint64_t id)
{
    if (s->first_sect > s->last_sect || s->last_sect >= PAGE / 512)
        return -1;
    uint64_t n = s->last_sect - s->first_sect + 1u;
    if (sector + n > sectors)
        return -1;
    int hold = keeping && nkept < MAX_KEPT;
    int prot = op == BLKIF_OP_READ || hold ? PROT_READ | PROT_WRITE : PROT_READ;
    note_ref(s->gref);
    uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, s->gref, prot);
    if (!pg) {
        say("cannot map data gref %u", s->gref);
        return -1;
    }
    check_page(pg, "data", id, s->gref);
    uint8_t *d = disk + sector * 512, *m = pg + s->first_sect * 512u;
    if (op == BLKIF_OP_READ)
        memcpy(m, d, n * 512);
    else
        memcpy(d, m, n * 512);
    if (hold)
        keep(pg, s->gref);
    else
        xengnttab_unmap(xgt, pg, 1);
    return (int)n;
}

static int16_t do_rw(uint8_t op, uint64_t sector, const struct blkif_request_segment *seg,
                     unsigned int nseg, uint64_t id)
{
    if (nseg > max_segs_seen)
        max_segs_seen = nseg;
    for (unsigned int i = 0; i < nseg; i++) {
        int n = do_segment(op, sector, &seg[i], id);
        if (n < 0)
            return BLKIF_RSP_ERROR;
        sector += (uint64_t)n;
    }
    return BLKIF_RSP_OKAY;
}

static int16_t do_indirect(const blkif_request_indirect_t *r)
{
    static struct blkif_request_segment segs[MAX_SEGS];
    unsigned int nseg = r->nr_segments, per = PAGE / sizeof(struct blkif_request_segment);
    unsigned int npages = (nseg + per - 1) / per;
    if (indirect_offer <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        say("FAILED: an indirect request of %u segments, though we offered %lu", nseg,
            indirect_offer);
        return BLKIF_RSP_ERROR;
    }
    if (nseg == 0 || nseg > indirect_offer || npages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) {
        say("FAILED: an indirect request of %u segments; we offered %lu", nseg, indirect_offer);
        return BLKIF_RSP_ERROR;
    }
    /* A persistent indirect page is writable; one granted per request is not. */
    int hold = keeping && persistent && nkept < MAX_KEPT;
    for (unsigned int p = 0; p < npages; p++) {
        note_ref(r->indirect_grefs[p]);
        uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, r->indirect_grefs[p],
                                              hold ? PROT_READ | PROT_WRITE : PROT_READ);
        if (!pg)
            return BLKIF_RSP_ERROR;
        check_page(pg, "indirect", r->id, r->indirect_grefs[p]);
        unsigned int k = nseg - p * per < per ? nseg - p * per : per;
        memcpy(&segs[p * per], pg, k * sizeof(segs[0]));
        if (hold)
            keep(pg, r->indirect_grefs[p]);
        else
            xengnttab_unmap(xgt, pg, 1);
    }
    return do_rw(r->indirect_op, r->sector_number, segs, nseg, r->id);
}

static int16_t serve(const blkif_request_t *req)
{
    switch (req->operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
            return BLKIF_RSP_ERROR;
        return do_rw(req->operation, req->sector_number, req->seg, req->nr_segments, req->id);
    case BLKIF_OP_INDIRECT:
        return do_indirect((const blkif_request_indirect_t *)req);
    case BLKIF_OP_FLUSH_DISKCACHE:
        return BLKIF_RSP_OKAY;
    }
    return BLKIF_RSP_EOPNOTSUPP;
}

static void respond(struct bq *b, uint64_t id, uint8_t op, int16_t status)
{
    blkif_response_t *rsp = RING_GET_RESPONSE(&b->ring, b->ring.rsp_prod_pvt);
    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    b->ring.rsp_prod_pvt++;
}

static int is_read(const blkif_request_t *req)
{
    return req->operation == BLKIF_OP_READ ||
           (req->operation == BLKIF_OP_INDIRECT &&
            ((const blkif_request_indirect_t *)req)->indirect_op == BLKIF_OP_READ);
}

/* The keep modes: is this the request whose pages we hold on to? */
static int to_keep(const blkif_request_t *req)
{
    if (nkept || served < HONEST_REQS)
        return 0;
    if (is("keep-mapped"))
        return is_read(req); /* its data pages are granted writable */
    return is("keep-persistent");
}

/* Answer one request, honestly or (once the honest ones are done) as the mode says. */
static void answer(struct bq *b, const blkif_request_t *req)
{
    if (nkept && served > kept_req && is("keep-mapped"))
        start_marker(); /* the frontend has seen the answer: it is done with those pages */
    keeping = to_keep(req);
    int16_t st = serve(req);
    if (keeping) {
        kept_req = served;
        say("keeping %u page(s) of request %#" PRIx64 " mapped after answering it", nkept, req->id);
        keeping = 0;
    }
    served++;
    if (served <= HONEST_REQS || faults_done) {
        respond(b, req->id, req->operation, st);
        b->last_id = req->id;
        b->last_op = req->operation;
        return;
    }
    faults_done = 1;
    if (is("bad-id")) {
        say("answering request %#" PRIx64 " with id %#" PRIx64 " (never issued)", req->id,
            req->id + 0x100000000ULL);
        respond(b, req->id + 0x100000000ULL, req->operation, st);
    } else if (is("twice")) {
        /* One response per request, so rsp_prod stays plausible: the previous
         * request's answer is sent again in place of this one's. */
        say("answering request %#" PRIx64 " again instead of %#" PRIx64, b->last_id, req->id);
        respond(b, b->last_id, b->last_op, st);
    } else if (is("bad-status")) {
        say("answering request %#" PRIx64 " with status 42", req->id);
        respond(b, req->id, req->operation, 42);
    } else if (is("bad-op")) {
        say("answering request %#" PRIx64 " with operation 0x77", req->id);
        respond(b, req->id, 0x77, st);
    } else if (is("prod-ahead")) {
        respond(b, req->id, req->operation, st);
        say("moving rsp_prod 200 past the responses made");
        b->ring.rsp_prod_pvt += 200;
    } else {
        faults_done = 0; /* modes whose fault is not in a response */
        respond(b, req->id, req->operation, st);
    }
}

static void take_requests(struct bq *b)
{
    int more, notify;
    do {
        RING_IDX rc = b->ring.req_cons, rp = b->ring.sring->req_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (rp - rc > RING_SIZE(&b->ring)) {
            say("FAILED: frontend's req_prod %u is past the ring (cons %u)", rp, rc);
            exit(1);
        }
        while (rc != rp && !RING_REQUEST_CONS_OVERFLOW(&b->ring, rc)) {
            blkif_request_t req;
            RING_COPY_REQUEST(&b->ring, rc, &req);
            b->ring.req_cons = ++rc;
            answer(b, &req);
        }
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b->ring, notify);
        if (notify || faults_done)
            xenevtchn_notify(xce, b->lport);
        RING_FINAL_CHECK_FOR_REQUESTS(&b->ring, more);
    } while (more);
}

/* ---- misbehaviour outside the ring ---- */

static void *storm(void *arg __attribute__((unused)))
{
    unsigned long sent = 0;
    double end = now() + STORM_S;
    say("event storm: sending events without work for %d s", STORM_S);
    while (!stop_storm && now() < end) {
        if (xenevtchn_notify(xce, bqs[0].lport) < 0)
            break;
        sent++;
    }
    say("event storm over: %lu events sent", sent);
    return NULL;
}

static void flip(void)
{
    say("flipping the backend state Closing/Connected");
    for (int i = 0; i < 3; i++) {
        xs_put(bk, "state", "%d", XenbusStateClosing);
        usleep(200000);
        xs_put(bk, "state", "%d", XenbusStateConnected);
        usleep(200000);
    }
    xs_put(bk, "state", "%d", XenbusStateClosing);
}

/*
 * After the device is gone: try to map (read-write, then read-only) every grant
 * ref the guest ever gave us. Each must fail; one that maps is written over with
 * the marker, so the guest's check of its memory sees it too.
 */
static void probe_revoked(void)
{
    unsigned long tried = 0, mapped = 0;
    for (uint32_t ref = 0; ref < MAX_REFS; ref++) {
        if (!seen_ref[ref])
            continue;
        tried++;
        uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, ref, PROT_READ | PROT_WRITE);
        if (pg) {
            if (mapped++ < 5)
                say("FAILED: grant %u is still mappable after the device was torn down", ref);
            fill_marker(pg);
            xengnttab_unmap(xgt, pg, 1);
            continue;
        }
        pg = xengnttab_map_grant_ref(xgt, domid, ref, PROT_READ);
        if (pg) {
            if (mapped++ < 5)
                say("FAILED: grant %u is still readable after the device was torn down", ref);
            xengnttab_unmap(xgt, pg, 1);
        }
    }
    if (mapped)
        say("tried %lu revoked grant refs: %lu could be mapped", tried, mapped);
    else
        say("tried %lu revoked grant refs: none could be mapped", tried);
    xs_put(datadir, "hostile-backend", "probed %lu", tried);
}

/* Once the frontend has closed: what the mode does after the device is gone. */
static void after_close(void)
{
    if (is("keep-mapped")) {
        join_marker();
    } else if (is("keep-persistent")) {
        if (wait_app("detached", 30)) {
            start_marker();
            join_marker();
        }
    } else if (is("revoked")) {
        if (wait_app("armed", 30))
            probe_revoked();
    }
}

static int blk_main(void)
{
    disk = calloc(1, DISK_BYTES);
    if (!disk)
        die("disk");
    create_device();

    int s = wait_frontend(1u << XenbusStateInitialised | 1u << XenbusStateConnected |
                              1u << XenbusStateClosing | 1u << XenbusStateClosed,
                          LIFETIME_S);
    if (s != XenbusStateInitialised && s != XenbusStateConnected) {
        say("frontend did not initialise (state %d)", s);
        return 0;
    }
    connect_rings();
    xs_put(bk, "state", "%d", XenbusStateConnected);
    say("connected");

    pthread_t stormer;
    int storming = is("storm") && pthread_create(&stormer, NULL, storm, NULL) == 0;
    int flipped = 0, closing = 0, closed = 0;
    double end = now() + LIFETIME_S, last_check = 0;
    struct pollfd pfd = {.fd = xenevtchn_fd(xce), .events = POLLIN};
    for (;;) {
        if (poll(&pfd, 1, 50) > 0) {
            xenevtchn_port_or_error_t p = xenevtchn_pending(xce);
            if (p >= 0)
                xenevtchn_unmask(xce, (evtchn_port_t)p);
        }
        for (unsigned int q = 0; q < nbq; q++)
            take_requests(&bqs[q]);
        if (is("flip") && !flipped && served >= HONEST_REQS) {
            flip();
            flipped = 1;
        }
        if (now() - last_check > 0.25) {
            last_check = now();
            long fs = xs_get_long(fe, "state", -1);
            if (fs == XenbusStateClosing || fs == XenbusStateClosed) {
                say("frontend is %s", fs == XenbusStateClosing ? "closing" : "closed");
                closed = 1;
                break;
            }
            if (!closing && app_says("io-done")) {
                say("the guest's I/O is done: closing the device");
                xs_put(bk, "state", "%d", XenbusStateClosing);
                closing = 1;
            }
            if (!domain_alive() || now() > end)
                break;
        }
    }
    stop_storm = 1;
    if (storming)
        pthread_join(stormer, NULL);
    /* As blkback: let go of the rings, then say Closed (the frontend tears down then). */
    disconnect_rings();
    if (closed)
        xs_put(bk, "state", "%d", XenbusStateClosed);
    after_close();
    join_marker();
    say("served %lu requests (at most %lu segments in one), checked %lu granted pages, %lu "
        "leaked guest data, %lu reused pages we still mapped",
        served, max_segs_seen, pages_checked, leaks, reuses);
    if (!leaks)
        say("no leak in any granted page");
    return 0;
}

/* ---- netback: vif 0 ---- */

#define VIF_MAC "00:16:3e:00:02:01"

/* One netif queue the frontend set up. */
struct nq {
    netif_tx_back_ring_t tx;
    netif_rx_back_ring_t rx;
    void *txs, *rxs;
    evtchn_port_t lport;
    int fed; /* a frame was put into its rx ring */
};
static struct nq nqs[MAX_QUEUES];
static unsigned int nnq;
static unsigned long tx_answered;

static void create_vif(void)
{
    make_device_dirs("vif", 0);
    xs_put(bk, "handle", "0");
    xs_put(bk, "mac", VIF_MAC);
    xs_put(bk, "feature-rx-copy", "1");
    xs_put(bk, "feature-sg", "1");
    if (is("net-queues-huge"))
        xs_put(bk, "multi-queue-max-queues", ABSURD);
    xs_put(bk, "state", "%d", XenbusStateInitWait);
    xs_put(fe, "backend", "%s", bk);
    xs_put(fe, "backend-id", "0");
    xs_put(fe, "handle", "0");
    xs_put(fe, "mac", VIF_MAC);
    xs_put(fe, "state", "%d", XenbusStateInitialising);
    say("vif 0 for domain %d set up in xenstore; mode %s", domid, mode);
}

static void *map_ref(const char *dir, const char *node)
{
    long ref = xs_get_long(dir, node, -1);
    void *p =
        ref < 0 ? NULL : xengnttab_map_grant_ref(xgt, domid, (uint32_t)ref, PROT_READ | PROT_WRITE);
    if (!p) {
        say("FAILED: cannot map the frontend's %s/%s (%ld)", dir, node, ref);
        exit(1);
    }
    return p;
}

static void connect_vif(void)
{
    long n = xs_get_long(fe, "multi-queue-num-queues", 1);
    long max_q = is("net-queues-huge") ? MAX_QUEUES : 1;
    if (n < 1 || n > max_q) {
        say("FAILED: frontend set up %ld queue(s); we can serve %ld", n, max_q);
        exit(1);
    }
    nnq = (unsigned int)n;
    for (unsigned int i = 0; i < nnq; i++) {
        char dir[160];
        queue_dir(dir, sizeof(dir), nnq, i);
        struct nq *q = &nqs[i];
        q->txs = map_ref(dir, "tx-ring-ref");
        q->rxs = map_ref(dir, "rx-ring-ref");
        BACK_RING_INIT(&q->tx, (netif_tx_sring_t *)q->txs, PAGE);
        BACK_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rxs, PAGE);
        q->lport = bind_port(dir, "event-channel");
    }
    say("%u queue(s) mapped", nnq);
}

static void disconnect_vif(void)
{
    for (unsigned int i = 0; i < nnq; i++) {
        unbind(&nqs[i].lport);
        unmap(&nqs[i].txs, 1);
        unmap(&nqs[i].rxs, 1);
    }
}

static RING_IDX rx_posted(struct nq *q)
{
    RING_IDX n = q->rx.sring->req_prod - q->rx.req_cons;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return n;
}

/* Answer the next posted rx buffer (response id = its id); the request it answered. */
static netif_rx_request_t rx_answer(struct nq *q, uint16_t offset, uint16_t flags, int16_t status)
{
    netif_rx_back_ring_t *rx = &q->rx;
    netif_rx_request_t rq = *RING_GET_REQUEST(rx, rx->req_cons);
    netif_rx_response_t *r = RING_GET_RESPONSE(rx, rx->rsp_prod_pvt);
    r->id = rq.id;
    r->offset = offset;
    r->flags = flags;
    r->status = status;
    rx->req_cons++;
    rx->rsp_prod_pvt++;
    return rq;
}

static void rx_push(struct nq *q)
{
    RING_PUSH_RESPONSES(&q->rx);
    xenevtchn_notify(xce, q->lport);
}

/* Write the bad rx answer into the slots of the buffers the frontend posted. */
static void bad_rx(struct nq *q)
{
    netif_rx_back_ring_t *rx = &q->rx;
    RING_IDX posted = rx_posted(q);
    if (is("net-rx-offset")) {
        rx_answer(q, 4000, 0, 200);
        say("rx response: offset 4000, size 200 (%u buffers posted)", posted);
    } else {
        /* A first slot announcing extra info, then extra-info slots that each say more. */
        RING_IDX n = posted < 64 ? posted : 64;
        rx_answer(q, 0, NETRXF_extra_info, 60);
        for (RING_IDX i = 1; i < n; i++) {
            netif_extra_info_t *ex = (netif_extra_info_t *)RING_GET_RESPONSE(rx, rx->rsp_prod_pvt);
            memset(ex, 0, sizeof(*ex));
            ex->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
            ex->flags = XEN_NETIF_EXTRA_FLAG_MORE;
            rx->req_cons++;
            rx->rsp_prod_pvt++;
        }
        say("rx frame with an extra-info chain of %u slots, MORE set in every one", n - 1);
    }
    rx_push(q);
}

/* A good 60-byte frame (to the guest's MAC, ethertype 0x88b5) into the first rx buffer. */
static void feed_rx(struct nq *q, unsigned int index)
{
    netif_rx_request_t rq = *RING_GET_REQUEST(&q->rx, q->rx.req_cons);
    uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, rq.gref, PROT_READ | PROT_WRITE);
    if (!pg) {
        say("FAILED: cannot map rx buffer gref %u of queue %u", rq.gref, index);
        exit(1);
    }
    static const uint8_t hdr[14] = {0x00, 0x16, 0x3e, 0x00, 0x02, 0x01, /* the vif's MAC */
                                    0x00, 0x16, 0x3e, 0x00, 0x02, 0xff, 0x88, 0xb5};
    memset(pg, 0, 60);
    memcpy(pg, hdr, sizeof(hdr));
    pg[14] = (uint8_t)index;
    xengnttab_unmap(xgt, pg, 1);
    rx_answer(q, 0, 0, 60);
    rx_push(q);
    q->fed = 1;
}

/* Answer every tx request: OKAY for a frame's slots, NULL for its extra-info slots. */
static void answer_tx(struct nq *q)
{
    netif_tx_back_ring_t *tx = &q->tx;
    RING_IDX rc = tx->req_cons, rp = tx->sring->req_prod;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (rp - rc > RING_SIZE(tx)) {
        say("FAILED: frontend's tx req_prod %u is past the ring (cons %u)", rp, rc);
        exit(1);
    }
    int extras = 0, notify, any = 0;
    while (rc != rp) {
        netif_tx_request_t req = *RING_GET_REQUEST(tx, rc);
        netif_extra_info_t ex;
        memcpy(&ex, RING_GET_REQUEST(tx, rc), sizeof(ex));
        tx->req_cons = ++rc;
        netif_tx_response_t *r = RING_GET_RESPONSE(tx, tx->rsp_prod_pvt);
        tx->rsp_prod_pvt++;
        any = 1;
        if (extras) {
            r->status = NETIF_RSP_NULL;
            extras = ex.flags & XEN_NETIF_EXTRA_FLAG_MORE;
            continue;
        }
        r->id = req.id;
        r->status = NETIF_RSP_OKAY;
        extras = req.flags & NETTXF_extra_info;
        if (!(req.flags & NETTXF_more_data))
            tx_answered++;
    }
    if (!any)
        return;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(tx, notify);
    if (notify)
        xenevtchn_notify(xce, q->lport);
}

static int net_main(void)
{
    create_vif();
    int s = wait_frontend(1u << XenbusStateConnected | 1u << XenbusStateClosing |
                              1u << XenbusStateClosed,
                          LIFETIME_S);
    if (s != XenbusStateConnected) {
        say("frontend did not connect (state %d)", s);
        return 0;
    }
    connect_vif();
    xs_put(bk, "state", "%d", XenbusStateConnected);
    say("connected");
    int done = 0, closed = 0;
    double end = now() + LIFETIME_S, close_at = 0;
    struct pollfd pfd = {.fd = xenevtchn_fd(xce), .events = POLLIN};
    while (now() < end && domain_alive()) {
        if (poll(&pfd, 1, 20) > 0) {
            xenevtchn_port_or_error_t p = xenevtchn_pending(xce);
            if (p >= 0)
                xenevtchn_unmask(xce, (evtchn_port_t)p);
        }
        struct nq *q0 = &nqs[0];
        if (!done && rx_posted(q0) && (is("net-rx-offset") || is("net-extra-chain"))) {
            bad_rx(q0);
            done = 1;
        }
        if (!done && rx_posted(q0) && is("net-keep-rx")) {
            netif_rx_request_t rq = *RING_GET_REQUEST(&q0->rx, q0->rx.req_cons);
            void *pg = xengnttab_map_grant_ref(xgt, domid, rq.gref, PROT_READ | PROT_WRITE);
            if (!pg)
                die("map the first rx buffer");
            keep(pg, rq.gref);
            say("keeping rx buffer %u (grant %u) mapped; closing the device in 1 s", rq.id,
                rq.gref);
            close_at = now() + 1;
            done = 1;
        }
        if (close_at && now() > close_at) {
            xs_put(bk, "state", "%d", XenbusStateClosing);
            close_at = 0;
        }
        for (unsigned int i = 0; i < nnq && is("net-queues-huge"); i++) {
            if (!nqs[i].fed && rx_posted(&nqs[i]))
                feed_rx(&nqs[i], i);
            answer_tx(&nqs[i]);
        }
        long fs = xs_get_long(fe, "state", -1);
        if (fs == XenbusStateClosing || fs == XenbusStateClosed) {
            say("frontend is %s", fs == XenbusStateClosing ? "closing" : "closed");
            closed = 1;
            break;
        }
    }
    if (is("net-queues-huge"))
        say("fed a frame to %u queue(s), answered %lu tx frame(s)", nnq, tx_answered);
    disconnect_vif();
    if (closed)
        xs_put(bk, "state", "%d", XenbusStateClosed);
    start_marker(); /* net-keep-rx: the frontend frees its pages once it has closed */
    join_marker();
    return 0;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hostile MODE DOMID\n");
        return 2;
    }
    mode = argv[1];
    domid = atoi(argv[2]);
    snprintf(datadir, sizeof(datadir), "/local/domain/%d/data", domid);
    xs = xs_open(0);
    xce = xenevtchn_open(NULL, 0);
    xgt = xengnttab_open(NULL, 0);
    if (!xs || !xce || !xgt)
        die("open xenstore, evtchn or gnttab");
    int net = strncmp(mode, "net-", 4) == 0;
    if (net)
        net_main();
    else
        blk_main();
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%d", net ? "vif" : "vbd", domid);
    xs_rm(xs, XBT_NULL, path);
    say("done");
    return 0;
}
