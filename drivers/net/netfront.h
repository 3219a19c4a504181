/*
 * netfront internals shared by netfront.c (devices: discovery, the xenbus handshake,
 * the public API of <xenolith/net.h>) and netfront_queue.c (one queue's rings, grants,
 * event channels, receive thread and transmit path).
 */
#ifndef XENOLITH_NETFRONT_H
#define XENOLITH_NETFRONT_H

#include <stdint.h>
#include <xenolith/net.h>
#include "core/sched.h"
#include "core/spinlock.h"
#include "drivers/xen/xenbus.h"
#include "drivers/xen/evtchn.h"
#include "drivers/net/netif_rx.h"
#include "drivers/net/netif_tx.h"

#define NETFRONT_MAX_QUEUES 16

enum netfront_state {
    NETFRONT_CONNECTING,
    NETFRONT_RUNNING,
    NETFRONT_BROKEN, /* a protocol error or the backend left: being disconnected */
    NETFRONT_CLOSED,
    NETFRONT_SUSPENDED, /* the domain suspends: threads gone, rings kept for the resume */
};

struct netfront_queue {
    struct xenolith_net_dev *dev;
    unsigned int index;
    int cpu; /* where its thread runs and its events arrive */

    /* Transmit: any thread, under tx_lock. */
    spinlock_t tx_lock;
    struct netif_txq tx;
    netif_tx_sring_t *tx_sring;
    grant_ref_t tx_ring_ref;
    struct waitq tx_wq; /* senders waiting for ring room */
    uint8_t *tx_pages;
    uint64_t tx_frames, tx_bytes, tx_errors, tx_notifies, tx_gso;

    /* Receive: the queue's thread only. */
    struct netif_rxq rx;
    netif_rx_sring_t *rx_sring;
    grant_ref_t rx_ring_ref;
    uint8_t *rx_pages;
    uint8_t *reasm; /* the frame being handed up, copied out of the rx pages */
    size_t reasm_pages;
    uint64_t rx_frames, rx_bytes, rx_dropped, rx_notifies, rx_gso, rx_direct;

    /* Events: the handler sets `pending` and wakes the thread. */
    evtchn_port_t tx_port, rx_port; /* the same port unless split */
    int pending;
    uint64_t interrupts;
    struct waitq wq;
    struct xenolith_thread *thread;
    int thread_running;
};

struct xenolith_net_dev {
    char name[16]; /* "vif0" */
    unsigned int devid;
    struct xenbus_device xb;
    uint8_t mac[6];
    unsigned int mtu;
    uint32_t features; /* NET_F_* */
    int sg, rx_gso, rx_csum, split;
    unsigned int nqueues, nbufs;
    struct netfront_queue *queues;
    unsigned int queues_cap; /* entries in queues: kept across a detach, reused on re-attach */
    int tx_active;           /* senders inside xenolith_net_tx: a detach frees nothing under them */
    int gone;                /* detached and released; waits for the same devid to come back */
    char config_ip[48];      /* the vif's ip= (the backend's "ip"), "" if none */
    xenolith_net_rx_fn rx_fn;
    xenolith_net_rx_buf_fn rx_buf; /* where frames are copied, if the handler says */
    void *rx_arg;
    int state; /* enum netfront_state */
    struct xenolith_thread *monitor;
    int monitor_running;
    void (*link_fn)(struct xenolith_net_dev *d, void *arg); /* after a reconnect (see net.h) */
    void *link_arg;
};

/* Allocate a queue's rings, pages, grants and event channels. 0 or -errno. */
int netfront_queue_setup(struct xenolith_net_dev *d, struct netfront_queue *q, unsigned int index);

/* Start the queue's thread, post its receive buffers and kick the backend. */
int netfront_queue_start(struct netfront_queue *q);

/*
 * Resume in a new domain: the queue's grants and event channels are void. Grant
 * the same rings and pages to the new backend, reset the rings (frames in flight
 * are dropped, as a link that went down for a moment would) and bind new event
 * channels. The queue's thread has stopped (state NETFRONT_SUSPENDED).
 */
int netfront_queue_reconnect(struct netfront_queue *q);
/* The queue's thread is gone (it leaves when the device is no longer running). */
int netfront_queue_stopped(struct netfront_queue *q);

/* Unbind its event channels (no more handlers run). */
void netfront_queue_stop_events(struct netfront_queue *q);

/*
 * After the disconnect: revoke every grant and free the pages (a page the backend
 * still maps is deferred until it lets go, never reused). Rx pages are only revoked,
 * and stay allocated, while the queue's thread is still running.
 */
void netfront_queue_release(struct netfront_queue *q);

/* The transmit path behind xenolith_net_tx. */
int netfront_queue_transmit(struct netfront_queue *q, const struct xenolith_net_frag *frags,
                            unsigned int nfrags, size_t len, const struct netif_tx_meta *meta);

/* Wake whoever waits on the queue (handler set, device going down). */
void netfront_queue_kick(struct netfront_queue *q);

/* Free the ring bookkeeping of a queue whose pages are released and whose thread is gone. */
void netfront_queue_destroy(struct netfront_queue *q);

/*
 * netfront.c for netfront_devices.c: connect device d (devid `id`, fields zeroed or
 * left from an earlier attach) from scratch: read the frontend, handshake, start.
 * 0, or -errno with nothing of it left in use.
 */
int netfront_connect(struct xenolith_net_dev *d, const char *id);

/* No sender, queue thread or monitor is running in d. */
int netfront_idle(struct xenolith_net_dev *d);

/* After a detach (state NETFRONT_CLOSED): wait for senders and threads, free the rings'
 * bookkeeping, stop watching the backend. 0, or -EBUSY if something is still running
 * (then what it may touch stays allocated). */
int netfront_release(struct xenolith_net_dev *d);

/* Suspend and resume of every device (registered by netfront_devices.c). */
void netfront_suspend(void *arg);
void netfront_resume(int new_domain, void *arg);

/* The device table (netfront_devices.c): count and slots, without probing. */
int netfront_ndevs(void);
struct xenolith_net_dev *netfront_dev(int i);

/* A device went to NETFRONT_CLOSED: the hotplug thread releases it and tells the app. */
void netfront_hotplug_kick(void);

/*
 * The backend broke the protocol or went away: say so once, stop the data path and
 * let the device's monitor thread disconnect it.
 */
void netfront_fail(struct xenolith_net_dev *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
