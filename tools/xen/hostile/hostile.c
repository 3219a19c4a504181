/*
 * A hostile block backend for the nested suite: runs in dom0, sets up a vbd for a
 * guest that was created paused (the nodes the toolstack would write), and plays
 * blkback over a RAM disk with one scripted misbehaviour, so the guest's blkfront
 * can be seen to notice, say which rule was broken, and fail only that device.
 *
 *   hostile MODE DOMID
 *
 * Modes (the first two requests are always served correctly, so the fault comes
 * in the middle of working I/O):
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
 *
 * Network modes set up vif 0 instead and play netback (no traffic; the fault is the
 * first rx response):
 *   net-rx-offset an rx response whose offset + size run past the page
 *   net-extra-chain  an rx frame whose extra-info chain never ends (MORE set in
 *                 every slot posted)
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

#define PAGE              4096u
#define VDEV              51712 /* xvda */
#define DISK_BYTES        (4u << 20)
#define HONEST_REQS       2
#define MAX_INDIRECT_SEGS 32
#define LIFETIME_S        120
#define STORM_S           8

static struct xs_handle *xs;
static xenevtchn_handle *xce;
static xengnttab_handle *xgt;
static int domid;
static const char *mode;
static char fe[128], bk[128];
static blkif_back_ring_t ring;
static void *sring;
static evtchn_port_t lport;
static uint8_t *disk;
static uint64_t sectors = DISK_BYTES / 512;
static unsigned long served, pages_checked, leaks, faults_done;
static volatile int stop_storm;
static uint64_t last_id; /* the last request answered */
static uint8_t last_op;

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
    xs_put(bk, "feature-persistent", "1");
    xs_put(bk, "feature-max-indirect-segments", "%d", MAX_INDIRECT_SEGS);
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

/* ---- the ring ---- */

static void connect_ring(void)
{
    long ref = xs_get_long(fe, "ring-ref", -1), port = xs_get_long(fe, "event-channel", -1);
    if (ref < 0 || port < 0) {
        say("FAILED: frontend published no ring-ref/event-channel");
        exit(1);
    }
    sring = xengnttab_map_grant_ref(xgt, domid, (uint32_t)ref, PROT_READ | PROT_WRITE);
    if (!sring)
        die("map ring");
    BACK_RING_INIT(&ring, (blkif_sring_t *)sring, PAGE);
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, domid, (evtchn_port_t)port);
    if (p < 0)
        die("bind event channel");
    lport = (evtchn_port_t)p;
    say("ring-ref %ld, event channel %ld mapped", ref, port);
}

/* 16 bytes of the guest's poison anywhere in a page the guest granted us: a leak. */
static void check_page(const uint8_t *pg, const char *what, uint64_t id)
{
    pages_checked++;
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
    int prot = op == BLKIF_OP_READ ? PROT_READ | PROT_WRITE : PROT_READ;
    uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, s->gref, prot);
    if (!pg) {
        say("cannot map data gref %u", s->gref);
        return -1;
    }
    check_page(pg, "data", id);
    uint8_t *d = disk + sector * 512, *m = pg + s->first_sect * 512u;
    if (op == BLKIF_OP_READ)
        memcpy(m, d, n * 512);
    else
        memcpy(d, m, n * 512);
    xengnttab_unmap(xgt, pg, 1);
    return (int)n;
}

static int16_t do_rw(uint8_t op, uint64_t sector, const struct blkif_request_segment *seg,
                     unsigned int nseg, uint64_t id)
{
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
    unsigned int nseg = r->nr_segments, per = PAGE / sizeof(struct blkif_request_segment);
    unsigned int npages = (nseg + per - 1) / per;
    if (nseg == 0 || nseg > MAX_INDIRECT_SEGS || npages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
        return BLKIF_RSP_ERROR;
    struct blkif_request_segment segs[MAX_INDIRECT_SEGS];
    for (unsigned int p = 0; p < npages; p++) {
        uint8_t *pg = xengnttab_map_grant_ref(xgt, domid, r->indirect_grefs[p], PROT_READ);
        if (!pg)
            return BLKIF_RSP_ERROR;
        check_page(pg, "indirect", r->id);
        unsigned int k = nseg - p * per < per ? nseg - p * per : per;
        memcpy(&segs[p * per], pg, k * sizeof(segs[0]));
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

static void respond(uint64_t id, uint8_t op, int16_t status)
{
    blkif_response_t *rsp = RING_GET_RESPONSE(&ring, ring.rsp_prod_pvt);
    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    ring.rsp_prod_pvt++;
}

/* Answer one request, honestly or (once the honest ones are done) as the mode says. */
static void answer(const blkif_request_t *req)
{
    int16_t st = serve(req);
    served++;
    if (served <= HONEST_REQS || faults_done) {
        respond(req->id, req->operation, st);
        last_id = req->id;
        last_op = req->operation;
        return;
    }
    faults_done = 1;
    if (is("bad-id")) {
        say("answering request %#" PRIx64 " with id %#" PRIx64 " (never issued)", req->id,
            req->id + 0x100000000ULL);
        respond(req->id + 0x100000000ULL, req->operation, st);
    } else if (is("twice")) {
        /* One response per request, so rsp_prod stays plausible: the previous
         * request's answer is sent again in place of this one's. */
        say("answering request %#" PRIx64 " again instead of %#" PRIx64, last_id, req->id);
        respond(last_id, last_op, st);
    } else if (is("bad-status")) {
        say("answering request %#" PRIx64 " with status 42", req->id);
        respond(req->id, req->operation, 42);
    } else if (is("bad-op")) {
        say("answering request %#" PRIx64 " with operation 0x77", req->id);
        respond(req->id, 0x77, st);
    } else if (is("prod-ahead")) {
        respond(req->id, req->operation, st);
        say("moving rsp_prod 200 past the responses made");
        ring.rsp_prod_pvt += 200;
    } else {
        faults_done = 0; /* modes whose fault is not in a response */
        respond(req->id, req->operation, st);
    }
}

static void take_requests(void)
{
    int more, notify;
    do {
        RING_IDX rc = ring.req_cons, rp = ring.sring->req_prod;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (rp - rc > RING_SIZE(&ring)) {
            say("FAILED: frontend's req_prod %u is past the ring (cons %u)", rp, rc);
            exit(1);
        }
        while (rc != rp && !RING_REQUEST_CONS_OVERFLOW(&ring, rc)) {
            blkif_request_t req;
            RING_COPY_REQUEST(&ring, rc, &req);
            ring.req_cons = ++rc;
            answer(&req);
        }
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&ring, notify);
        if (notify || faults_done)
            xenevtchn_notify(xce, lport);
        RING_FINAL_CHECK_FOR_REQUESTS(&ring, more);
    } while (more);
}

/* ---- misbehaviour outside the ring ---- */

static void *storm(void *arg __attribute__((unused)))
{
    unsigned long sent = 0;
    double end = now() + STORM_S;
    say("event storm: sending events without work for %d s", STORM_S);
    while (!stop_storm && now() < end) {
        if (xenevtchn_notify(xce, lport) < 0)
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

/* ---- netback: vif 0, one bad rx answer ---- */

#define VIF_MAC "00:16:3e:00:02:01"

static void create_vif(void)
{
    make_device_dirs("vif", 0);
    xs_put(bk, "handle", "0");
    xs_put(bk, "mac", VIF_MAC);
    xs_put(bk, "feature-rx-copy", "1");
    xs_put(bk, "feature-sg", "1");
    xs_put(bk, "state", "%d", XenbusStateInitWait);
    xs_put(fe, "backend", "%s", bk);
    xs_put(fe, "backend-id", "0");
    xs_put(fe, "handle", "0");
    xs_put(fe, "mac", VIF_MAC);
    xs_put(fe, "state", "%d", XenbusStateInitialising);
    say("vif 0 for domain %d set up in xenstore; mode %s", domid, mode);
}

static void *map_ref(const char *node)
{
    long ref = xs_get_long(fe, node, -1);
    void *p =
        ref < 0 ? NULL : xengnttab_map_grant_ref(xgt, domid, (uint32_t)ref, PROT_READ | PROT_WRITE);
    if (!p) {
        say("FAILED: cannot map the frontend's %s (%ld)", node, ref);
        exit(1);
    }
    return p;
}

/* Write the bad rx answer into the slots of the buffers the frontend posted. */
static void bad_rx(netif_rx_back_ring_t *rx)
{
    RING_IDX posted = rx->sring->req_prod - rx->req_cons;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (is("net-rx-offset")) {
        netif_rx_request_t rq = *RING_GET_REQUEST(rx, rx->req_cons);
        netif_rx_response_t *r = RING_GET_RESPONSE(rx, rx->rsp_prod_pvt);
        r->id = rq.id;
        r->offset = 4000;
        r->flags = 0;
        r->status = 200;
        rx->req_cons++;
        rx->rsp_prod_pvt++;
        say("rx response: offset 4000, size 200 (%u buffers posted)", posted);
    } else {
        /* A first slot announcing extra info, then extra-info slots that each say more. */
        RING_IDX n = posted < 64 ? posted : 64;
        for (RING_IDX i = 0; i < n; i++) {
            netif_rx_request_t rq = *RING_GET_REQUEST(rx, rx->req_cons);
            netif_rx_response_t *r = RING_GET_RESPONSE(rx, rx->rsp_prod_pvt);
            if (i == 0) {
                r->id = rq.id;
                r->offset = 0;
                r->flags = NETRXF_extra_info;
                r->status = 60;
            } else {
                netif_extra_info_t *ex = (netif_extra_info_t *)r;
                memset(ex, 0, sizeof(*ex));
                ex->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
                ex->flags = XEN_NETIF_EXTRA_FLAG_MORE;
            }
            rx->req_cons++;
            rx->rsp_prod_pvt++;
        }
        say("rx frame with an extra-info chain of %u slots, MORE set in every one", n - 1);
    }
    RING_PUSH_RESPONSES(rx);
    xenevtchn_notify(xce, lport);
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
    netif_tx_sring_t *txs = map_ref("tx-ring-ref");
    netif_rx_sring_t *rxs = map_ref("rx-ring-ref");
    netif_rx_back_ring_t rx;
    BACK_RING_INIT(&rx, rxs, PAGE);
    long port = xs_get_long(fe, "event-channel", -1);
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(xce, domid, (evtchn_port_t)port);
    if (port < 0 || p < 0)
        die("bind the vif's event channel");
    lport = (evtchn_port_t)p;
    xs_put(bk, "state", "%d", XenbusStateConnected);
    say("connected");
    int done = 0;
    double end = now() + LIFETIME_S;
    while (now() < end && domain_alive()) {
        if (!done && rx.sring->req_prod != rx.req_cons) {
            bad_rx(&rx);
            done = 1;
        }
        long fs = xs_get_long(fe, "state", -1);
        if (fs == XenbusStateClosing || fs == XenbusStateClosed) {
            say("frontend is %s", fs == XenbusStateClosing ? "closing" : "closed");
            xs_put(bk, "state", "%d", XenbusStateClosed);
            break;
        }
        usleep(50000);
    }
    xengnttab_unmap(xgt, txs, 1);
    xengnttab_unmap(xgt, rxs, 1);
    xenevtchn_unbind(xce, lport);
    lport = 0;
    return 0;
}

/* ---- main ---- */

static void cleanup(void)
{
    if (lport)
        xenevtchn_unbind(xce, lport);
    if (sring)
        xengnttab_unmap(xgt, sring, 1);
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%d",
             strncmp(mode, "net-", 4) == 0 ? "vif" : "vbd", domid);
    xs_rm(xs, XBT_NULL, path);
    if (disk) {
        say("served %lu requests, checked %lu granted pages, %lu leaked guest data", served,
            pages_checked, leaks);
        if (!leaks)
            say("no leak in any granted page");
    }
    say("done");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hostile MODE DOMID\n");
        return 2;
    }
    mode = argv[1];
    domid = atoi(argv[2]);
    xs = xs_open(0);
    xce = xenevtchn_open(NULL, 0);
    xgt = xengnttab_open(NULL, 0);
    if (!xs || !xce || !xgt)
        die("open xenstore, evtchn or gnttab");
    if (strncmp(mode, "net-", 4) == 0) {
        net_main();
        cleanup();
        return 0;
    }
    disk = calloc(1, DISK_BYTES);
    if (!disk)
        die("disk");
    create_device();

    int s = wait_frontend(1u << XenbusStateInitialised | 1u << XenbusStateConnected |
                              1u << XenbusStateClosing | 1u << XenbusStateClosed,
                          LIFETIME_S);
    if (s != XenbusStateInitialised && s != XenbusStateConnected) {
        say("frontend did not initialise (state %d)", s);
        cleanup();
        return 0;
    }
    connect_ring();
    xs_put(bk, "state", "%d", XenbusStateConnected);
    say("connected");

    pthread_t stormer;
    int storming = is("storm") && pthread_create(&stormer, NULL, storm, NULL) == 0;
    int flipped = 0;
    double end = now() + LIFETIME_S, last_check = 0;
    struct pollfd pfd = {.fd = xenevtchn_fd(xce), .events = POLLIN};
    for (;;) {
        if (poll(&pfd, 1, 50) > 0) {
            xenevtchn_port_or_error_t p = xenevtchn_pending(xce);
            if (p >= 0)
                xenevtchn_unmask(xce, (evtchn_port_t)p);
        }
        take_requests();
        if (is("flip") && !flipped && served >= HONEST_REQS) {
            flip();
            flipped = 1;
        }
        if (now() - last_check > 0.25) {
            last_check = now();
            long fs = xs_get_long(fe, "state", -1);
            if (fs == XenbusStateClosing || fs == XenbusStateClosed) {
                say("frontend is %s", fs == XenbusStateClosing ? "closing" : "closed");
                xs_put(bk, "state", "%d", XenbusStateClosed);
                break;
            }
            if (!domain_alive() || now() > end)
                break;
        }
    }
    stop_storm = 1;
    if (storming)
        pthread_join(stormer, NULL);
    cleanup();
    return 0;
}
