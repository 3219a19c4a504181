/*
 * xenbus frontend helpers: device discovery, the state handshake with the
 * backend, and typed reads of backend properties. Everything read from xenstore
 * is the toolstack's or backend's word: checked before use.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "drivers/xen/xenbus.h"
#include "drivers/xen/xenbus_parse.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
    "Unknown", "Initialising", "InitWait",      "Initialised",  "Connected",
    "Closing", "Closed",       "Reconfiguring", "Reconfigured",
};

const char *xenbus_state_name(int state)
{
    return state >= 0 && (size_t)state < ARRAY_SIZE(state_names) ? state_names[state] : "invalid";
}

int xenbus_by_number(const void *a, const void *b)
{
    unsigned long x = strtoul(*(char *const *)a, NULL, 10);
    unsigned long y = strtoul(*(char *const *)b, NULL, 10);
    return x < y ? -1 : x > y;
}

int xenbus_list(const char *type, char ***ids)
{
    char path[64];
    ksnprintf(path, sizeof(path), "device/%s", type);
    int n = xenolith_xs_directory(XENOLITH_XS_NO_TX, path, ids);
    return n == -ENOENT ? 0 : n;
}

static void otherend_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    struct xenbus_device *dev = arg;
    __atomic_add_fetch(&dev->otherend_changes, 1, __ATOMIC_SEQ_CST);
    waitq_wake_all(&dev->otherend_wq);
}

int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id)
{
    char path[sizeof(dev->nodename) + 16];
    long backend_id;

    memset(dev, 0, sizeof(*dev));
    waitq_init(&dev->otherend_wq);
    if (ksnprintf(dev->nodename, sizeof(dev->nodename), "device/%s/%s", type, id) >=
        (int)sizeof(dev->nodename))
        return -ENAMETOOLONG;

    ksnprintf(path, sizeof(path), "%s/backend", dev->nodename);
    int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, path, dev->otherend, sizeof(dev->otherend));
    if (rc <= 0 || dev->otherend[0] != '/') {
        printk("xenbus: %s: no usable backend path (%d)\n", dev->nodename, rc);
        return rc < 0 ? rc : -EINVAL;
    }
    ksnprintf(path, sizeof(path), "%s/backend-id", dev->nodename);
    rc = xenolith_xs_read_int(XENOLITH_XS_NO_TX, path, &backend_id);
    if (rc < 0 || backend_id < 0 || backend_id >= DOMID_FIRST_RESERVED) {
        printk("xenbus: %s: bad backend-id\n", dev->nodename);
        return rc < 0 ? rc : -EINVAL;
    }
    dev->otherend_id = (domid_t)backend_id;

    ksnprintf(path, sizeof(path), "%s/state", dev->otherend);
    rc = xenolith_xs_watch(&dev->otherend_watch, path, otherend_changed, dev);
    if (rc < 0)
        return rc;
    dev->watching = 1;
    return 0;
}

void xenbus_device_release(struct xenbus_device *dev)
{
    if (dev->watching)
        xenolith_xs_unwatch(&dev->otherend_watch);
    dev->watching = 0;
}

int xenbus_switch_state(struct xenbus_device *dev, XenbusState state)
{
    char path[sizeof(dev->nodename) + 8], val[4];
    ksnprintf(path, sizeof(path), "%s/state", dev->nodename);
    ksnprintf(val, sizeof(val), "%d", (int)state);
    return xenolith_xs_write(XENOLITH_XS_NO_TX, path, val);
}

int xenbus_otherend_state(struct xenbus_device *dev)
{
    char path[sizeof(dev->otherend) + 8];
    long v;
    ksnprintf(path, sizeof(path), "%s/state", dev->otherend);
    int rc = xenolith_xs_read_int(XENOLITH_XS_NO_TX, path, &v);
    if (rc < 0)
        return rc == -ENOENT ? XenbusStateUnknown : rc;
    if (v < XenbusStateUnknown || v > XenbusStateReconfigured)
        return -EINVAL;
    return (int)v;
}

int xenbus_wait_otherend(struct xenbus_device *dev, uint32_t mask, uint64_t timeout_ns)
{
    uint64_t deadline = xenolith_time_now_ns() + timeout_ns;
    for (;;) {
        unsigned int seen = __atomic_load_n(&dev->otherend_changes, __ATOMIC_SEQ_CST);
        int s = xenbus_otherend_state(dev);
        if (s >= 0 && (mask & (1u << s)))
            return s;
        if (s < 0 && s != -EINVAL)
            return s;
        uint64_t now = xenolith_time_now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        /* Woken by the state watch; re-read in any case after a while. */
        wait_event_timeout(&dev->otherend_wq,
                           __atomic_load_n(&dev->otherend_changes, __ATOMIC_SEQ_CST) != seen,
                           MIN(deadline - now, 1000000000ULL));
    }
}

unsigned long xenbus_otherend_ulong(struct xenbus_device *dev, const char *name, unsigned long dflt)
{
    char path[sizeof(dev->otherend) + 64], val[32];
    unsigned long v;
    ksnprintf(path, sizeof(path), "%s/%s", dev->otherend, name);
    int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, path, val, sizeof(val));
    if (rc == -ENOENT)
        return dflt;
    if (rc >= 0)
        rc = xenbus_parse_ulong(val, &v);
    if (rc < 0) {
        printk("xenbus: %s: %s is not an unsigned number (%d); using %lu\n", dev->nodename, path,
               rc, dflt);
        return dflt;
    }
    return v;
}

unsigned long xenbus_fit_report(const char *who, const char *name, unsigned long v,
                                unsigned long lo, unsigned long hi)
{
    unsigned long use;
    switch (xenbus_fit(v, lo, hi, &use)) {
    case XENBUS_FITS:
        break;
    case XENBUS_RAISED:
        printk("%s: backend's %s %lu is less than we need; raised to %lu\n", who, name, v, use);
        break;
    case XENBUS_CAPPED:
        printk("%s: backend's %s %lu is more than we can use; clamped to %lu\n", who, name, v, use);
        break;
    }
    return use;
}

unsigned long xenbus_otherend_count(struct xenbus_device *dev, const char *who, const char *name,
                                    unsigned long dflt, unsigned long lo, unsigned long hi)
{
    return xenbus_fit_report(who, name, xenbus_otherend_ulong(dev, name, dflt), lo, hi);
}

int xenbus_printf(xenolith_xs_tx_t tx, struct xenbus_device *dev, const char *name, const char *fmt,
                  ...)
{
    char path[sizeof(dev->nodename) + 64], val[128];
    va_list ap;
    ksnprintf(path, sizeof(path), "%s/%s", dev->nodename, name);
    va_start(ap, fmt);
    int n = kvsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(val))
        return -E2BIG;
    return xenolith_xs_write(tx, path, val);
}
