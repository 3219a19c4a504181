/*
 * Event channels, ABI-independent part: the port -> handler table, binding and
 * closing through EVTCHNOP_*, and the upcall. The table is chunked (512 ports a
 * chunk, allocated on first bind) so there is no small fixed limit and lookups
 * from interrupt context need no lock. Each port's handler runs on the VCPU the
 * port is bound to; no global lock is taken on the dispatch path. A VCPU going
 * offline hands its device ports to another (evtchn_move_cpu); its own IPIs and
 * VIRQs stay with it.
 */
#include "core/kernel.h"
#include "core/options.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/apic.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/evtchn_abi.h"
#include "drivers/xen/shared_info.h"
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>
#include <stdlib.h>

#define CHUNK_PORTS 512
#define MAX_CHUNKS  (EVTCHN_FIFO_NR_CHANNELS / CHUNK_PORTS)

struct port_slot {
    evtchn_handler_t fn;
    void *arg;
    unsigned int vcpu;
    int mask_on_event; /* the handler runs with the port masked; the worker unmasks */
    int per_vcpu;      /* an IPI or per-VCPU VIRQ: Xen cannot move it (EVTCHNOP_bind_vcpu) */
};

/* Past this, an upcall stops and lets threads run; a timer brings it back. */
#define UPCALL_BUDGET_NS (10 * 1000000ULL)
#define UPCALL_RESUME_NS (1000000ULL)

static struct port_slot *chunks[MAX_CHUNKS];
static spinlock_t bind_lock = SPINLOCK_INIT; /* binding only; never on dispatch */
static const struct evtchn_abi *abi;
static int per_vcpu_vector; /* HVMOP_set_evtchn_upcall_vector worked: EOI each upcall */

static const char *opt_evtchn = "fifo";
KERNEL_OPTION(opt_evtchn, "evtchn", OPT_STRING, "event channel ABI: fifo (default) or 2level");

static struct port_slot *slot(evtchn_port_t port)
{
    if (port >= EVTCHN_FIFO_NR_CHANNELS)
        return NULL;
    struct port_slot *c = __atomic_load_n(&chunks[port / CHUNK_PORTS], __ATOMIC_ACQUIRE);
    return c ? &c[port % CHUNK_PORTS] : NULL;
}

unsigned int evtchn_port_vcpu(evtchn_port_t port)
{
    struct port_slot *s = slot(port);
    return s ? s->vcpu : 0;
}

/* 1, 10, 100, ...: a count worth a line on the console (rate limit for reports). */
static int worth_reporting(uint64_t n)
{
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    return n == 1;
}

static void dispatch(evtchn_port_t port)
{
    struct cpu *c = this_cpu();
    struct port_slot *s = slot(port);
    evtchn_handler_t fn = s ? __atomic_load_n(&s->fn, __ATOMIC_ACQUIRE) : NULL;
    if (!fn) {
        if (worth_reporting(++c->evtchn.spurious))
            printk("events: vcpu %u: event on port %u, which has no handler (%lu so far)\n", c->id,
                   port, (unsigned long)c->evtchn.spurious);
        return;
    }
    if (s->mask_on_event)
        abi->mask(port);
    c->evtchn.events++;
    fn(port, s->arg);
}

/* The timer's callback only marks work: the upcall it runs in does the rest. */
static void upcall_resume(struct timer *t, void *arg)
{
    struct cpu *c = this_cpu();
    __atomic_store_n(&c->vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
}

/*
 * The budget counts only our own time: a VCPU Xen preempted mid-scan (dom0 running on a
 * shared CPU) has not spent its budget on events. Asked only once the wall clock is over.
 */
static int budget_spent(struct cpu *c, uint64_t start, uint64_t steal0)
{
    uint64_t wall = xenolith_time_now_ns() - start;
    uint64_t stolen = xen_vcpu_steal_ns(c->id) - steal0;
    return stolen < wall && wall - stolen > UPCALL_BUDGET_NS;
}

/*
 * Clear the pending flag before scanning: a new event sets it again and re-raises
 * the vector. Bounded by time: events that keep coming (a backend storming a port
 * whose handler does not mask it) would otherwise keep interrupts off on this VCPU
 * for good; past the budget the scan stops, what is left stays queued, and a timer
 * resumes it shortly.
 */
void evtchn_upcall(void)
{
    struct cpu *c = this_cpu();
    c->evtchn.upcalls++;
    uint64_t start = 0, steal0 = 0; /* read only when a second pass is needed: rdtsc may trap */
    for (;;) {
        __atomic_store_n(&c->vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        int more = abi->handle_pending(c, dispatch);
        if (!more && !__atomic_load_n(&c->vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
            break;
        if (!start) {
            start = xenolith_time_now_ns();
            steal0 = xen_vcpu_steal_ns(c->id);
        } else if (xenolith_time_now_ns() - start > UPCALL_BUDGET_NS &&
                   budget_spent(c, start, steal0)) {
            if (worth_reporting(++c->evtchn.storms))
                printk("events: vcpu %u: events keep coming after %lu us; letting threads run "
                       "(%lu times so far)\n",
                       c->id, (unsigned long)(UPCALL_BUDGET_NS / 1000),
                       (unsigned long)c->evtchn.storms);
            /*
             * Clear the flag: Xen raises the vector only when it goes from 0 to 1,
             * so left set it would never come again, not even for the timer that
             * is to resume us. The work left is remembered by the ABI's own state.
             */
            __atomic_store_n(&c->vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
            timer_arm(&c->evtchn.resume, xenolith_time_now_ns() + UPCALL_RESUME_NS);
            break;
        }
    }
    if (per_vcpu_vector)
        apic_eoi();
    c->evtchn.upcalls_done++;
}

void evtchn_mask_on_event(evtchn_port_t port, int on)
{
    struct port_slot *s = slot(port);
    if (s)
        s->mask_on_event = on;
}

/* Record the handler for a freshly bound port and let its events through. */
static int attach(evtchn_port_t port, unsigned int vcpu, int per_vcpu, evtchn_handler_t fn,
                  void *arg)
{
    if (port >= abi->max_ports)
        return -ENOSPC;
    uint64_t flags = spin_lock_irqsave(&bind_lock);
    if (!chunks[port / CHUNK_PORTS]) {
        struct port_slot *c = calloc(CHUNK_PORTS, sizeof(*c));
        if (!c) {
            spin_unlock_irqrestore(&bind_lock, flags);
            return -ENOMEM;
        }
        __atomic_store_n(&chunks[port / CHUNK_PORTS], c, __ATOMIC_RELEASE);
    }
    int rc = abi->setup_port(port);
    if (rc == 0) {
        struct port_slot *s = slot(port);
        s->arg = arg;
        s->vcpu = vcpu;
        s->per_vcpu = per_vcpu;
        s->mask_on_event = 0;
        __atomic_store_n(&s->fn, fn, __ATOMIC_RELEASE);
    }
    spin_unlock_irqrestore(&bind_lock, flags);
    if (rc == 0)
        evtchn_unmask(port);
    return rc;
}

static void close_port(evtchn_port_t port)
{
    struct evtchn_close cl = {.port = port};
    hypercall_event_channel_op(EVTCHNOP_close, &cl);
}

/* Bind through Xen, then attach; undo the bind if attaching fails. */
static int bind_and_attach(long rc, evtchn_port_t port, unsigned int vcpu, int per_vcpu,
                           evtchn_handler_t fn, void *arg, evtchn_port_t *out)
{
    if (rc < 0)
        return (int)rc;
    rc = attach(port, vcpu, per_vcpu, fn, arg);
    if (rc < 0) {
        close_port(port);
        return (int)rc;
    }
    *out = port;
    return 0;
}

int evtchn_bind_virq(uint32_t virq, unsigned int vcpu, evtchn_handler_t fn, void *arg,
                     evtchn_port_t *port)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &b);
    return bind_and_attach(rc, b.port, vcpu, 1, fn, arg, port);
}

int evtchn_bind_ipi(unsigned int vcpu, evtchn_handler_t fn, void *arg, evtchn_port_t *port)
{
    struct evtchn_bind_ipi b = {.vcpu = vcpu};
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b);
    return bind_and_attach(rc, b.port, vcpu, 1, fn, arg, port);
}

int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t fn, void *arg, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = remote};
    long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);
    return bind_and_attach(rc, a.port, 0, 0, fn, arg, port);
}

int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_handler_t fn,
                            void *arg, evtchn_port_t *port)
{
    struct evtchn_bind_interdomain b = {.remote_dom = remote, .remote_port = remote_port};
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &b);
    return bind_and_attach(rc, b.local_port, 0, 0, fn, arg, port);
}

int evtchn_bind_existing(evtchn_port_t port, evtchn_handler_t fn, void *arg)
{
    return attach(port, 0, 0, fn, arg);
}

/* To an offline VCPU (or one going) the events would wait for good: VCPU 0 takes them. */
int evtchn_bind_vcpu(evtchn_port_t port, unsigned int vcpu)
{
    struct port_slot *s = slot(port);
    if (!s || !s->fn)
        return -EINVAL;
    struct cpu *c = smp_cpu((int)vcpu);
    if (!c || smp_cpu_leaving(c))
        vcpu = 0;
    struct evtchn_bind_vcpu b = {.port = port, .vcpu = vcpu};
    evtchn_mask(port);
    long rc = hypercall_event_channel_op(EVTCHNOP_bind_vcpu, &b);
    if (rc == 0)
        s->vcpu = vcpu;
    evtchn_unmask(port);
    return (int)rc;
}

/*
 * c goes offline (on c, interrupts off). Its device ports go to `to`; then what
 * is queued for c runs here once more: a FIFO event stays linked on the queue of
 * the VCPU it was raised for, and Xen does not queue it anywhere else until that
 * one consumes it. (2-level: the unmask in evtchn_bind_vcpu raises a pending one
 * on `to`.) The storm timer is per-VCPU: dropped.
 */
unsigned int evtchn_move_cpu(struct cpu *c, struct cpu *to)
{
    unsigned int moved = 0;
    timer_cancel(&c->evtchn.resume);
    for (unsigned int i = 0; i < MAX_CHUNKS; i++) {
        struct port_slot *chunk = __atomic_load_n(&chunks[i], __ATOMIC_ACQUIRE);
        for (unsigned int p = 0; chunk && p < CHUNK_PORTS; p++) {
            struct port_slot *s = &chunk[p];
            if (!__atomic_load_n(&s->fn, __ATOMIC_ACQUIRE) || s->vcpu != c->id || s->per_vcpu)
                continue;
            evtchn_port_t port = i * CHUNK_PORTS + p;
            int rc = evtchn_bind_vcpu(port, to->id);
            if (rc == 0)
                moved++;
            else
                printk("events: port %u stays on vcpu %u, which goes offline (%d)\n", port, c->id,
                       rc);
        }
    }
    __atomic_store_n(&c->vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    while (abi->handle_pending(c, dispatch))
        ;
    c->evtchn.moved += moved;
    return moved;
}

void evtchn_close(evtchn_port_t port)
{
    struct port_slot *s = slot(port);
    evtchn_mask(port);
    if (s)
        __atomic_store_n(&s->fn, NULL, __ATOMIC_RELEASE);
    close_port(port);
}

int evtchn_send(evtchn_port_t port)
{
    struct evtchn_send s = {.port = port};
    return (int)hypercall_event_channel_op(EVTCHNOP_send, &s);
}

void evtchn_mask(evtchn_port_t port)
{
    abi->mask(port);
}

void evtchn_unmask(evtchn_port_t port)
{
    /* Xen re-delivers an event that became pending while masked only if asked. */
    if (abi->unmask(port)) {
        struct evtchn_unmask u = {.port = port};
        hypercall_event_channel_op(EVTCHNOP_unmask, &u);
    }
}

static void poll_never_delivered(evtchn_port_t port, void *arg)
{
}

int evtchn_bind_poll_ipi(unsigned int vcpu, evtchn_port_t *port)
{
    int rc = evtchn_bind_ipi(vcpu, poll_never_delivered, NULL, port);
    if (rc == 0)
        evtchn_mask(*port);
    return rc;
}

void evtchn_poll_clear(evtchn_port_t port)
{
    abi->clear_pending(port);
}

void evtchn_poll(evtchn_port_t port, uint64_t deadline_ns)
{
    struct sched_poll p = {.nr_ports = 1, .timeout = deadline_ns};
    set_xen_guest_handle(p.ports, &port);
    hypercall_sched_op(SCHEDOP_poll, &p);
}

const char *evtchn_abi_name(void)
{
    return abi ? abi->name : "none";
}

const char *evtchn_upcall_name(void)
{
    return per_vcpu_vector ? "per-VCPU vector" : "domain callback vector";
}

int evtchn_init_cpu(struct cpu *c)
{
    timer_init(&c->evtchn.resume, upcall_resume, NULL);
    int rc = abi->init_cpu(c);
    if (rc < 0)
        return rc;
    /* Without a per-VCPU vector the domain-wide callback still reaches every VCPU. */
    if (apic_init_cpu() == 0) {
        struct xen_hvm_evtchn_upcall_vector v = {.vcpu = c->id, .vector = VECTOR_UPCALL};
        if (hypercall_hvm_op(HVMOP_set_evtchn_upcall_vector, &v) == 0)
            per_vcpu_vector = 1;
    }
    return 0;
}

int evtchn_init(void)
{
    struct cpu *boot = this_cpu();

    /* Every port starts masked (2-level); ports are unmasked as they get handlers. */
    for (unsigned int i = 0; i < ARRAY_SIZE(shared_info->evtchn_mask); i++)
        shared_info->evtchn_mask[i] = ~0UL;

    abi = &evtchn_abi_2level;
    if (__builtin_strcmp(opt_evtchn, "2level") != 0) {
        if (evtchn_fifo_probe(boot) == 0)
            abi = &evtchn_abi_fifo;
        else
            printk("events: FIFO ABI not available, using 2-level\n");
    }
    int rc = evtchn_init_cpu(boot);
    if (rc < 0)
        return rc;
    /*
     * The domain-wide callback (type 2: a vector) tells the toolstack we have PV
     * drivers and is the fallback when per-VCPU vectors are unavailable.
     */
    rc = xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, (2ULL << 56) | VECTOR_UPCALL);
    if (rc < 0 && !per_vcpu_vector) {
        printk("events: no way to receive upcalls (%d)\n", rc);
        return rc;
    }
    return 0;
}

/*
 * A new domain: every port we had is gone. Forget all handlers (a port number
 * may come back bound to something else) and set the ABI up again; each CPU then
 * runs evtchn_resume_cpu, and each subsystem binds its ports anew.
 */
int evtchn_resume(void)
{
    for (unsigned int i = 0; i < MAX_CHUNKS; i++)
        if (chunks[i])
            for (unsigned int p = 0; p < CHUNK_PORTS; p++)
                __atomic_store_n(&chunks[i][p].fn, NULL, __ATOMIC_RELEASE);
    int rc = abi->resume_domain();
    if (rc == 0)
        rc = xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, (2ULL << 56) | VECTOR_UPCALL);
    return rc;
}

int evtchn_resume_cpu(struct cpu *c)
{
    int rc = abi->resume_cpu(c);
    if (rc == 0 && per_vcpu_vector) {
        struct xen_hvm_evtchn_upcall_vector v = {.vcpu = c->id, .vector = VECTOR_UPCALL};
        rc = (int)hypercall_hvm_op(HVMOP_set_evtchn_upcall_vector, &v);
    }
    if (rc < 0)
        printk("events: vcpu %u: not set up again after resume (%d)\n", c->id, rc);
    return rc;
}

void evtchn_dump_cpu(struct cpu *c)
{
    if (!abi)
        return;
    printk("    xen: %s; events: upcall pending %u, mask %u, %lu upcalls (%lu done), %lu handled, "
           "%lu spurious, %lu storms\n",
           xen_vcpu_runstate(c->id), c->vi->evtchn_upcall_pending, c->vi->evtchn_upcall_mask,
           (unsigned long)c->evtchn.upcalls, (unsigned long)c->evtchn.upcalls_done,
           (unsigned long)c->evtchn.events, (unsigned long)c->evtchn.spurious,
           (unsigned long)c->evtchn.storms);
    /* The two ports that end an idle VCPU's halt: the kick and its timer. */
    char buf[160];
    abi->describe(c, c->smp.ipi_port, buf, sizeof(buf));
    printk("    ipi %s\n", buf);
    abi->describe(c, c->timers.virq_port, buf, sizeof(buf));
    printk("    timer %s\n", buf);
}
