/* The frontend handshake shared by blkfront and netfront (xenbus_frontend.h). */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "drivers/xen/frontend_layout.h"
#include "drivers/xen/xenbus_frontend.h"

#define BIT(s) (1u << (s))

static const char *wait_failure(int s)
{
    return s == -ETIMEDOUT ? "timed out" : s < 0 ? "not answering" : xenbus_state_name(s);
}

int xenbus_frontend_connect(struct xenbus_device *xb, const struct xenbus_frontend *f)
{
    const uint32_t any = BIT(XenbusStateInitWait) | BIT(XenbusStateInitialised) |
                         BIT(XenbusStateConnected) | BIT(XenbusStateClosing) |
                         BIT(XenbusStateClosed);
    int s = xenbus_wait_otherend(xb, any, f->timeout_ns);
    if (s != XenbusStateInitWait) {
        printk("%s: backend %s is %s, not waiting for a frontend\n", f->who, xb->otherend,
               wait_failure(s));
        return s < 0 ? s : -EIO;
    }
    int rc = f->prepare(f->drv);
    if (rc < 0)
        return rc;
    /* The keys are all there before the state that tells the backend to read them. */
    if ((rc = xenolith_xs_transaction(f->write_keys, f->drv)) < 0 ||
        (rc = xenbus_switch_state(xb, f->publish_state)) < 0) {
        printk("%s: cannot write our keys to xenstore (%d)\n", f->who, rc);
        return rc;
    }
    s = xenbus_wait_otherend(
        xb, BIT(XenbusStateConnected) | BIT(XenbusStateClosing) | BIT(XenbusStateClosed),
        f->timeout_ns);
    if (s != XenbusStateConnected) {
        printk("%s: backend did not connect (%s)\n", f->who, wait_failure(s));
        return s < 0 ? s : -EIO;
    }
    if (f->finish && (rc = f->finish(f->drv)) < 0)
        return rc;
    if (f->publish_state != XenbusStateConnected)
        rc = xenbus_switch_state(xb, XenbusStateConnected);
    return rc < 0 ? rc : 0;
}

static int cpu_usable(int id, void *arg)
{
    struct cpu *c = id >= 0 ? smp_cpu(id) : NULL;
    return c && !smp_cpu_leaving(c);
}

int xenbus_frontend_queue_cpu(unsigned int index, int now)
{
    if (cpu_usable(now, NULL))
        return now;
    int cpu = frontend_layout_cpu(index, MAX_CPUS, cpu_usable, NULL);
    return cpu < 0 ? 0 : cpu;
}

void frontend_reconnect_begin(struct frontend_reconnect *r)
{
    __atomic_store_n(&r->busy, 1, __ATOMIC_RELEASE);
}

void frontend_reconnect_end(struct frontend_reconnect *r)
{
    __atomic_store_n(&r->busy, 0, __ATOMIC_RELEASE);
    waitq_wake_all(&r->wq);
}

int frontend_reconnect_wait(struct frontend_reconnect *r, uint64_t timeout_ns, const char *who)
{
    uint64_t t0 = xenolith_time_now_ns();
    int busy = __atomic_load_n(&r->busy, __ATOMIC_ACQUIRE);
    int rc = wait_event_timeout(&r->wq, !__atomic_load_n(&r->busy, __ATOMIC_ACQUIRE), timeout_ns);
    if (rc < 0)
        printk("%s: the reconnect after the last move has not finished; suspending anyway\n", who);
    else if (busy)
        printk("%s: the suspend waited %lu ms for the reconnect after the last move\n", who,
               (unsigned long)((xenolith_time_now_ns() - t0) / 1000000));
    return rc;
}

uint64_t frontend_timeout_ns(int ms, int fallback_ms)
{
    return (uint64_t)(ms > 0 ? ms : fallback_ms) * 1000000;
}
