/*
 * The table of online CPUs, kicks and calls between them, and the idle wait. A
 * kick is an event channel IPI: taking the interrupt is what ends the other CPU's
 * halt (and starts its slice timer, see sched_preempt_point); the same IPI carries
 * cross-CPU calls such as TLB shootdowns. A CPU leaves the table and comes back
 * (VCPU offline and online, smp_cpu_offline_self) under the call lock, so every
 * call and every parking counts it or not, as a whole.
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "core/time.h"
#include <xenolith/thread.h>
#include "arch/x86/x86.h"
#include "core/platform.h"

static struct cpu *cpus[MAX_CPUS];  /* online */
static struct cpu *known[MAX_CPUS]; /* ever set up: online, or offline and able to come back */
static int nonline;
static unsigned int next_pick;

/* The one cross-CPU call in flight (call_lock serializes callers). */
static spinlock_t call_lock = SPINLOCK_INIT;
static struct {
    void (*fn)(void *);
    void *arg;
    unsigned gen;
    int remaining;
} call;

static struct {
    unsigned gen;      /* bumped to ask for a parking */
    unsigned released; /* == gen: the parked may go */
    int others;        /* CPUs asked */
    int parked, back, failed;
    int (*resume)(struct cpu *c);
} park;

static void call_service(void);

/*
 * Take call_lock with interrupts off, answering calls (and parkings, if asked)
 * meanwhile. Only for a CPU in the table: a call counts exactly those.
 */
static void call_lock_take(int may_park)
{
    while (!spin_trylock(&call_lock)) {
        call_service();
        if (may_park)
            smp_park_point();
        cpu_relax();
    }
}

/*
 * Join the table. A CPU coming back while a parking is under way waits for its end
 * (it was not counted, so it must not run on through a suspend), and takes no part
 * in parkings and calls from before it joined.
 */
void smp_register_cpu(struct cpu *c)
{
    BUG_ON(c->id >= MAX_CPUS);
    uint64_t f = irq_save();
    for (;;) {
        spin_lock(&call_lock); /* not in the table yet: no call is ours to answer */
        if (__atomic_load_n(&park.released, __ATOMIC_ACQUIRE) == park.gen)
            break;
        spin_unlock(&call_lock);
        spin_backoff();
    }
    c->smp.call_seen = call.gen;
    c->smp.park_seen = park.gen;
    c->online = 1;
    known[c->id] = c;
    __atomic_store_n(&cpus[c->id], c, __ATOMIC_RELEASE);
    __atomic_add_fetch(&nonline, 1, __ATOMIC_SEQ_CST);
    spin_unlock(&call_lock);
    irq_restore(f);
}

/*
 * Leave the table (this CPU, interrupts off). A parking that counted us is joined
 * first; once out, no parking or call counts us again, so none waits for a CPU
 * that is down.
 */
static void smp_unregister_self(struct cpu *c)
{
    for (;;) {
        call_lock_take(1);
        if (__atomic_load_n(&park.gen, __ATOMIC_ACQUIRE) == c->smp.park_seen)
            break;
        spin_unlock(&call_lock);
        smp_park_point();
    }
    __atomic_store_n(&cpus[c->id], NULL, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&nonline, 1, __ATOMIC_SEQ_CST);
    c->online = 0;
    spin_unlock(&call_lock);
}

struct cpu *smp_cpu(int id)
{
    if (id < 0 || id >= MAX_CPUS)
        return NULL;
    return __atomic_load_n(&cpus[id], __ATOMIC_ACQUIRE);
}

int smp_num_online(void)
{
    return nonline;
}

int xenolith_online_cpus(void)
{
    return nonline;
}

struct cpu *smp_known_cpu(int id)
{
    if (id < 0 || id >= MAX_CPUS)
        return NULL;
    return __atomic_load_n(&known[id], __ATOMIC_ACQUIRE);
}

int smp_cpu_leaving(struct cpu *c)
{
    return __atomic_load_n(&c->sched.leaving, __ATOMIC_ACQUIRE);
}

/* VCPU 0 never goes offline: the answer when every other one is leaving. */
struct cpu *smp_pick_cpu(void)
{
    for (int tries = 0; tries < MAX_CPUS; tries++) {
        unsigned int id = __atomic_fetch_add(&next_pick, 1, __ATOMIC_RELAXED) % MAX_CPUS;
        struct cpu *c = smp_cpu((int)id);
        if (c && !smp_cpu_leaving(c))
            return c;
    }
    return smp_cpu(0);
}

/* Run the call in flight if this CPU has not yet. Interrupts off. */
static void call_service(void)
{
    struct cpu *c = this_cpu();
    unsigned gen = __atomic_load_n(&call.gen, __ATOMIC_ACQUIRE);
    if (c->smp.call_seen == gen)
        return;
    c->smp.call_seen = gen;
    c->smp.calls++;
    call.fn(call.arg);
    __atomic_sub_fetch(&call.remaining, 1, __ATOMIC_RELEASE);
}

static void kick_handler(evtchn_port_t port, void *arg)
{
    call_service();
    timer_kicked(); /* timers moved here from a CPU going offline */
}

int smp_init_ipi(struct cpu *c)
{
    int rc = evtchn_bind_ipi(c->id, kick_handler, NULL, &c->smp.ipi_port);
    if (rc == 0)
        rc = evtchn_bind_poll_ipi(c->id, &c->smp.lock_port);
    return rc;
}

void smp_kick_cpu(struct cpu *c)
{
    if (c != this_cpu() && c->smp.ipi_port)
        evtchn_send(c->smp.ipi_port);
}

void smp_call_others(void (*fn)(void *), void *arg)
{
    if (__atomic_load_n(&nonline, __ATOMIC_ACQUIRE) <= 1)
        return;
    uint64_t flags = irq_save();
    struct cpu *me = this_cpu();
    /* Another caller may be waiting for us: answer it while we wait our turn. */
    call_lock_take(1);
    int n = 0;
    for (int id = 0; id < MAX_CPUS; id++)
        n += cpus[id] && cpus[id] != me;
    call.fn = fn;
    call.arg = arg;
    __atomic_store_n(&call.remaining, n, __ATOMIC_RELAXED);
    unsigned gen = __atomic_add_fetch(&call.gen, 1, __ATOMIC_RELEASE);
    me->smp.call_seen = gen;
    for (int id = 0; id < MAX_CPUS; id++)
        if (cpus[id] && cpus[id] != me)
            evtchn_send(cpus[id]->smp.ipi_port);
    /* VCPUs may outnumber physical CPUs: give ours to the targets while we wait. */
    for (unsigned spins = 1; __atomic_load_n(&call.remaining, __ATOMIC_ACQUIRE) > 0; spins++) {
        smp_park_point(); /* a suspend must not wait for us while we wait for a parked CPU */
        cpu_relax();
        if ((spins & 63) == 0)
            spin_backoff();
    }
    spin_unlock(&call_lock);
    irq_restore(flags);
}

/* ---- parking (suspend) ---- */

#define PARK_TIMEOUT_NS (10ULL * 1000000000ULL)

/* No time reads while parked: after a resume this CPU's clock is not set up yet. */
void smp_park_point(void)
{
    struct cpu *c = this_cpu();
    unsigned gen = __atomic_load_n(&park.gen, __ATOMIC_ACQUIRE);
    if (c->smp.park_seen == gen)
        return;
    c->smp.park_seen = gen;
    __atomic_add_fetch(&park.parked, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&park.released, __ATOMIC_ACQUIRE) != gen) {
        cpu_relax();
        spin_backoff();
    }
    if (park.resume && park.resume(c) < 0)
        __atomic_add_fetch(&park.failed, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&park.back, 1, __ATOMIC_SEQ_CST);
    call_service(); /* a call whose IPI a new domain lost */
}

int smp_park_others(void)
{
    struct cpu *me = this_cpu();
    park.parked = park.back = park.failed = 0;
    park.resume = NULL;
    park.others = 0;
    /* Under call_lock: a CPU leaving or joining the table is counted, or not, as a whole. */
    uint64_t f = irq_save();
    call_lock_take(0);
    unsigned gen = park.gen + 1;
    me->smp.park_seen = gen;
    __atomic_store_n(&park.gen, gen, __ATOMIC_RELEASE);
    for (int id = 0; id < MAX_CPUS; id++) {
        struct cpu *c = smp_cpu(id);
        if (c && c != me) {
            park.others++;
            evtchn_send(c->smp.ipi_port);
        }
    }
    spin_unlock(&call_lock);
    irq_restore(f);
    uint64_t t0 = xenolith_time_now_ns();
    while (__atomic_load_n(&park.parked, __ATOMIC_SEQ_CST) < park.others) {
        if (xenolith_time_now_ns() - t0 > PARK_TIMEOUT_NS) {
            printk("smp: only %d of %d VCPUs stopped for the suspend\n", park.parked, park.others);
            smp_release_others(NULL);
            return -ETIMEDOUT;
        }
        cpu_relax();
        spin_backoff();
    }
    return park.others;
}

int smp_release_others(int (*resume)(struct cpu *c))
{
    park.resume = resume;
    __atomic_store_n(&park.released, park.gen, __ATOMIC_RELEASE);
    /* Those that never parked (a timed-out parking) will find it released and go on. */
    while (__atomic_load_n(&park.back, __ATOMIC_SEQ_CST) <
           __atomic_load_n(&park.parked, __ATOMIC_SEQ_CST)) {
        cpu_relax();
        spin_backoff();
    }
    return park.failed ? -EIO : 0;
}

/* ---- VCPU offline ---- */

#define OFFLINE_TIMEOUT_NS (10ULL * 1000000000ULL)

int smp_offline_begin(unsigned int id)
{
    struct cpu *c = smp_cpu((int)id);
    if (id == 0)
        return -EPERM;
    if (!platform->cpu_down)
        return -ENOSYS;
    if (!c)
        return -ENOENT;
    __atomic_store_n(&c->smp.down, 0, __ATOMIC_RELEASE);
    sched_cpu_leave(c);
    return 0;
}

int smp_offline_wait(unsigned int id)
{
    struct cpu *c = smp_known_cpu((int)id);
    uint64_t t0 = xenolith_time_now_ns();
    while (c && !__atomic_load_n(&c->smp.down, __ATOMIC_ACQUIRE)) {
        if (xenolith_time_now_ns() - t0 > OFFLINE_TIMEOUT_NS)
            return -ETIMEDOUT;
        xenolith_thread_sleep_ns(1000000);
    }
    return c ? 0 : -ENOENT;
}

/* Back online (this CPU, interrupts off): its TLB may hold mappings that shootdowns skipped. */
static void rejoin(struct cpu *c)
{
    write_cr3(read_cr3());
    timer_rejoin_cpu();
    sched_cpu_rejoin();
    __atomic_store_n(&c->smp.down, 0, __ATOMIC_RELEASE);
    smp_register_cpu(c);
}

/*
 * On the CPU going offline, from its idle loop, interrupts off: threads, device
 * events and timers go to CPUs that stay (events before timers: their handlers,
 * run here one last time, may arm some); then out of the table, and down in the
 * hypervisor. When the toolstack brings it back in the same domain,
 * platform->cpu_down returns here (Xen keeps a down VCPU's state: nothing to
 * redo), and it joins again. In a new domain (a restore or a migration since it
 * went down) it never returns here: it starts afresh (smp_restart_cpu) and joins
 * through smp_cpu_restarted.
 */
void smp_cpu_offline_self(void)
{
    struct cpu *c = this_cpu();
    struct cpu *to = smp_pick_cpu();
    struct smp_left *left = &c->smp.left;
    left->to = to->id;
    left->threads = sched_cpu_drain();
    left->ports = platform->cpu_move_events ? platform->cpu_move_events(c, to) : 0;
    left->timers = timer_move_cpu(to);
    smp_unregister_self(c);
    c->smp.offlines++;
    __atomic_store_n(&c->smp.down, 1, __ATOMIC_RELEASE);
    int rc = platform->cpu_down(c);
    rejoin(c);
    if (rc < 0)
        printk("smp: vcpu %u could not go down (%d); it stays online\n", c->id, rc);
}

void smp_cpu_restarted(struct cpu *c)
{
    rejoin(c);
}

void spin_backoff(void)
{
    platform->yield();
}

#define SPINS_BEFORE_SLEEP 128
#define LOCK_SLEEP_NS      (10 * 1000000ULL) /* a safety net: the unlock wakes us */

/*
 * Sleep in Xen until l's holder lets go. Announce first (which lock, a clean port),
 * then mark the lock: an unlock either sees the mark, and so our announcement, or
 * happened before the mark could be set, and then we do not sleep at all.
 */
static void lock_sleep(spinlock_t *l, struct cpu *c)
{
    __atomic_store_n(&c->smp.sleeping, l, __ATOMIC_SEQ_CST);
    evtchn_poll_clear(c->smp.lock_port);
    uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
    while ((w & SPIN_LOCKED) && !(w & SPIN_SLEEPERS) &&
           !__atomic_compare_exchange_n(&l->word, &w, w | SPIN_SLEEPERS, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED))
        ;
    if (w & SPIN_LOCKED) {
        c->smp.lock_sleeps++;
        evtchn_poll(c->smp.lock_port, time_to_source_ns(xenolith_time_now_ns() + LOCK_SLEEP_NS));
    }
    __atomic_store_n(&c->smp.sleeping, NULL, __ATOMIC_SEQ_CST);
}

void spin_lock_slow(spinlock_t *l)
{
    /* Before this CPU's events exist (early boot, bare QEMU): only spin. */
    struct cpu *c = this_cpu();
    int can_sleep = c->smp.lock_port != 0;
    for (unsigned int spins = 1;; spins++) {
        if (!(__atomic_load_n(&l->word, __ATOMIC_RELAXED) & SPIN_LOCKED) && spin_trylock(l))
            return;
        cpu_relax();
        if (spins % SPINS_BEFORE_SLEEP == 0) {
            if (can_sleep)
                lock_sleep(l, c);
            else
                spin_backoff();
        }
    }
}

/* l is only a key here (its memory may already be reused): wake who sleeps on it. */
void spin_unlock_wake(spinlock_t *l)
{
    for (int id = 0; id < MAX_CPUS; id++) {
        struct cpu *c = __atomic_load_n(&cpus[id], __ATOMIC_ACQUIRE);
        if (c && __atomic_load_n(&c->smp.sleeping, __ATOMIC_SEQ_CST) == l)
            evtchn_send(c->smp.lock_port);
    }
}

/*
 * An upcall taken between the idle loop's sti and hlt returns to the hlt, and the
 * VCPU sleeps in Xen with the thread that upcall just woke left on its queue: a
 * lost wake-up. The sti shadow forbids it on real CPUs, but QEMU's emulated SVM
 * before 9.1 (Debian 12 has 7.2) drops the shadow across a #VMEXIT: when Xen exits
 * between the two instructions, it may inject the upcall right at the hlt. The
 * upcall entry calls this when it finds that; we return past the hlt instead.
 */
void smp_idle_irq_before_hlt(uint64_t *rip)
{
    static unsigned long total;
    struct cpu *c = this_cpu();
    *rip += 1; /* hlt is one byte */
    c->smp.irqs_before_hlt++;
    unsigned long n = __atomic_add_fetch(&total, 1, __ATOMIC_RELAXED);
    if (n == 1 || n == 100 || n == 10000)
        printk("smp: vcpu %u: upcall before the idle hlt (the CPU lost the sti shadow); resumed "
               "past it (%lu so far)\n",
               c->id, n);
}

void smp_idle_wait(void)
{
    platform->idle_wait();
}

void smp_dump_state(void)
{
    for (int id = 0; id < MAX_CPUS; id++) {
        struct cpu *c = smp_cpu(id);
        if (!c && smp_known_cpu(id))
            printk("  vcpu %d: offline (went %lu times)\n", id,
                   (unsigned long)smp_known_cpu(id)->smp.offlines);
        if (!c)
            continue;
        sched_dump_cpu(c);
        printk("    smp: %lu calls, %lu lock sleeps, %lu upcalls before the idle hlt\n",
               (unsigned long)c->smp.calls, (unsigned long)c->smp.lock_sleeps,
               (unsigned long)c->smp.irqs_before_hlt);
        timer_dump_cpu(c);
        if (platform->dump_cpu)
            platform->dump_cpu(c);
    }
    sched_dump_threads();
}
