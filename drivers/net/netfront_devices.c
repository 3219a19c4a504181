/*
 * Which network devices the domain has: the vifs under device/vif at the first use
 * of <xenolith/net.h>, then those the toolstack adds and takes away while the domain
 * runs (xl network-attach / network-detach).
 *
 * A watch on device/vif wakes one hotplug thread. It releases every device whose
 * disconnect is done (the monitor thread of netfront.c followed the backend through
 * Closing to Closed: senders got ENETDOWN, every grant was ended and page freed),
 * then connects every vif the toolstack has just written (frontend state
 * Initialising), and tells the app (xenolith_net_on_hotplug). A slot, once given, stays: a
 * detached struct xenolith_net_dev remains valid and comes back to life, in the same slot,
 * when the same devid is attached again.
 *
 * A vif that cannot be used (no backend path, no MAC, a backend that never answers)
 * is reported once and then ignored until its node goes away.
 */
#include "core/callbacks.h"
#include "core/kernel.h"
#include "drivers/net/netfront.h"
#include "drivers/xen/suspend.h"
#include "drivers/xen/xenbus_hotplug.h"
#include "arch/x86/hypercall.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETFRONT_MAX_DEVS 64 /* a fixed array: readers index it without a lock */

static struct mutex probe_lock = MUTEX_INIT(probe_lock);
static int probed;
static struct xenolith_net_dev *devs[NETFRONT_MAX_DEVS];
static int ndevs;

/* Ids under device/vif that were refused; forgotten once the node is gone. */
struct refused {
    struct refused *next;
    char id[24];
};
static struct refused *refused;

static struct xenbus_hotplug hotplug;
static int hotplug_live; /* boot's devices are connected: later ones are hot-attached */

static struct callback_list hotplug_handlers; /* xenolith_net_hotplug_fn */

int netfront_ndevs(void)
{
    return __atomic_load_n(&ndevs, __ATOMIC_ACQUIRE);
}

struct xenolith_net_dev *netfront_dev(int i)
{
    return devs[i];
}

void netfront_hotplug_kick(void)
{
    xenbus_hotplug_kick(&hotplug);
}

static void announce(struct xenolith_net_dev *d, int attached)
{
    callback_each(&hotplug_handlers, h)((xenolith_net_hotplug_fn)h->fn)(d, attached, h->arg);
}

/* ---- refused ids ---- */

static int is_refused(const char *id)
{
    for (struct refused *r = refused; r; r = r->next)
        if (strncmp(r->id, id, sizeof(r->id) - 1) == 0)
            return 1;
    return 0;
}

static void refuse(const char *id)
{
    struct refused *r = calloc(1, sizeof(*r));
    if (!r)
        return; /* it is tried again (and reported again) on the next change */
    ksnprintf(r->id, sizeof(r->id), "%s", id);
    r->next = refused;
    refused = r;
}

/* Forget the refused ids that are no longer listed: a new node of that id is new. */
static void forget_refused(char **ids, int n)
{
    for (struct refused **p = &refused; *p;) {
        int listed = 0;
        for (int i = 0; i < n && !listed; i++)
            listed = strncmp((*p)->id, ids[i], sizeof((*p)->id) - 1) == 0;
        if (listed) {
            p = &(*p)->next;
            continue;
        }
        struct refused *r = *p;
        *p = r->next;
        free(r);
    }
}

/* ---- attach and detach ---- */

static int parse_devid(const char *id, unsigned int *devid)
{
    char *end;
    if (!isdigit((unsigned char)id[0]))
        return -EINVAL;
    unsigned long v = strtoul(id, &end, 10);
    if (*end != '\0' || v > 65535)
        return -EINVAL;
    *devid = (unsigned int)v;
    return 0;
}

static struct xenolith_net_dev *find_devid(unsigned int devid)
{
    for (int i = 0; i < ndevs; i++)
        if (devs[i]->devid == devid)
            return devs[i];
    return NULL;
}

static void attach(const char *id)
{
    unsigned int devid;
    if (is_refused(id))
        return;
    if (parse_devid(id, &devid) < 0) {
        printk("net: device/vif/%s: not a device number; ignored\n", id);
        refuse(id);
        return;
    }
    struct xenolith_net_dev *d = find_devid(devid);
    if (d && !__atomic_load_n(&d->gone, __ATOMIC_ACQUIRE))
        return; /* connected, or disconnected and not yet released */
    if (!xenbus_freshly_added("vif", id))
        return;
    int fresh = !d;
    if (fresh && ndevs == NETFRONT_MAX_DEVS) {
        printk("net: device/vif/%s: no room (%d devices already); ignored\n", id, ndevs);
        refuse(id);
        return;
    }
    if (fresh && !(d = calloc(1, sizeof(*d)))) {
        printk("net: device/vif/%s: no memory for it\n", id);
        return;
    }
    d->devid = devid;
    ksnprintf(d->name, sizeof(d->name), "vif%u", devid);
    int rc = netfront_connect(d, id);
    if (rc < 0) {
        printk("net: device/vif/%s not attached (%d); ignored until it is removed\n", id, rc);
        refuse(id);
        if (fresh && netfront_idle(d)) {
            free(d->queues);
            free(d);
        }
        return;
    }
    if (fresh) {
        devs[ndevs] = d;
        __atomic_store_n(&ndevs, ndevs + 1, __ATOMIC_RELEASE); /* xenolith_net_dev_count grows */
    }
    __atomic_store_n(&d->gone, 0, __ATOMIC_RELEASE);
    if (hotplug_live)
        printk("net: %s attached (device %d)\n", d->name, xenolith_net_dev_index(d));
    announce(d, 1);
}

/* The disconnect is done (NETFRONT_CLOSED): free what is left, tell the app. */
static void detach(struct xenolith_net_dev *d)
{
    int rc = netfront_release(d);
    if (rc < 0) {
        /* A thread is still in the queues: they stay as they are; a re-attach gets new. */
        d->queues = NULL;
        d->queues_cap = 0;
        d->nqueues = 0;
    }
    __atomic_store_n(&d->gone, 1, __ATOMIC_RELEASE);
    printk("net: %s: detached; rings, grants and pages released%s\n", d->name,
           rc < 0 ? " (a thread is still running: its queue memory stays allocated)" : "");
    announce(d, 0);
}

/* Bring the device table in line with xenstore. Under probe_lock. */
static void hotplug_scan(void)
{
    for (int i = 0; i < ndevs; i++)
        if (!devs[i]->gone && __atomic_load_n(&devs[i]->state, __ATOMIC_ACQUIRE) == NETFRONT_CLOSED)
            detach(devs[i]);
    char **ids = NULL;
    int n = xenbus_list("vif", &ids);
    if (n < 0) {
        printk("net: cannot list device/vif (%d)\n", n);
        return;
    }
    forget_refused(ids, n);
    if (n > 0)
        qsort(ids, (size_t)n, sizeof(*ids), xenbus_by_number);
    for (int i = 0; i < n; i++)
        attach(ids[i]);
    free(ids);
}

static void probe(void)
{
    mutex_lock(&probe_lock);
    if (!probed && xen.present) {
        hotplug_scan(); /* the boot's vifs, in devid order, connected in the caller's thread */
        if (xen_suspend_register(netfront_suspend, netfront_resume, NULL) < 0)
            printk("net: no memory for a resume handler\n");
        hotplug_live = xenbus_hotplug_start(&hotplug, "vif", &probe_lock, hotplug_scan) == 0;
    }
    __atomic_store_n(&probed, 1, __ATOMIC_RELEASE);
    mutex_unlock(&probe_lock);
}

/* ---- <xenolith/net.h> ---- */

int xenolith_net_dev_count(void)
{
    if (!__atomic_load_n(&probed, __ATOMIC_ACQUIRE))
        probe();
    return netfront_ndevs();
}

struct xenolith_net_dev *xenolith_net_dev_get(int index)
{
    return index >= 0 && index < xenolith_net_dev_count() ? devs[index] : NULL;
}

int xenolith_net_dev_index(struct xenolith_net_dev *d)
{
    for (int i = 0; i < netfront_ndevs(); i++)
        if (devs[i] == d)
            return i;
    return -1;
}

int xenolith_net_on_hotplug(xenolith_net_hotplug_fn fn, void *arg)
{
    xenolith_net_dev_count(); /* devices found, hotplug watched */
    /* In the order registered: the sockets layer's interface is there for the app's. */
    return callback_add(&hotplug_handlers, (callback_fn)fn, arg);
}
