/*
 * The hotplug thread of a frontend driver (see xenbus_hotplug.h). Scans run in a
 * thread of their own, not in the xenstore watch thread: connecting a device waits
 * for watch events (the backend's state).
 */
#include "core/kernel.h"
#include "drivers/xen/xenbus_hotplug.h"
#include <xen/io/xenbus.h>

void xenbus_hotplug_kick(struct xenbus_hotplug *h)
{
    if (!__atomic_load_n(&h->started, __ATOMIC_ACQUIRE))
        return; /* the first watch event scans anyway */
    __atomic_add_fetch(&h->kicks, 1, __ATOMIC_SEQ_CST);
    waitq_wake_all(&h->wq);
}

static void *hotplug_thread(void *arg)
{
    struct xenbus_hotplug *h = arg;
    unsigned int seen = 0;
    for (;;) {
        wait_event(&h->wq, __atomic_load_n(&h->kicks, __ATOMIC_ACQUIRE) != seen);
        seen = __atomic_load_n(&h->kicks, __ATOMIC_ACQUIRE);
        mutex_lock(h->lock);
        h->scan();
        mutex_unlock(h->lock);
    }
    return NULL;
}

static void changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    xenbus_hotplug_kick(arg);
}

int xenbus_hotplug_start(struct xenbus_hotplug *h, const char *type, struct mutex *lock,
                         void (*scan)(void))
{
    char name[24];
    ksnprintf(h->path, sizeof(h->path), "device/%s", type);
    ksnprintf(name, sizeof(name), "%s-hotplug", type);
    h->lock = lock;
    h->scan = scan;
    waitq_init(&h->wq);
    struct xenolith_thread *t = xenolith_thread_create(name, hotplug_thread, h, 0, 0);
    int rc = -ENOMEM;
    if (t) {
        xenolith_thread_detach(t);
        __atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
        rc = xenolith_xs_watch(&h->watch, h->path, changed, h);
    }
    if (rc < 0)
        printk("xenbus: cannot watch %s (%d); devices attached later will not be seen\n", h->path,
               rc);
    return rc;
}

int xenbus_freshly_added(const char *type, const char *id)
{
    char path[64];
    long state;
    ksnprintf(path, sizeof(path), "device/%s/%s/state", type, id);
    return xenolith_xs_read_int(XENOLITH_XS_NO_TX, path, &state) == 0 &&
           state == XenbusStateInitialising;
}
