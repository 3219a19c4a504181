/*
 * blkfront: the domain's PV disks (io/blkif.h). Devices live under
 * device/vbd/<virtual-device>; the first call of the API finds them all and
 * connects each: read what the backend offers (ring size, queues), set up the
 * rings, publish them with our state in one transaction, wait for the backend
 * to connect, then read what the disk is (size, sector size, read-only) and
 * which optional features both sides will use. blkfront_queue.c runs the I/O.
 *
 * Hotplug: after the first probe a watch on device/vbd wakes one thread that
 * connects every new device (xl block-attach) and tears down every detached one
 * whose backend has closed (xl block-detach: in-flight I/O already failed with
 * EIO, then every grant is ended and every page freed). A detached struct
 * blk_dev stays valid and comes back to life when the same vdev is attached again.
 *
 * Everything the backend writes is checked before use, and a backend that
 * breaks the protocol gets the device disconnected with a message saying how,
 * never a guess or a crash.
 */
#include "core/callbacks.h"
#include "core/kernel.h"
#include "core/options.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "core/time.h"
#include "drivers/block/blkfront.h"
#include "drivers/xen/frontend_layout.h"
#include "drivers/xen/gnttab.h"
#include "drivers/xen/suspend.h"
#include "drivers/xen/xenbus_frontend.h"
#include "drivers/xen/xenbus_hotplug.h"
#include <xen/io/protocols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Command-line knobs (xenolith.blk.NAME=VALUE), mostly to test each feature's absence. */
static int opt_queues;          /* 0: one per online VCPU */
static int opt_ring_order = -1; /* -1: the backend's maximum (up to 4) */
static int opt_indirect = 256;  /* most segments per indirect request; 0: none */
static int opt_persistent = 1;
static int opt_flush = 1;
static int opt_discard = 1;
static int opt_timeout_ms = 30000;
static int opt_pool_kib = 4096;
static int opt_connect_timeout_ms = 30000;
int blk_opt_ignore_readonly;
KERNEL_OPTION(opt_queues, "blk.queues", OPT_INT, "block queues per disk (0: one per VCPU)");
KERNEL_OPTION(opt_ring_order, "blk.ring_order", OPT_INT,
              "log2 of ring pages per queue (-1: the backend's maximum, up to 4)");
KERNEL_OPTION(opt_indirect, "blk.indirect", OPT_INT,
              "most segments per indirect block request (0: no indirect descriptors)");
KERNEL_OPTION(opt_persistent, "blk.persistent", OPT_BOOL, "use persistent grants if offered");
KERNEL_OPTION(opt_flush, "blk.flush", OPT_BOOL, "use feature-flush-cache if offered");
KERNEL_OPTION(opt_discard, "blk.discard", OPT_BOOL, "use feature-discard if offered");
KERNEL_OPTION(opt_timeout_ms, "blk.timeout_ms", OPT_INT,
              "disconnect a disk whose backend sits on a request this long");
KERNEL_OPTION(opt_connect_timeout_ms, "blk.connect_timeout_ms", OPT_INT,
              "give up on a backend that does not take each handshake step this long");
KERNEL_OPTION(opt_pool_kib, "blk.pool_kib", OPT_INT,
              "most memory per block queue for data pages, in KiB (taken as needed)");
KERNEL_OPTION(blk_opt_ignore_readonly, "blk.test_ignore_readonly", OPT_BOOL,
              "tests only: send writes to read-only disks (the backend must refuse them)");

static struct mutex probe_lock = MUTEX_INIT(probe_lock);
static int probed;
#define BLKFRONT_MAX_DEVS 64 /* a fixed array: readers index it without a lock */

static struct xenolith_blk_dev *devs[BLKFRONT_MAX_DEVS];
static int ndevs;

static struct xenbus_hotplug hotplug;

static struct callback_list hotplug_handlers; /* xenolith_blk_hotplug_fn */

static void hotplug_kick(void)
{
    xenbus_hotplug_kick(&hotplug);
}

/* ---- names ---- */

/* 0 -> "a", 25 -> "z", 26 -> "aa" (as Linux names disks). */
static void disk_letters(char *out, size_t size, unsigned int n)
{
    char tmp[8];
    int len = 0;
    n++;
    while (n && len < (int)sizeof(tmp)) {
        n--;
        tmp[len++] = (char)('a' + n % 26);
        n /= 26;
    }
    size_t i = 0;
    while (len > 0 && i + 1 < size)
        out[i++] = tmp[--len];
    out[i] = 0;
}

/* The name a virtual-device number stands for (docs/misc/vbd-interface.pandoc). */
static void vdev_name(uint32_t vdev, char *out, size_t size)
{
    const char *prefix;
    unsigned int disk, part;
    if (vdev & (1u << 28)) {
        prefix = "xvd";
        disk = (vdev >> 8) & 0xfffff;
        part = vdev & 0xff;
    } else if ((vdev >> 8) == 202) {
        prefix = "xvd";
        disk = (vdev >> 4) & 0xf;
        part = vdev & 0xf;
    } else if ((vdev >> 8) == 8) {
        prefix = "sd";
        disk = (vdev >> 4) & 0xf;
        part = vdev & 0xf;
    } else if ((vdev >> 8) == 3 || (vdev >> 8) == 22) {
        prefix = "hd";
        disk = ((vdev >> 8) == 22 ? 2 : 0) + ((vdev >> 6) & 1);
        part = vdev & 0x3f;
    } else {
        ksnprintf(out, size, "vbd%u", vdev);
        return;
    }
    char letters[8];
    disk_letters(letters, sizeof(letters), disk);
    if (part)
        ksnprintf(out, size, "%s%s%u", prefix, letters, part);
    else
        ksnprintf(out, size, "%s%s", prefix, letters);
}

/* ---- faults ---- */

void blkfront_break(struct xenolith_blk_dev *d, int err, const char *fmt, ...)
{
    char why[192];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    int expected = 0;
    if (!__atomic_compare_exchange_n(&d->broken, &expected, 1, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return; /* already disconnected: the first reason is the one that counts */
    d->break_err = err;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    printk("blk %s: %s; disconnecting the device, its requests fail with %s\n", d->info.name, why,
           err == -ETIMEDOUT ? "ETIMEDOUT" : "EIO");
    for (unsigned int i = 0; i < d->nqueues; i++) {
        struct blk_queue *q = &d->queues[i];
        __atomic_add_fetch(&q->kicks, 1, __ATOMIC_SEQ_CST);
        waitq_wake_all(&q->wq);
    }
    xenbus_switch_state(&d->xb, XenbusStateClosing);
}

/*
 * The backend's state changed (xenstore watch thread). Closing means the device
 * is being taken away (xl block-detach, or the backend gave up): fail what is
 * left and close our side, which lets the toolstack finish the removal.
 */
static void backend_state_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    struct xenolith_blk_dev *d = arg;
    if (__atomic_load_n(&d->moving, __ATOMIC_ACQUIRE))
        return; /* the old backend's path, gone with the old domain: the reconnect decides */
    int s = xenbus_otherend_state(&d->xb);
    if (s >= 0 && s != XenbusStateClosing && s != XenbusStateClosed && s != XenbusStateUnknown)
        return;
    blkfront_break(d, -EIO, "backend went to state %s", s < 0 ? "(gone)" : xenbus_state_name(s));
    xenbus_switch_state(&d->xb, XenbusStateClosed);
    if (s != XenbusStateClosing)
        hotplug_kick(); /* closed or gone: the hotplug thread releases the device */
}

/* ---- the handshake (drivers/xen/xenbus_frontend.c runs it) ---- */

struct handshake {
    struct xenolith_blk_dev *d;
    unsigned int order;
    unsigned int made;            /* queues set up so far (first connect) */
    int started;                  /* their threads run: a failure breaks the device, no cleanup */
    struct xenolith_blk_info was; /* a reconnect: what the rings were made for */
    unsigned int moved;           /* a reconnect: requests moved off queues taken away */
    unsigned int replayed;        /* a reconnect: ring requests issued again */
};

static int write_ring(xenolith_xs_tx_t tx, struct xenolith_blk_dev *d, const char *dir,
                      struct blk_queue *q, int single_page_node)
{
    char name[48];
    int rc;
    if (single_page_node) {
        ksnprintf(name, sizeof(name), "%sring-ref", dir);
        rc = xenbus_printf(tx, &d->xb, name, "%u", q->ring_ref[0]);
        if (rc < 0)
            return rc;
    } else {
        for (unsigned int i = 0; i < q->ring_pages; i++) {
            ksnprintf(name, sizeof(name), "%sring-ref%u", dir, i);
            rc = xenbus_printf(tx, &d->xb, name, "%u", q->ring_ref[i]);
            if (rc < 0)
                return rc;
        }
    }
    ksnprintf(name, sizeof(name), "%sevent-channel", dir);
    return xenbus_printf(tx, &d->xb, name, "%u", q->port);
}

/* Our half of the connection (the state goes with it). */
static int write_keys(xenolith_xs_tx_t tx, void *arg)
{
    struct handshake *p = arg;
    struct xenolith_blk_dev *d = p->d;
    /* A one-page ring is published as "ring-ref", as every backend understands. */
    int rc = 0, single = p->order == 0;
    if (!single)
        rc = xenbus_printf(tx, &d->xb, "ring-page-order", "%u", p->order);
    if (rc == 0 && d->nqueues > 1)
        rc = xenbus_printf(tx, &d->xb, "multi-queue-num-queues", "%u", d->nqueues);
    for (unsigned int i = 0; rc == 0 && i < d->nqueues; i++) {
        char dir[24] = "";
        if (d->nqueues > 1)
            ksnprintf(dir, sizeof(dir), "queue-%u/", i);
        rc = write_ring(tx, d, dir, &d->queues[i], single);
    }
    if (rc == 0)
        rc = xenbus_printf(tx, &d->xb, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
    if (rc == 0)
        rc = xenbus_printf(tx, &d->xb, "feature-persistent", "%u", opt_persistent ? 1 : 0);
    return rc;
}

static unsigned int floor_log2(unsigned long v)
{
    unsigned int o = 0;
    while (v > 1) {
        v >>= 1;
        o++;
    }
    return o;
}

/* What the backend says the disk is, checked. 0 or -errno. */
static int read_disk(struct xenolith_blk_dev *d)
{
    struct xenolith_blk_info *in = &d->info;
    const unsigned long absent = ~0UL;
    unsigned long sectors = xenbus_otherend_ulong(&d->xb, "sectors", absent);
    unsigned long ssize = xenbus_otherend_ulong(&d->xb, "sector-size", absent);
    unsigned long pssize = xenbus_otherend_ulong(&d->xb, "physical-sector-size", absent);
    unsigned long info = xenbus_otherend_ulong(&d->xb, "info", 0);

    if (sectors == absent || sectors == 0) {
        printk("blk %s: backend gives no size (\"sectors\")\n", in->name);
        return -EINVAL;
    }
    if (ssize == absent || ssize < 512 || ssize > 4096 || (ssize & (ssize - 1))) {
        printk("blk %s: unusable sector-size %ld\n", in->name, (long)ssize);
        return -EINVAL;
    }
    if (sectors > UINT64_MAX / ssize) {
        printk("blk %s: %lu sectors of %lu bytes do not fit 64 bits\n", in->name, sectors, ssize);
        return -EINVAL;
    }
    if (pssize == absent || pssize < ssize || pssize % ssize)
        pssize = ssize;
    in->sectors = sectors;
    in->sector_size = (uint32_t)ssize;
    in->physical_sector_size = (uint32_t)pssize;

    char path[sizeof(d->xb.otherend) + 8], mode[8] = "";
    ksnprintf(path, sizeof(path), "%s/mode", d->xb.otherend);
    xenolith_xs_read(XENOLITH_XS_NO_TX, path, mode, sizeof(mode));
    in->read_only = (info & VDISK_READONLY) || !strchr(mode, 'w');
    return 0;
}

static void read_features(struct xenolith_blk_dev *d)
{
    struct xenolith_blk_info *in = &d->info;
    unsigned long flush = xenbus_otherend_ulong(&d->xb, "feature-flush-cache", 0);
    unsigned long barrier = xenbus_otherend_ulong(&d->xb, "feature-barrier", 0);
    unsigned long discard = xenbus_otherend_ulong(&d->xb, "feature-discard", 0);
    unsigned long persistent = xenbus_otherend_ulong(&d->xb, "feature-persistent", 0);
    unsigned long indirect = xenbus_otherend_ulong(&d->xb, "feature-max-indirect-segments", 0);

    in->features = 0;
    d->flush_op = 0;
    if (flush && opt_flush) {
        d->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
        in->features |= XENOLITH_BLK_F_FLUSH;
    } else if (barrier) {
        d->flush_op = BLKIF_OP_WRITE_BARRIER;
        in->features |= XENOLITH_BLK_F_BARRIER;
    }
    if (discard && opt_discard) {
        in->features |= XENOLITH_BLK_F_DISCARD;
        if (xenbus_otherend_ulong(&d->xb, "discard-secure", 0))
            in->features |= XENOLITH_BLK_F_SECURE_DISCARD;
        unsigned long g = xenbus_otherend_ulong(&d->xb, "discard-granularity", in->sector_size);
        unsigned long a = xenbus_otherend_ulong(&d->xb, "discard-alignment", 0);
        in->discard_granularity = g && g <= UINT32_MAX ? (uint32_t)g : in->sector_size;
        in->discard_alignment = a < in->discard_granularity ? (uint32_t)a : 0;
    }
    d->persistent = persistent && opt_persistent;
    if (d->persistent)
        in->features |= XENOLITH_BLK_F_PERSISTENT;
    if (indirect > 0 && indirect <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
        printk("blk %s: backend's feature-max-indirect-segments %lu is no more than a direct "
               "request carries (%u); indirect requests not used\n",
               in->name, indirect, BLKIF_MAX_SEGMENTS_PER_REQUEST);
    if (indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        char who[24];
        ksnprintf(who, sizeof(who), "blk %s", in->name);
        indirect = xenbus_fit_report(who, "feature-max-indirect-segments", indirect, 0,
                                     BLKIF_MAX_INDIRECT_SEGS);
    }
    d->max_segs =
        blkif_segments_to_use(indirect, opt_indirect > 0 ? (unsigned long)opt_indirect : 0);
    if (d->max_segs > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        in->features |= XENOLITH_BLK_F_INDIRECT;
    in->max_segments = d->max_segs;
}

static void release_queues(struct xenolith_blk_dev *d, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        blkq_release(&d->queues[i]);
    free(d->queues);
    d->queues = NULL;
    d->queues_cap = 0;
    d->nqueues = 0;
}

/* One queue per online VCPU unless told otherwise, as many as we support at most. */
static unsigned int want_queues(void)
{
    unsigned int want = opt_queues > 0 ? (unsigned int)opt_queues : (unsigned int)smp_num_online();
    return MIN(MAX(want, 1u), (unsigned int)BLKFRONT_MAX_QUEUES);
}

static unsigned long backend_max_order(struct xenolith_blk_dev *d)
{
    unsigned long max_order = xenbus_otherend_ulong(&d->xb, "max-ring-page-order", ~0UL);
    return max_order != ~0UL ? max_order
                             : floor_log2(xenbus_otherend_ulong(&d->xb, "max-ring-pages", 1));
}

/* The queues and ring order to use with this backend, each clamped to what we can use (and
 * said so). `room`: queue structs there are room for (0: allocate as many as we may want). */
static void choose_layout(struct handshake *h, unsigned int room, unsigned int *nqueues)
{
    struct xenolith_blk_dev *d = h->d;
    char who[24];
    ksnprintf(who, sizeof(who), "blk %s", d->info.name);
    unsigned long offer = (unsigned int)xenbus_fit_report(
        who, "max-ring-page-order", backend_max_order(d), 0, BLKFRONT_MAX_RING_ORDER);
    h->order = frontend_layout_order(offer, BLKFRONT_MAX_RING_ORDER, opt_ring_order);
    unsigned long max_queues =
        xenbus_otherend_count(&d->xb, who, "multi-queue-max-queues", 1, 1, BLKFRONT_MAX_QUEUES);
    *nqueues = frontend_layout_queues(want_queues(), max_queues, room ? room : BLKFRONT_MAX_QUEUES);
}

/* First connect: ring pages and queues. */
static int prepare_rings(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_blk_dev *d = h->d;
    choose_layout(h, 0, &d->nqueues);
    /* Room for as many queues as we would like, should a later backend offer more. */
    unsigned int room = MAX(d->nqueues, want_queues());
    if (room > d->queues_cap) { /* a re-attached device keeps its array if it fits */
        free(d->queues);
        d->queues = calloc(room, sizeof(*d->queues));
        d->queues_cap = d->queues ? room : 0;
    }
    if (!d->queues)
        return -ENOMEM;
    for (; h->made < d->nqueues; h->made++) {
        int rc = blkq_init(&d->queues[h->made], d, h->made, h->order);
        if (rc < 0) {
            h->made++;
            return rc;
        }
    }
    return 0;
}

static unsigned int pool_pages(void)
{
    return (unsigned int)(opt_pool_kib > 0 ? opt_pool_kib : 4096) / 4;
}

/* First connect: the disk, its features, then the queues' threads. */
static int start_queues(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_blk_dev *d = h->d;
    int rc = read_disk(d);
    if (rc < 0)
        return rc;
    read_features(d);
    d->info.queues = d->nqueues;
    d->info.ring_pages = 1u << h->order;
    d->info.ring_slots = RING_SIZE(&d->queues[0].ring);

    unsigned int pool = pool_pages();
    __atomic_store_n(&d->gone, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&d->broken, 0, __ATOMIC_RELEASE); /* a re-attach: live again */
    h->started = 1;
    for (unsigned int i = 0; i < d->nqueues; i++) {
        rc = blkq_start(&d->queues[i], pool);
        if (rc < 0) {
            /* Threads already started keep running over a broken device: harmless. */
            blkfront_break(d, -EIO, "cannot start queue %u (%d)", i, rc);
            return rc;
        }
    }
    return 0;
}

static void watch_backend(struct xenolith_blk_dev *d)
{
    char path[sizeof(d->xb.otherend) + 8];
    ksnprintf(path, sizeof(path), "%s/state", d->xb.otherend);
    if (xenolith_xs_watch(&d->state_watch, path, backend_state_changed, d) < 0)
        printk("blk %s: cannot watch the backend's state; removal will not be noticed\n",
               d->info.name);
}

static int handshake(struct xenolith_blk_dev *d, struct handshake *h, int (*prepare)(void *),
                     int (*finish)(void *))
{
    char who[24];
    ksnprintf(who, sizeof(who), "blk %s", d->info.name);
    const struct xenbus_frontend f = {
        .who = who,
        .publish_state = XenbusStateInitialised,
        .prepare = prepare,
        .write_keys = write_keys,
        .finish = finish,
        .drv = h,
        .timeout_ns = frontend_timeout_ns(opt_connect_timeout_ms, 30000),
    };
    return xenbus_frontend_connect(&d->xb, &f);
}

static int connect(struct xenolith_blk_dev *d, const char *id)
{
    char *end;
    unsigned long vdev = strtoul(id, &end, 10);
    if (*end || vdev > UINT32_MAX)
        return -EINVAL;
    memset(&d->info, 0, sizeof(d->info));
    d->persistent = 0;
    d->break_err = 0;
    d->info.vdev = (uint32_t)vdev;
    d->handle = (blkif_vdev_t)vdev;
    vdev_name(d->info.vdev, d->info.name, sizeof(d->info.name));
    d->timeout_ns = frontend_timeout_ns(opt_timeout_ms, 30000);

    int rc = xenbus_device_init(&d->xb, "vbd", id);
    if (rc < 0)
        return rc;
    struct handshake h = {.d = d};
    rc = handshake(d, &h, prepare_rings, start_queues);
    if (rc < 0 && h.started)
        return rc; /* broken, with its threads: taken down like any broken device */
    if (rc < 0) {
        xenbus_switch_state(&d->xb, XenbusStateClosing);
        release_queues(d, h.made);
        xenbus_device_release(&d->xb);
        return rc;
    }
    watch_backend(d);
    return 0;
}

/* ---- suspend and resume ---- */

#define QUIESCE_NS (5ULL * 1000000000ULL)

/* The reconnect thread after a restore, which the next suspend waits for. */
static struct frontend_reconnect reconnecting = FRONTEND_RECONNECT_INIT(reconnecting);

/* Before the domain suspends: issue nothing more and let the backend answer what is out. */
static void blk_suspend(void *arg)
{
    frontend_reconnect_wait(&reconnecting, frontend_timeout_ns(opt_connect_timeout_ms, 30000),
                            "blk");
    for (int i = 0; i < ndevs; i++) {
        struct xenolith_blk_dev *d = devs[i];
        /* From here the backend watched may be the old domain's (its path gone after a
         * restore): its watch firing is not the backend leaving. */
        __atomic_store_n(&d->moving, 1, __ATOMIC_RELEASE);
        for (unsigned int k = 0; k < d->nqueues && !d->broken; k++)
            if (blkq_quiesce(&d->queues[k], QUIESCE_NS) < 0)
                printk("blk %s: queue %u: the backend did not answer before the suspend\n",
                       d->info.name, k);
    }
}

/*
 * A reconnect: what the new backend offers decides the queues and the ring
 * size again, as on a first connect. Queues beyond its offer are taken away,
 * what waited or was in flight on them moved to those that stay; queues it
 * offers room for again are set up anew (the array has room for all we want).
 * Every ring is granted to the new backend, resized if the order changed, and
 * what was in flight on it is issued again once the backend is connected.
 */
static int renegotiate_rings(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_blk_dev *d = h->d;
    unsigned int old_n = d->nqueues, new_n;
    int rc = 0;
    choose_layout(h, d->queues_cap, &new_n);
    if (new_n < old_n) {
        for (unsigned int k = new_n; k < old_n; k++) {
            struct blk_queue *q = &d->queues[k];
            mutex_lock(&q->lock);
            q->retired = 1; /* no caller queues more on it from here */
            mutex_unlock(&q->lock);
        }
        __atomic_store_n(&d->nqueues, new_n, __ATOMIC_RELEASE);
        for (unsigned int k = new_n; k < old_n; k++)
            h->moved += blkq_retire(&d->queues[k], &d->queues[frontend_layout_target(k, new_n)],
                                    &h->replayed);
    }
    for (unsigned int k = 0; k < MIN(old_n, new_n); k++)
        if ((rc = blkq_reconnect(&d->queues[k], h->order, &h->replayed)) < 0)
            return rc;
    for (h->made = old_n; h->made < new_n; h->made++) {
        struct blk_queue *q = &d->queues[h->made];
        if ((rc = blkq_init(q, d, h->made, h->order)) < 0) {
            blkq_release(q);
            return rc;
        }
        q->suspended = 1; /* issues nothing until the backend is connected */
    }
    if (new_n > old_n)
        __atomic_store_n(&d->nqueues, new_n, __ATOMIC_RELEASE);
    return 0;
}

/* A reconnect: the same disk, its features again, the pools for the new backend, the
 * threads of new queues. */
static int regrant_pools(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_blk_dev *d = h->d;
    int rc = read_disk(d);
    if (rc < 0)
        return rc;
    if (d->info.sectors != h->was.sectors || d->info.sector_size != h->was.sector_size) {
        printk("blk %s: the disk is not the same size after the move\n", d->info.name);
        return -EIO;
    }
    read_features(d);
    d->info.queues = d->nqueues;
    d->info.ring_pages = 1u << h->order;
    d->info.ring_slots = RING_SIZE(&d->queues[0].ring);
    for (unsigned int k = 0; k < d->nqueues; k++) {
        struct blk_queue *q = &d->queues[k];
        rc = k < h->was.queues ? blkq_regrant_pool(q, pool_pages()) : blkq_start(q, pool_pages());
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * In a new domain: the backend is a new one (maybe with other limits), found
 * where xenstore now says. The queues and rings are renegotiated with it;
 * what waited in the queues, or was in flight, is issued once it is connected.
 */
static int reconnect(struct xenolith_blk_dev *d)
{
    char id[12];
    ksnprintf(id, sizeof(id), "%u", d->info.vdev);
    struct handshake h = {.d = d, .was = d->info};
    xenolith_xs_unwatch(&d->state_watch);
    __atomic_store_n(&d->moving, 0, __ATOMIC_RELEASE);
    xenbus_device_release(&d->xb);
    int rc = xenbus_device_init(&d->xb, "vbd", id);
    if (rc < 0 || (rc = handshake(d, &h, renegotiate_rings, regrant_pools)) < 0)
        return rc;
    watch_backend(d);
    for (unsigned int k = 0; k < d->nqueues; k++)
        blkq_resume(&d->queues[k]);
    printk("blk %s: reconnected to %s after the domain moved: queues %u -> %u, ring %u -> %u "
           "pages, %u request%s moved, %u ring request%s replayed\n",
           d->info.name, d->xb.otherend, h.was.queues, d->info.queues, h.was.ring_pages,
           d->info.ring_pages, h.moved, h.moved == 1 ? "" : "s", h.replayed,
           h.replayed == 1 ? "" : "s");
    return 0;
}

/* Not in the watch thread: the handshake waits for watch events. */
static void *reconnect_thread(void *arg)
{
    for (int i = 0; i < ndevs; i++) {
        struct xenolith_blk_dev *d = devs[i];
        if (d->broken)
            continue;
        int rc = reconnect(d);
        if (rc < 0)
            blkfront_break(d, -EIO, "cannot reconnect after the domain moved (%d)", rc);
    }
    frontend_reconnect_end(&reconnecting);
    return NULL;
}

unsigned int blkfront_grants_held(struct xenolith_blk_dev *d, unsigned int *in_use)
{
    unsigned int n = 0, nq = __atomic_load_n(&d->nqueues, __ATOMIC_ACQUIRE);
    for (unsigned int k = 0; k < nq; k++)
        mutex_lock(&d->queues[k].lock);
    for (unsigned int k = 0; k < nq; k++)
        n += blkq_grants_held(&d->queues[k]);
    *in_use = gnttab_in_use();
    for (unsigned int k = nq; k-- > 0;)
        mutex_unlock(&d->queues[k].lock);
    return n;
}

static void blk_resume(int new_domain, void *arg)
{
    if (!new_domain) {
        for (int i = 0; i < ndevs; i++) {
            __atomic_store_n(&devs[i]->moving, 0, __ATOMIC_RELEASE);
            for (unsigned int k = 0; k < devs[i]->nqueues; k++)
                blkq_resume(&devs[i]->queues[k]);
            if (!devs[i]->broken) /* a backend that left meanwhile was not heard */
                backend_state_changed(&devs[i]->state_watch, NULL, devs[i]);
        }
        return;
    }
    for (int i = 0; i < ndevs; i++)
        for (unsigned int k = 0; k < devs[i]->nqueues; k++)
            blkq_forget_port(&devs[i]->queues[k]);
    frontend_reconnect_begin(&reconnecting);
    struct xenolith_thread *t =
        xenolith_thread_create("blk-reconnect", reconnect_thread, NULL, 0, 0);
    if (t) {
        xenolith_thread_detach(t);
        return;
    }
    frontend_reconnect_end(&reconnecting);
    for (int i = 0; i < ndevs; i++)
        blkfront_break(devs[i], -EIO, "no memory to reconnect after the domain moved");
}

/* ---- enumeration ---- */

static void announce(struct xenolith_blk_dev *d, int attached)
{
    callback_each(&hotplug_handlers, h)((xenolith_blk_hotplug_fn)h->fn)(d, attached, h->arg);
}

/* The backend has closed after a detach: free everything the device held. */
static void teardown(struct xenolith_blk_dev *d)
{
    xenolith_xs_unwatch(&d->state_watch);
    int busy = 0;
    for (unsigned int i = 0; i < d->nqueues; i++)
        if (blkq_teardown(&d->queues[i]) < 0)
            busy = 1;
    __atomic_store_n(&d->nqueues, 0, __ATOMIC_RELEASE);
    xenbus_device_release(&d->xb);
    __atomic_store_n(&d->gone, 1, __ATOMIC_RELEASE);
    printk("blk %s: detached; rings, grants and pages released%s\n", d->info.name,
           busy ? " (pages the backend still maps are deferred until it lets go)" : "");
    announce(d, 0);
}

static struct xenolith_blk_dev *find_vdev(unsigned long vdev)
{
    for (int i = 0; i < ndevs; i++)
        if (devs[i]->info.vdev == vdev)
            return devs[i];
    return NULL;
}

static void attach(const char *id)
{
    char *end;
    unsigned long vdev = strtoul(id, &end, 10);
    if (*end || vdev > UINT32_MAX) {
        printk("blk: device/vbd/%s is not a virtual-device number; ignored\n", id);
        return;
    }
    struct xenolith_blk_dev *d = find_vdev(vdev);
    if (d && !__atomic_load_n(&d->gone, __ATOMIC_ACQUIRE))
        return; /* connected, or detached and waiting for its backend to close */
    if (!xenbus_freshly_added("vbd", id))
        return;
    int fresh = !d;
    if (fresh && (ndevs == BLKFRONT_MAX_DEVS || !(d = calloc(1, sizeof(*d))))) {
        printk("blk: no room for device/vbd/%s\n", id);
        return;
    }
    if (!fresh)
        d->broken = 1; /* nothing is issued until it is connected */
    int rc = connect(d, id);
    if (rc < 0) {
        printk("blk: device/vbd/%s attached but not connected (%d)\n", id, rc);
        if (fresh && !d->queues)
            free(d);
        else if (fresh)
            devs[ndevs++] = d; /* threads may run over it: keep it, broken */
        return;
    }
    char line[160];
    xenolith_blk_dev_describe(d, line, sizeof(line));
    printk("blk: attached %s\n", line);
    if (fresh) {
        devs[ndevs] = d;
        __atomic_store_n(&ndevs, ndevs + 1, __ATOMIC_RELEASE); /* xenolith_blk_dev_count grows */
    }
    announce(d, 1);
}

/* Bring the device list in line with xenstore. Under probe_lock. */
static void hotplug_scan(void)
{
    for (int i = 0; i < ndevs; i++) {
        struct xenolith_blk_dev *d = devs[i];
        if (d->gone || !__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE) || !d->queues)
            continue;
        /* Closed, gone, or already a new backend for a re-attach: ours is done. */
        int s = xenbus_otherend_state(&d->xb);
        if (s != XenbusStateConnected && s != XenbusStateClosing)
            teardown(d);
    }
    char **ids = NULL;
    int n = xenbus_list("vbd", &ids);
    for (int i = 0; i < n; i++)
        attach(ids[i]);
    free(ids);
}

int xenolith_blk_on_hotplug(xenolith_blk_hotplug_fn fn, void *arg)
{
    xenolith_blk_dev_count(); /* devices found, hotplug watched */
    mutex_lock(&probe_lock);
    int rc = callback_add(&hotplug_handlers, (callback_fn)fn, arg);
    mutex_unlock(&probe_lock);
    return rc;
}

int xenolith_blk_dev_connected(struct xenolith_blk_dev *d)
{
    return d && !__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE);
}

static void probe(void)
{
    mutex_lock(&probe_lock);
    if (probed) {
        mutex_unlock(&probe_lock);
        return;
    }
    char **ids = NULL;
    int n = xenbus_list("vbd", &ids);
    if (n > 0)
        qsort(ids, (size_t)n, sizeof(*ids), xenbus_by_number);
    for (int i = 0; i < n && ndevs < BLKFRONT_MAX_DEVS; i++) {
        struct xenolith_blk_dev *d = calloc(1, sizeof(*d));
        if (!d)
            break;
        int rc = connect(d, ids[i]);
        if (rc < 0) {
            printk("blk: device/vbd/%s not connected (%d)\n", ids[i], rc);
            if (!d->queues)
                free(d); /* a device with threads running stays allocated */
            continue;
        }
        char line[160];
        xenolith_blk_dev_describe(d, line, sizeof(line));
        printk("blk: %s\n", line);
        devs[ndevs++] = d;
    }
    free(ids);
    if (xen_suspend_register(blk_suspend, blk_resume, NULL) < 0)
        printk("blk: no memory for suspend handlers; the disks will not survive a move\n");
    xenbus_hotplug_start(&hotplug, "vbd", &probe_lock, hotplug_scan);
    __atomic_store_n(&probed, 1, __ATOMIC_RELEASE);
    mutex_unlock(&probe_lock);
}

int xenolith_blk_dev_count(void)
{
    if (!__atomic_load_n(&probed, __ATOMIC_ACQUIRE))
        probe();
    return ndevs;
}

struct xenolith_blk_dev *xenolith_blk_dev_get(int index)
{
    if (index < 0 || index >= xenolith_blk_dev_count())
        return NULL;
    return devs[index];
}

struct xenolith_blk_dev *xenolith_blk_dev_find(const char *name)
{
    int n = xenolith_blk_dev_count();
    for (int i = 0; i < n; i++) {
        char num[16];
        ksnprintf(num, sizeof(num), "%u", devs[i]->info.vdev);
        if (strcmp(devs[i]->info.name, name) == 0 || strcmp(num, name) == 0)
            return devs[i];
    }
    return NULL;
}

void xenolith_blk_dev_info(struct xenolith_blk_dev *d, struct xenolith_blk_info *info)
{
    *info = d->info;
}

int xenolith_blk_dev_describe(struct xenolith_blk_dev *d, char *buf, size_t size)
{
    const struct xenolith_blk_info *in = &d->info;
    uint64_t mib = in->sectors * in->sector_size >> 20;
    char segs[24] = "";
    if (in->features & XENOLITH_BLK_F_INDIRECT)
        ksnprintf(segs, sizeof(segs), ", indirect %u", in->max_segments);
    return ksnprintf(buf, size,
                     "%s: %llu MiB (%llu x %u B), %s, %u queue%s x %u-page ring (%u "
                     "slots)%s%s%s%s%s",
                     in->name, (unsigned long long)mib, (unsigned long long)in->sectors,
                     in->sector_size, in->read_only ? "read-only" : "read-write", in->queues,
                     in->queues == 1 ? "" : "s", in->ring_pages, in->ring_slots, segs,
                     in->features & XENOLITH_BLK_F_PERSISTENT ? ", persistent grants" : "",
                     in->features & XENOLITH_BLK_F_FLUSH     ? ", flush"
                     : in->features & XENOLITH_BLK_F_BARRIER ? ", barrier"
                                                             : "",
                     in->features & XENOLITH_BLK_F_DISCARD ? ", discard" : "",
                     d->broken ? ", DISCONNECTED" : "");
}

void xenolith_blk_dev_stats(struct xenolith_blk_dev *d, unsigned int queue,
                            struct xenolith_blk_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned int i = 0; i < d->nqueues; i++) {
        if (queue < d->nqueues && queue != i)
            continue;
        const struct xenolith_blk_stats *s = &d->queues[i].stats;
        st->reads += s->reads;
        st->writes += s->writes;
        st->flushes += s->flushes;
        st->discards += s->discards;
        st->read_bytes += s->read_bytes;
        st->write_bytes += s->write_bytes;
        st->ring_requests += s->ring_requests;
        st->indirect_requests += s->indirect_requests;
        st->flush_requests += s->flush_requests;
        st->barrier_requests += s->barrier_requests;
        st->discard_requests += s->discard_requests;
        st->segments += s->segments;
        st->grants += s->grants;
        st->max_in_flight = MAX(st->max_in_flight, s->max_in_flight);
        st->notifications += s->notifications;
        st->interrupts += s->interrupts;
        st->idle_events += s->idle_events;
        st->errors += s->errors;
        st->pool_pages += s->pool_pages;
        st->grants_leaked += s->grants_leaked;
    }
}

/* ---- requests ---- */

static int check_request(struct xenolith_blk_dev *d, const struct xenolith_blk_request *r)
{
    if (!r || !r->done)
        return -EINVAL;
    switch (r->op) {
    case XENOLITH_BLK_READ:
    case XENOLITH_BLK_WRITE:
        if (!r->buf)
            return -EINVAL;
        if (r->op == XENOLITH_BLK_WRITE && d->info.read_only && !blk_opt_ignore_readonly)
            return -EROFS;
        return blkif_check_range(r->offset, r->len, d->info.sector_size, d->info.sectors);
    case XENOLITH_BLK_DISCARD:
        if (d->info.read_only && !blk_opt_ignore_readonly)
            return -EROFS;
        if (!(d->info.features & XENOLITH_BLK_F_DISCARD))
            return -EOPNOTSUPP;
        return blkif_check_range(r->offset, r->len, d->info.sector_size, d->info.sectors);
    case XENOLITH_BLK_FLUSH:
        if (d->info.read_only && !blk_opt_ignore_readonly)
            return -EROFS;
        return d->flush_op ? 0 : -EOPNOTSUPP; /* never "done" without telling the backend */
    }
    return -EINVAL;
}

/* Requests go to the queue of the VCPU that submits them. */
static struct blk_queue *queue_of_caller(struct xenolith_blk_dev *d)
{
    unsigned int n = __atomic_load_n(&d->nqueues, __ATOMIC_ACQUIRE);
    return n ? &d->queues[this_cpu()->id % n] : NULL; /* none: detached */
}

int xenolith_blk_submitv(struct xenolith_blk_dev *d, struct xenolith_blk_request **rs, int n)
{
    if (!d)
        return -ENODEV;
    if (n <= 0)
        return n < 0 ? -EINVAL : 0;
    int ok = 0;
    while (ok < n) {
        int rc = check_request(d, rs[ok]);
        if (rc < 0) {
            if (ok == 0)
                return rc;
            break;
        }
        ok++;
    }
    for (;;) {
        struct blk_queue *q = queue_of_caller(d);
        if (!q || __atomic_load_n(&d->broken, __ATOMIC_ACQUIRE))
            return -EIO;
        int rc = blkq_submit(q, rs, ok);
        if (rc != -EAGAIN)
            return rc;
        xenolith_thread_yield(); /* its queue was just taken away at a reconnect: pick again */
    }
}

int xenolith_blk_submit(struct xenolith_blk_dev *d, struct xenolith_blk_request *r)
{
    int rc = xenolith_blk_submitv(d, &r, 1);
    return rc == 1 ? 0 : rc;
}

struct sync_wait {
    int done;
    int status;
};

/* The waiter's record may vanish once done is set: set it last, then touch only the queue. */
static void sync_done(struct xenolith_blk_request *r, int status)
{
    struct sync_wait *w = r->arg;
    w->status = status;
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
}

static int sync_io(struct xenolith_blk_dev *d, enum xenolith_blk_op op, uint64_t offset, void *buf,
                   uint64_t len)
{
    struct sync_wait w = {0, 0};
    struct xenolith_blk_request r = {
        .op = op,
        .offset = offset,
        .len = len,
        .buf = buf,
        .done = sync_done,
        .arg = &w,
    };
    /* A callback waiting for its own queue's thread would wait forever. A detached
     * device has no queue: the submit says so. */
    struct blk_queue *mine = d ? queue_of_caller(d) : NULL;
    if (mine && mine->thread == thread_current())
        return -EDEADLK;
    int rc = xenolith_blk_submit(d, &r);
    if (rc < 0)
        return rc;
    /* The queue wakes sync_wq after every batch of callbacks; the watchdog bounds the wait. A
     * reconnect may move the request to another queue, and then wakes us on the old one. */
    for (;;) {
        struct blk_queue *q = __atomic_load_n((struct blk_queue **)&r._queue, __ATOMIC_ACQUIRE);
        wait_event(&q->sync_wq,
                   __atomic_load_n(&w.done, __ATOMIC_ACQUIRE) ||
                       __atomic_load_n((struct blk_queue **)&r._queue, __ATOMIC_ACQUIRE) != q);
        if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
            return w.status;
    }
}

int xenolith_blk_read(struct xenolith_blk_dev *d, uint64_t offset, void *buf, uint64_t len)
{
    return sync_io(d, XENOLITH_BLK_READ, offset, buf, len);
}

int xenolith_blk_write(struct xenolith_blk_dev *d, uint64_t offset, const void *buf, uint64_t len)
{
    return sync_io(d, XENOLITH_BLK_WRITE, offset, (void *)buf, len);
}

int xenolith_blk_flush(struct xenolith_blk_dev *d)
{
    return sync_io(d, XENOLITH_BLK_FLUSH, 0, NULL, 0);
}

int xenolith_blk_discard(struct xenolith_blk_dev *d, uint64_t offset, uint64_t len)
{
    return sync_io(d, XENOLITH_BLK_DISCARD, offset, NULL, len);
}
