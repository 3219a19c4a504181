/*
 * netfront devices: each connected through the xenbus handshake of io/netif.h, and
 * the <xenolith/net.h> API on top. Which devices exist, at boot and as the toolstack
 * adds and removes them, is netfront_devices.c's. Nothing here runs, or is even
 * linked, unless the app calls net_*.
 *
 * Handshake: wait for the backend's InitWait, read what it offers, set up one queue
 * per VCPU (or as asked), write our rings, event channels and wishes in one
 * transaction, go Connected, wait for the backend to follow. A monitor thread per
 * device then watches the backend's state and does the disconnect when the backend
 * leaves (xl network-detach) or breaks the protocol; the hotplug thread then releases
 * what is left and tells the app.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/options.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/hypercall.h"
#include "drivers/net/netfront.h"
#include "drivers/net/netif_mac.h"
#include "drivers/xen/frontend_layout.h"
#include "drivers/xen/suspend.h"
#include "drivers/xen/xenbus_frontend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_connect_timeout_ms = 10000;
KERNEL_OPTION(opt_connect_timeout_ms, "net.connect_timeout_ms", OPT_INT,
              "give up on a backend that does not take each handshake step this long");
#define CLOSE_WAIT_NS (5ULL * 1000000000ULL)
#define STOP_WAIT_NS  (2ULL * 1000000000ULL)

static struct frontend_reconnect reconnecting = FRONTEND_RECONNECT_INIT(reconnecting);

static int opt_queues;
KERNEL_OPTION(opt_queues, "net.queues", OPT_INT, "netfront queues per device (0: one per VCPU)");
static int opt_offload = 1;
KERNEL_OPTION(opt_offload, "net.offload", OPT_BOOL, "netfront checksum offload (and so GSO)");
static int opt_sg = 1;
KERNEL_OPTION(opt_sg, "net.sg", OPT_BOOL, "netfront multi-slot frames (and so GSO)");
static int opt_gso = 1;
KERNEL_OPTION(opt_gso, "net.gso", OPT_BOOL, "netfront TCP segmentation offload, tx and rx");
static int opt_split = 1;
KERNEL_OPTION(opt_split, "net.split", OPT_BOOL, "netfront split tx/rx event channels");
static int opt_buffers;
KERNEL_OPTION(opt_buffers, "net.buffers", OPT_INT, "netfront buffers per ring (0: auto)");

static const char *state_name(int s)
{
    return xenbus_state_name(s);
}

void netfront_fail(struct xenolith_net_dev *d, const char *fmt, ...)
{
    int expect = NETFRONT_RUNNING;
    if (!__atomic_compare_exchange_n(&d->state, &expect, NETFRONT_BROKEN, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return; /* already going down */
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    printk("net: %s: %s; disconnecting\n", d->name, why);
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_kick(&d->queues[i]);
    waitq_wake_all(&d->xb.otherend_wq);
}

/* ---- the handshake ---- */

static int read_frontend(struct xenolith_net_dev *d)
{
    char path[sizeof(d->xb.nodename) + 8], buf[32];
    ksnprintf(path, sizeof(path), "%s/mac", d->xb.nodename);
    int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, path, buf, sizeof(buf));
    if (rc < 0 || netif_parse_mac(buf, d->mac) < 0) {
        printk("net: %s: no valid MAC address in %s (%d)\n", d->name, path, rc);
        return rc < 0 ? rc : -EINVAL;
    }
    long mtu;
    ksnprintf(path, sizeof(path), "%s/mtu", d->xb.nodename);
    if (xenolith_xs_read_int(XENOLITH_XS_NO_TX, path, &mtu) < 0)
        mtu = 1500;
    if (mtu < 68 || mtu > (long)(NETIF_MAX_FRAME - NETIF_ETH_HLEN)) {
        printk("net: %s: ignoring implausible mtu %ld\n", d->name, mtu);
        mtu = 1500;
    }
    d->mtu = (unsigned int)mtu;
    return 0;
}

/* The address xl's ip= gave the vif (the backend's "ip"), for the stack to use. */
static void read_config_ip(struct xenolith_net_dev *d)
{
    char path[sizeof(d->xb.otherend) + 8];
    ksnprintf(path, sizeof(path), "%s/ip", d->xb.otherend);
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, path, d->config_ip, sizeof(d->config_ip)) < 0)
        d->config_ip[0] = '\0';
}

static unsigned int pick_buffers(unsigned int nqueues)
{
    if (opt_buffers > 0)
        return (unsigned int)MAX(MIN(opt_buffers, 4096), (int)NETIF_RX_MAX_SLOTS);
    /* A ring's worth each, but no more than an eighth of free memory for all rings. */
    uint64_t budget = mm_free_pages() / 8 / (2 * nqueues);
    return (unsigned int)MAX(MIN(budget, (uint64_t)NETIF_RX_RING_SIZE), 64);
}

/* One queue per online VCPU unless told otherwise, as many as we support at most. */
static unsigned int want_queues(void)
{
    unsigned int want = opt_queues > 0 ? (unsigned int)opt_queues : (unsigned int)smp_num_online();
    return MIN(MAX(want, 1u), (unsigned int)NETFRONT_MAX_QUEUES);
}

/* Decide what to use from what the backend offers and what we were told. */
static int negotiate(struct xenolith_net_dev *d)
{
    struct xenbus_device *xb = &d->xb;
    if (xenbus_otherend_ulong(xb, "feature-rx-copy", 0) != 1) {
        printk("net: %s: backend cannot copy into our buffers (no feature-rx-copy)\n", d->name);
        return -EOPNOTSUPP;
    }
    char who[24];
    ksnprintf(who, sizeof(who), "net: %s", d->name);
    unsigned long maxq =
        xenbus_otherend_count(xb, who, "multi-queue-max-queues", 1, 1, NETFRONT_MAX_QUEUES);
    /* A reconnect has the queues there is room for (a first connect makes room for all). */
    int reconnecting = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == NETFRONT_SUSPENDED;
    d->nqueues = frontend_layout_queues(want_queues(), maxq,
                                        reconnecting ? d->queues_cap : NETFRONT_MAX_QUEUES);
    d->split = opt_split && xenbus_otherend_ulong(xb, "feature-split-event-channels", 0) == 1;

    int be_sg = xenbus_otherend_ulong(xb, "feature-sg", 0) == 1;
    int be_csum = xenbus_otherend_ulong(xb, "feature-no-csum-offload", 0) != 1;
    int be_csum6 = xenbus_otherend_ulong(xb, "feature-ipv6-csum-offload", 0) == 1;
    int be_gso4 = xenbus_otherend_ulong(xb, "feature-gso-tcpv4", 0) == 1;
    int be_gso6 = xenbus_otherend_ulong(xb, "feature-gso-tcpv6", 0) == 1;

    /* Receive side: what we tell the backend we can take. */
    d->sg = opt_sg;
    d->rx_csum = opt_offload;
    d->rx_gso = opt_sg && opt_offload && opt_gso;

    /* Transmit side: what the backend takes from us. */
    uint32_t f = 0;
    if (opt_sg && be_sg)
        f |= XENOLITH_NET_F_SG;
    if (opt_offload && be_csum)
        f |= XENOLITH_NET_F_CSUM;
    if (opt_offload && be_csum6)
        f |= XENOLITH_NET_F_CSUM6;
    if (opt_gso && (f & XENOLITH_NET_F_SG) && (f & XENOLITH_NET_F_CSUM) && be_gso4)
        f |= XENOLITH_NET_F_TSO4;
    if (opt_gso && (f & XENOLITH_NET_F_SG) && (f & XENOLITH_NET_F_CSUM6) && be_gso6)
        f |= XENOLITH_NET_F_TSO6;
    if (d->rx_gso)
        f |= XENOLITH_NET_F_RX_GSO;
    d->features = f;
    /* One page per frame without sg, either way. */
    if (!(f & XENOLITH_NET_F_SG) || !d->sg)
        d->mtu = MIN(d->mtu, 1500u);
    d->nbufs = pick_buffers(d->nqueues);
    return 0;
}

static int write_queue_keys(xenolith_xs_tx_t tx, struct xenolith_net_dev *d,
                            struct netfront_queue *q)
{
    char pfx[16] = "";
    char key[48];
    int rc;
    if (d->nqueues > 1)
        ksnprintf(pfx, sizeof(pfx), "queue-%u/", q->index);
#define KEY(name) (ksnprintf(key, sizeof(key), "%s%s", pfx, name), key)
    if ((rc = xenbus_printf(tx, &d->xb, KEY("tx-ring-ref"), "%u", q->tx_ring_ref)) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, KEY("rx-ring-ref"), "%u", q->rx_ring_ref)) < 0)
        return rc;
    if (d->split) {
        if ((rc = xenbus_printf(tx, &d->xb, KEY("event-channel-tx"), "%u", q->tx_port)) < 0 ||
            (rc = xenbus_printf(tx, &d->xb, KEY("event-channel-rx"), "%u", q->rx_port)) < 0)
            return rc;
    } else if ((rc = xenbus_printf(tx, &d->xb, KEY("event-channel"), "%u", q->tx_port)) < 0) {
        return rc;
    }
#undef KEY
    return 0;
}

static int write_keys(xenolith_xs_tx_t tx, void *arg)
{
    struct xenolith_net_dev *d = arg;
    int rc;
    if (d->nqueues > 1 &&
        (rc = xenbus_printf(tx, &d->xb, "multi-queue-num-queues", "%u", d->nqueues)) < 0)
        return rc;
    for (unsigned int i = 0; i < d->nqueues; i++)
        if ((rc = write_queue_keys(tx, d, &d->queues[i])) < 0)
            return rc;
    if ((rc = xenbus_printf(tx, &d->xb, "request-rx-copy", "1")) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-rx-notify", "1")) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-sg", "%d", d->sg)) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-gso-tcpv4", "%d", d->rx_gso)) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-gso-tcpv6", "%d", d->rx_gso)) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-no-csum-offload", "%d", !d->rx_csum)) < 0 ||
        (rc = xenbus_printf(tx, &d->xb, "feature-ipv6-csum-offload", "%d", d->rx_csum)) < 0)
        return rc;
    return 0;
}

static void print_connected(struct xenolith_net_dev *d)
{
    uint32_t f = d->features;
    char tx[40], rx[24];
    ksnprintf(tx, sizeof(tx), "%s%s%s%s%s", f & XENOLITH_NET_F_SG ? " sg" : "",
              f & XENOLITH_NET_F_CSUM ? " csum" : "", f & XENOLITH_NET_F_CSUM6 ? " csum6" : "",
              f & XENOLITH_NET_F_TSO4 ? " tso4" : "", f & XENOLITH_NET_F_TSO6 ? " tso6" : "");
    ksnprintf(rx, sizeof(rx), "%s%s%s", d->sg ? " sg" : "", d->rx_csum ? " csum" : "",
              d->rx_gso ? " gso" : "");
    printk("net: %s %02x:%02x:%02x:%02x:%02x:%02x mtu %u, %u queue%s, %s event channel%s, "
           "%u buffers per ring; tx:%s rx:%s\n",
           d->name, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5], d->mtu,
           d->nqueues, d->nqueues == 1 ? "" : "s", d->split ? "split" : "one", d->split ? "s" : "",
           d->nbufs, tx[0] ? tx : " none", rx[0] ? rx : " none");
}

/* Undo a connect that failed part way: nothing of it was ever used. */
static void abandon(struct xenolith_net_dev *d, unsigned int nset)
{
    for (unsigned int i = 0; i < nset; i++)
        netfront_queue_stop_events(&d->queues[i]);
    xenbus_switch_state(&d->xb, XenbusStateClosing);
    xenbus_wait_otherend(&d->xb, (1u << XenbusStateClosing) | (1u << XenbusStateClosed),
                         CLOSE_WAIT_NS);
    xenbus_switch_state(&d->xb, XenbusStateClosed);
    for (unsigned int i = 0; i < nset; i++)
        netfront_queue_release(&d->queues[i]);
    xenbus_device_release(&d->xb);
}

static void *monitor_thread(void *arg);

static int queues_stopped(struct xenolith_net_dev *d)
{
    int stopped = 1;
    for (unsigned int k = 0; k < d->nqueues; k++)
        stopped &= netfront_queue_stopped(&d->queues[k]);
    return stopped;
}

static int all_stopped(struct xenolith_net_dev *d)
{
    return !__atomic_load_n(&d->monitor_running, __ATOMIC_ACQUIRE) && queues_stopped(d);
}

struct handshake {
    struct xenolith_net_dev *d;
    unsigned int nset;       /* queues set up so far (first connect) */
    int setting_up;          /* past negotiating: a failure from here is undone with abandon */
    unsigned int was_queues; /* a reconnect: queues before it */
};

/* First connect: what to use, then the queues' rings, pages and event channels. */
static int prepare_queues(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_net_dev *d = h->d;
    int rc = negotiate(d);
    if (rc < 0)
        return rc;
    /* Room for as many queues as we would like, should a later backend offer more. */
    unsigned int room = MAX(d->nqueues, want_queues());
    if (room > d->queues_cap) { /* a re-attached device keeps its array if it fits */
        struct netfront_queue *q = calloc(room, sizeof(*q));
        if (!q)
            return -ENOMEM;
        free(d->queues);
        d->queues = q;
        d->queues_cap = room;
    }
    h->setting_up = 1;
    for (; h->nset < d->nqueues; h->nset++) {
        if ((rc = netfront_queue_setup(d, &d->queues[h->nset], h->nset)) < 0) {
            printk("net: %s: cannot set up queue %u (%d)\n", d->name, h->nset, rc);
            h->nset++;
            return rc;
        }
    }
    return 0;
}

static int handshake_keys(xenolith_xs_tx_t tx, void *arg)
{
    return write_keys(tx, ((struct handshake *)arg)->d);
}

/* netback connects once we say Connected. */
static int handshake(struct xenolith_net_dev *d, struct handshake *h, int (*prepare)(void *))
{
    char who[24];
    ksnprintf(who, sizeof(who), "net: %s", d->name);
    const struct xenbus_frontend f = {
        .who = who,
        .publish_state = XenbusStateConnected,
        .prepare = prepare,
        .write_keys = handshake_keys,
        .drv = h,
        .timeout_ns = frontend_timeout_ns(opt_connect_timeout_ms, 10000),
    };
    return xenbus_frontend_connect(&d->xb, &f);
}

static int connect(struct xenolith_net_dev *d)
{
    struct handshake h = {.d = d};
    int rc = handshake(d, &h, prepare_queues);
    if (rc < 0) {
        if (h.setting_up)
            abandon(d, h.nset);
        return rc;
    }
    __atomic_store_n(&d->state, NETFRONT_RUNNING, __ATOMIC_RELEASE);
    for (unsigned int i = 0; i < d->nqueues; i++)
        if ((rc = netfront_queue_start(&d->queues[i])) < 0) {
            netfront_fail(d, "cannot start queue %u (%d)", i, rc);
            break; /* the monitor takes it down, as after any failure */
        }
    __atomic_store_n(&d->monitor_running, 1, __ATOMIC_RELEASE);
    d->monitor = xenolith_thread_create(d->name, monitor_thread, d, 0, 0);
    if (!d->monitor) {
        /* Cannot watch it, cannot take it down cleanly: stop using it. */
        __atomic_store_n(&d->monitor_running, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&d->state, NETFRONT_CLOSED, __ATOMIC_RELEASE);
        return -ENOMEM;
    }
    xenolith_thread_detach(d->monitor);
    print_connected(d);
    return 0;
}

/* Watches the backend; takes the device down when it leaves or netfront_fail says so. */
static void *monitor_thread(void *arg)
{
    struct xenolith_net_dev *d = arg;
    struct xenbus_device *xb = &d->xb; /* monitor_running was set for us */
    while (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == NETFRONT_RUNNING) {
        unsigned int seen = __atomic_load_n(&xb->otherend_changes, __ATOMIC_SEQ_CST);
        int s = xenbus_otherend_state(xb);
        if (s == XenbusStateClosing || s == XenbusStateClosed || s == XenbusStateUnknown) {
            netfront_fail(d, "backend went to state %s", state_name(s));
            break;
        }
        wait_event(&xb->otherend_wq,
                   __atomic_load_n(&xb->otherend_changes, __ATOMIC_SEQ_CST) != seen ||
                       __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != NETFRONT_RUNNING);
    }
    if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == NETFRONT_SUSPENDED) {
        /* Not a disconnect: the resume starts a new monitor. */
        __atomic_store_n(&d->monitor_running, 0, __ATOMIC_RELEASE);
        return NULL;
    }
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_stop_events(&d->queues[i]);
    xenbus_switch_state(xb, XenbusStateClosing);
    xenbus_wait_otherend(xb, (1u << XenbusStateClosing) | (1u << XenbusStateClosed) | 1u,
                         CLOSE_WAIT_NS);
    xenbus_switch_state(xb, XenbusStateClosed);
    xenbus_wait_otherend(xb, (1u << XenbusStateClosed) | 1u, CLOSE_WAIT_NS);
    /* The receive threads leave once they see the state (release frees their pages). */
    uint64_t deadline = xenolith_time_now_ns() + STOP_WAIT_NS;
    while (!queues_stopped(d) && xenolith_time_now_ns() < deadline)
        xenolith_thread_sleep_ns(1000000);
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_release(&d->queues[i]);
    __atomic_store_n(&d->state, NETFRONT_CLOSED, __ATOMIC_RELEASE);
    __atomic_store_n(&d->monitor_running, 0, __ATOMIC_RELEASE);
    printk("net: %s: disconnected\n", d->name);
    netfront_hotplug_kick();
    return NULL;
}

/* The queues' bookkeeping, once no thread can be in it. */
static void free_queues(struct xenolith_net_dev *d)
{
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_destroy(&d->queues[i]);
}

int netfront_connect(struct xenolith_net_dev *d, const char *id)
{
    d->state = NETFRONT_CONNECTING;
    d->config_ip[0] = '\0';
    int rc = xenbus_device_init(&d->xb, "vif", id);
    if (rc < 0)
        return rc;
    read_config_ip(d);
    if ((rc = read_frontend(d)) == 0 && (rc = connect(d)) == 0)
        return 0;
    if (d->queues && netfront_idle(d))
        free_queues(d); /* abandon() released their pages */
    xenbus_device_release(&d->xb);
    __atomic_store_n(&d->state, NETFRONT_CLOSED, __ATOMIC_RELEASE);
    return rc;
}

int netfront_idle(struct xenolith_net_dev *d)
{
    return !__atomic_load_n(&d->tx_active, __ATOMIC_SEQ_CST) && all_stopped(d);
}

int netfront_release(struct xenolith_net_dev *d)
{
    /* Senders see the state and leave; the queue threads have been told to. */
    uint64_t deadline = xenolith_time_now_ns() + STOP_WAIT_NS;
    while (!netfront_idle(d) && xenolith_time_now_ns() < deadline)
        xenolith_thread_sleep_ns(1000000);
    xenbus_device_release(&d->xb);
    if (!netfront_idle(d))
        return -EBUSY;
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_release(&d->queues[i]); /* what a late thread kept, now free */
    free_queues(d);
    return 0;
}

/* ---- suspend and resume ---- */

/*
 * Before the domain suspends: the queue threads and the monitor leave (the rings
 * and pages stay); senders get ENETDOWN meanwhile, as on a link that is down.
 */
void netfront_suspend(void *arg)
{
    frontend_reconnect_wait(&reconnecting, frontend_timeout_ns(opt_connect_timeout_ms, 10000),
                            "net");
    for (int i = 0; i < netfront_ndevs(); i++) {
        struct xenolith_net_dev *d = netfront_dev(i);
        int expect = NETFRONT_RUNNING;
        if (!__atomic_compare_exchange_n(&d->state, &expect, NETFRONT_SUSPENDED, 0,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            continue;
        for (unsigned int k = 0; k < d->nqueues; k++)
            netfront_queue_kick(&d->queues[k]);
        waitq_wake_all(&d->xb.otherend_wq);
        uint64_t deadline = xenolith_time_now_ns() + STOP_WAIT_NS;
        while (!all_stopped(d) && xenolith_time_now_ns() < deadline)
            xenolith_thread_sleep_ns(1000000);
        if (!all_stopped(d))
            printk("net: %s: threads did not stop for the suspend\n", d->name);
    }
}

/* Running again over rings the backend knows: threads, monitor, then the link listener. */
static int restart(struct xenolith_net_dev *d)
{
    __atomic_store_n(&d->state, NETFRONT_RUNNING, __ATOMIC_RELEASE);
    for (unsigned int k = 0; k < d->nqueues; k++) {
        int rc = netfront_queue_start(&d->queues[k]);
        if (rc < 0) {
            netfront_fail(d, "cannot restart queue %u (%d)", k, rc);
            return rc;
        }
    }
    __atomic_store_n(&d->monitor_running, 1, __ATOMIC_RELEASE);
    d->monitor = xenolith_thread_create(d->name, monitor_thread, d, 0, 0);
    if (!d->monitor) {
        __atomic_store_n(&d->monitor_running, 0, __ATOMIC_RELEASE);
        netfront_fail(d, "no memory for its monitor");
        return -ENOMEM;
    }
    xenolith_thread_detach(d->monitor);
    if (d->link_fn)
        d->link_fn(d, d->link_arg);
    return 0;
}

/*
 * A reconnect: what the new backend offers decides the queues again. Features
 * the stack was told of must still be there (it may not use new ones: they are
 * left off); event channels split or not as it offers. Queues beyond its offer
 * are taken away (frames in their rings dropped, as on a link that went down),
 * the others granted to it again, and new ones set up where it offers more.
 */
static int renegotiate_queues(void *arg)
{
    struct handshake *h = arg;
    struct xenolith_net_dev *d = h->d;
    const uint32_t features = d->features;
    const int sg = d->sg, rx_gso = d->rx_gso;
    const unsigned int old_n = d->nqueues, nbufs = d->nbufs;
    int rc = negotiate(d);
    d->nbufs = nbufs; /* the pools are sized already */
    if (rc < 0)
        return rc;
    if (d->sg != sg || d->rx_gso != rx_gso || (d->features & features) != features) {
        printk("net: %s: the new backend lacks features in use (tx %#x, it offers %#x)\n", d->name,
               features, d->features);
        return -EOPNOTSUPP;
    }
    d->features = features;
    unsigned int new_n = d->nqueues;
    h->was_queues = old_n;
    if (new_n < old_n) {
        /* No sender is left inside a queue that goes (they all see the device down). */
        uint64_t deadline = xenolith_time_now_ns() + STOP_WAIT_NS;
        while (__atomic_load_n(&d->tx_active, __ATOMIC_SEQ_CST) &&
               xenolith_time_now_ns() < deadline)
            xenolith_thread_sleep_ns(1000000);
        if (__atomic_load_n(&d->tx_active, __ATOMIC_SEQ_CST)) {
            printk("net: %s: senders still in queues that go\n", d->name);
            return -EBUSY;
        }
        for (unsigned int k = new_n; k < old_n; k++) {
            netfront_queue_release(&d->queues[k]); /* the grants are void: every page freed */
            netfront_queue_destroy(&d->queues[k]);
        }
    }
    for (unsigned int k = 0; k < MIN(old_n, new_n); k++)
        if ((rc = netfront_queue_reconnect(&d->queues[k])) < 0)
            return rc;
    for (unsigned int k = old_n; k < new_n; k++)
        if ((rc = netfront_queue_setup(d, &d->queues[k], k)) < 0) {
            printk("net: %s: cannot set up queue %u (%d)\n", d->name, k, rc);
            d->nqueues = k; /* what was set up of it is released with the device */
            return rc;
        }
    return 0;
}

/*
 * In a new domain: a new backend (found where xenstore now says); the queues are
 * renegotiated with it, the rings and pages of those that stay granted to it.
 */
static int reconnect(struct xenolith_net_dev *d, unsigned int *was_queues)
{
    char id[12];
    ksnprintf(id, sizeof(id), "%u", d->devid);
    xenbus_device_release(&d->xb);
    struct handshake h = {.d = d, .was_queues = d->nqueues};
    int rc = xenbus_device_init(&d->xb, "vif", id);
    if (rc == 0)
        rc = handshake(d, &h, renegotiate_queues);
    *was_queues = h.was_queues;
    return rc < 0 ? rc : restart(d);
}

/* Not in the watch thread: the handshake waits for watch events. */
static void *reconnect_thread(void *arg)
{
    for (int i = 0; i < netfront_ndevs(); i++) {
        struct xenolith_net_dev *d = netfront_dev(i);
        if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != NETFRONT_SUSPENDED)
            continue;
        unsigned int was;
        int rc = reconnect(d, &was);
        if (rc == 0) {
            printk("net: %s: reconnected to %s after the domain moved: queues %u -> %u, %s event "
                   "channel%s\n",
                   d->name, d->xb.otherend, was, d->nqueues, d->split ? "split" : "one",
                   d->split ? "s" : "");
            continue;
        }
        printk("net: %s: cannot reconnect after the domain moved (%d); the device is down\n",
               d->name, rc);
        for (unsigned int k = 0; k < d->nqueues; k++)
            d->queues[k].tx_port = d->queues[k].rx_port = 0;
        __atomic_store_n(&d->state, NETFRONT_CLOSED, __ATOMIC_RELEASE);
    }
    frontend_reconnect_end(&reconnecting);
    return NULL;
}

void netfront_resume(int new_domain, void *arg)
{
    if (!new_domain) {
        for (int i = 0; i < netfront_ndevs(); i++)
            if (__atomic_load_n(&netfront_dev(i)->state, __ATOMIC_ACQUIRE) == NETFRONT_SUSPENDED)
                restart(netfront_dev(i));
        return;
    }
    frontend_reconnect_begin(&reconnecting);
    struct xenolith_thread *t =
        xenolith_thread_create("net-reconnect", reconnect_thread, NULL, 0, 0);
    if (t) {
        xenolith_thread_detach(t);
    } else {
        frontend_reconnect_end(&reconnecting);
        printk("net: no memory to reconnect after the domain moved\n");
    }
}

/* ---- <xenolith/net.h> ---- */

void xenolith_net_dev_info(struct xenolith_net_dev *d, struct xenolith_net_info *info)
{
    memset(info, 0, sizeof(*info));
    memcpy(info->name, d->name, sizeof(info->name));
    info->devid = d->devid;
    memcpy(info->mac, d->mac, 6);
    info->mtu = xenolith_net_dev_mtu(d);
    info->queues = xenolith_net_dev_queues(d);
    info->features = xenolith_net_dev_features(d);
}

const char *xenolith_net_dev_name(struct xenolith_net_dev *d)
{
    return d->name;
}

unsigned int xenolith_net_dev_id(struct xenolith_net_dev *d)
{
    return d->devid;
}

const char *xenolith_net_dev_config_ip(struct xenolith_net_dev *d)
{
    return d->config_ip;
}

void xenolith_net_dev_mac(struct xenolith_net_dev *d, uint8_t mac[6])
{
    memcpy(mac, d->mac, 6);
}

unsigned int xenolith_net_dev_mtu(struct xenolith_net_dev *d)
{
    return d->mtu;
}

unsigned int xenolith_net_dev_queues(struct xenolith_net_dev *d)
{
    return d->nqueues;
}

uint32_t xenolith_net_dev_features(struct xenolith_net_dev *d)
{
    return d->features;
}

int xenolith_net_dev_connected(struct xenolith_net_dev *d)
{
    return __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == NETFRONT_RUNNING;
}

void xenolith_net_dev_set_rx(struct xenolith_net_dev *d, xenolith_net_rx_fn fn, void *arg)
{
    d->rx_arg = arg;
    __atomic_store_n(&d->rx_fn, fn, __ATOMIC_RELEASE);
    for (unsigned int i = 0; i < d->nqueues; i++)
        netfront_queue_kick(&d->queues[i]);
}

void xenolith_net_dev_set_rx_buf(struct xenolith_net_dev *d, xenolith_net_rx_buf_fn fn)
{
    __atomic_store_n(&d->rx_buf, fn, __ATOMIC_RELEASE);
}

void xenolith_net_dev_set_link(struct xenolith_net_dev *d,
                               void (*fn)(struct xenolith_net_dev *d, void *arg), void *arg)
{
    d->link_arg = arg;
    __atomic_store_n(&d->link_fn, fn, __ATOMIC_RELEASE);
}

int xenolith_net_tx(struct xenolith_net_dev *d, unsigned int queue,
                    const struct xenolith_net_frag *frags, unsigned int nfrags,
                    const struct xenolith_net_tx_offload *off)
{
    size_t len;
    struct netif_tx_meta m;
    int rc = netif_tx_check(d->features, d->mtu, frags, nfrags, off, &len, &m);
    if (rc < 0)
        return rc;
    /* Counted before the state is looked at: a detach waits for us before it frees. */
    __atomic_add_fetch(&d->tx_active, 1, __ATOMIC_SEQ_CST);
    if (!xenolith_net_dev_connected(d))
        rc = -ENETDOWN;
    else
        rc = netfront_queue_transmit(&d->queues[queue % d->nqueues], frags, nfrags, len, &m);
    __atomic_sub_fetch(&d->tx_active, 1, __ATOMIC_SEQ_CST);
    return rc;
}

void xenolith_net_dev_stats(struct xenolith_net_dev *d, unsigned int queue,
                            struct xenolith_net_stats *st)
{
    memset(st, 0, sizeof(*st));
    unsigned int n = MIN(d->nqueues, d->queues_cap);
    for (unsigned int i = 0; i < n; i++) {
        if (queue < n && i != queue)
            continue;
        struct netfront_queue *q = &d->queues[i];
        st->rx_frames += q->rx_frames;
        st->rx_bytes += q->rx_bytes;
        st->rx_dropped += q->rx_dropped;
        st->tx_frames += q->tx_frames;
        st->tx_bytes += q->tx_bytes;
        st->tx_errors += q->tx_errors;
        st->tx_gso_frames += q->tx_gso;
        st->rx_gso_frames += q->rx_gso;
        st->rx_direct += q->rx_direct;
        st->notifications_sent += q->tx_notifies + q->rx_notifies;
        st->interrupts += __atomic_load_n(&q->interrupts, __ATOMIC_RELAXED);
    }
}
