/*
 * Xen PV console, output side. The ring page and its event channel come from HVM
 * params; output waits for space (yielding to Xen) rather than dropping. If the
 * backend corrupts the indices we stop using the ring and say so on 0xe9.
 */
#include "core/kernel.h"
#include "core/console.h"
#include "core/page_alloc.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/console.h"
#include "drivers/xen/physmap.h"
#include "drivers/xen/ring_write.h"
#include "core/sched.h"
#include "drivers/xen/evtchn.h"
#include <xen/event_channel.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#define FLUSH_SPINS 200000

static struct xencons_interface *ring;
static evtchn_port_t ring_port;
static int ring_broken;
static int events_on;
/* Boot's later lines wait in the ring for one notify when main starts: each notify wakes dom0. */
static int notify_held;

static void notify(void)
{
    struct evtchn_send send = {.port = ring_port};
    hypercall_event_channel_op(EVTCHNOP_send, &send);
}

static struct waitq output_wq = WAITQ_INIT(output_wq);
static spinlock_t ring_lock = SPINLOCK_INIT; /* sleeping and polling writers share the ring */

static int output_space(void)
{
    return __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) + sizeof(ring->out) !=
               ring->out_prod ||
           ring_broken;
}

static void ring_write(const char *s, size_t n, int can_sleep)
{
    int pending_cr = 0;
    while (n && !ring_broken) {
        uint64_t flags = spin_lock_irqsave(&ring_lock);
        long put = xencons_ring_put(ring, s, n, &pending_cr);
        spin_unlock_irqrestore(&ring_lock, flags);
        if (put < 0) {
            ring_broken = 1;
            const char msg[] = "xen console: backend corrupted the ring indices; ring abandoned\n";
            for (size_t i = 0; i < sizeof(msg) - 1; i++)
                __asm__ volatile("outb %0, $0xe9" : : "a"(msg[i]));
            return;
        }
        if (!__atomic_load_n(&notify_held, __ATOMIC_RELAXED) || (size_t)put < n)
            notify();
        s += put;
        n -= (size_t)put;
        if (!n)
            break;
        /* Ring full: sleep until the backend's event says it drained (bounded, in
         * case events are not flowing yet), or yield to it when we cannot sleep. */
        if (can_sleep && events_on)
            wait_event_timeout(&output_wq, output_space(), 100 * 1000 * 1000);
        else
            hypercall_sched_op(SCHEDOP_yield, NULL);
    }
}

static struct waitq input_wq = WAITQ_INIT(input_wq);

static int input_ready(void)
{
    return __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE) != ring->in_cons || ring_broken;
}

/* Blocks until at least one byte has arrived; returns bytes read or -EIO. */
static long ring_read(char *buf, size_t n)
{
    wait_event(&input_wq, input_ready());
    uint32_t cons = ring->in_cons;
    uint32_t prod = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE);
    if (ring_broken || prod - cons > sizeof(ring->in)) {
        ring_broken = 1;
        return -EIO;
    }
    size_t got = 0;
    while (got < n && cons != prod)
        buf[got++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
    __atomic_store_n(&ring->in_cons, cons, __ATOMIC_RELEASE);
    notify();
    return (long)got;
}

static void console_event(evtchn_port_t port, void *arg)
{
    waitq_wake_all(&input_wq);
    waitq_wake_all(&output_wq);
}

int xen_console_enable_events(void)
{
    if (!ring)
        return -ENODEV;
    int rc = evtchn_bind_existing(ring_port, console_event, NULL);
    events_on = rc == 0;
    return rc;
}

static const struct console_backend xen_ring = {"xen-console", ring_write, ring_read};

int xen_console_init(int keep_debugcon)
{
    uint64_t pfn, port;

    if (xen_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) < 0 || pfn == 0 ||
        xen_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) < 0) {
        printk("console: no PV console offered by the toolstack\n");
        return -ENODEV;
    }
    if (pfn >= (1ULL << 40) || port >= (1ULL << 17)) {
        printk("console: implausible console pfn %#lx / port %lu\n", (unsigned long)pfn,
               (unsigned long)port);
        return -EINVAL;
    }
    if (physmap_check_foreign(pfn, "console") < 0)
        return -EINVAL;
    if (vm_map(pfn << PAGE_SHIFT, pfn << PAGE_SHIFT, 1, VM_RW) < 0)
        return -ENOMEM;
    ring = (struct xencons_interface *)(uintptr_t)(pfn << PAGE_SHIFT);
    ring_port = (evtchn_port_t)port;
    notify_held = 1;
    console_set_ring(&xen_ring, keep_debugcon);
    notify(); /* what boot said so far: the first lines show as early as they can */
    return 0;
}

void xen_console_boot_done(void)
{
    if (!ring || !__atomic_exchange_n(&notify_held, 0, __ATOMIC_RELAXED))
        return;
    notify();
}

/*
 * Resume in a new domain: the ring page stays where it was (the toolstack put
 * it back), its event channel is new. Output written meanwhile is in the ring;
 * the first notify tells the new console daemon.
 */
int xen_console_resume(void)
{
    uint64_t port;
    if (!ring)
        return 0;
    if (xen_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) < 0 || port >= (1ULL << 17)) {
        printk("console: no usable event channel after resume\n");
        ring_broken = 1;
        return -EIO;
    }
    ring_port = (evtchn_port_t)port;
    int rc = events_on ? evtchn_bind_existing(ring_port, console_event, NULL) : 0;
    notify();
    return rc;
}

void xen_console_flush(void)
{
    if (!ring || ring_broken)
        return;
    for (int i = 0; i < FLUSH_SPINS; i++) {
        if (__atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) == ring->out_prod)
            return;
        notify();
        hypercall_sched_op(SCHEDOP_yield, NULL);
    }
}
