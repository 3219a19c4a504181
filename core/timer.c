/*
 * Per-CPU one-shot timers. Each CPU keeps its armed timers in a heap ordered by
 * deadline and asks Xen for one interrupt (set_timer_op + VIRQ_TIMER) at the
 * earliest (core/platform.h). It may come early: anything not yet due is simply
 * re-armed. Without Xen there is no timer interrupt; the idle loop polls.
 * A CPU that goes offline hands its armed timers to another (timer_move_cpu).
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/time.h"
#include "core/timer.h"
#include "core/platform.h"
#include "core/smp.h"

void timer_init(struct timer *t, timer_fn fn, void *arg)
{
    timer_heap_node_init(&t->node);
    t->fn = fn;
    t->arg = arg;
    t->cpu = NULL;
}

/*
 * Tell Xen about the earliest deadline, if it changed. Caller holds tc->lock.
 * set_timer_op sets the calling VCPU's timer: only the owner may program it (a
 * cancel from another CPU would replace that CPU's own deadline with this one's).
 * The owner's timer then just fires early and re-arms.
 */
static void program(struct timer_cpu *tc)
{
    struct timer_heap_node *first = timer_heap_peek(&tc->heap);
    uint64_t want = first ? first->deadline : 0;
    if (want == tc->programmed || tc != &this_cpu()->timers)
        return;
    tc->programmed = want;
    if (want)
        platform->timer_set(want);
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    timer_cancel(t);
    struct cpu *c = this_cpu();
    struct timer_cpu *tc = &c->timers;
    uint64_t flags = spin_lock_irqsave(&tc->lock);
    t->cpu = c;
    timer_heap_insert(&tc->heap, &t->node, deadline_ns);
    program(tc);
    spin_unlock_irqrestore(&tc->lock, flags);
}

/* t->cpu changes only under the lock of the CPU it names: look again once locked. */
void timer_cancel(struct timer *t)
{
    for (;;) {
        struct cpu *c = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        if (!c)
            return;
        struct timer_cpu *tc = &c->timers;
        uint64_t flags = spin_lock_irqsave(&tc->lock);
        int moved = t->cpu != c; /* fired, or handed to another CPU meanwhile */
        if (!moved) {
            if (timer_heap_node_queued(&t->node)) {
                timer_heap_remove(&tc->heap, &t->node);
                program(tc);
            }
            t->cpu = NULL;
        }
        spin_unlock_irqrestore(&tc->lock, flags);
        if (!moved)
            return;
    }
}

/*
 * This CPU goes offline (interrupts off, nothing runs here): every armed timer
 * moves to `to`'s heap, deadlines kept. Only `to` may program its one-shot, so it
 * is told (reprogram) and kicked; timer_kicked does it there. Lock order: the
 * leaving CPU's, then the staying one's (a CPU that stays never moves timers).
 */
unsigned int timer_move_cpu(struct cpu *to)
{
    struct timer_cpu *from = &this_cpu()->timers, *dst = &to->timers;
    unsigned int n = 0;
    spin_lock(&from->lock);
    spin_lock(&dst->lock);
    struct timer_heap_node *node;
    while ((node = timer_heap_peek(&from->heap)) != NULL) {
        uint64_t deadline = timer_heap_node_deadline(node);
        timer_heap_remove(&from->heap, node);
        timer_heap_insert(&dst->heap, node, deadline);
        struct timer *t = (struct timer *)((char *)node - offsetof(struct timer, node));
        __atomic_store_n(&t->cpu, to, __ATOMIC_RELEASE);
        n++;
    }
    from->moved += n;
    dst->reprogram |= n > 0;
    spin_unlock(&dst->lock);
    spin_unlock(&from->lock);
    if (n)
        smp_kick_cpu(to);
    return n;
}

void timer_kicked(void)
{
    struct timer_cpu *tc = &this_cpu()->timers;
    if (!__atomic_load_n(&tc->reprogram, __ATOMIC_ACQUIRE))
        return;
    uint64_t flags = spin_lock_irqsave(&tc->lock);
    tc->reprogram = 0;
    program(tc);
    spin_unlock_irqrestore(&tc->lock, flags);
}

/* Back online: whatever one-shot was asked before going down has fired or is stale. */
void timer_rejoin_cpu(void)
{
    struct timer_cpu *tc = &this_cpu()->timers;
    uint64_t flags = spin_lock_irqsave(&tc->lock);
    tc->programmed = 0;
    program(tc);
    spin_unlock_irqrestore(&tc->lock, flags);
}

/* Run expired timers; `early`: count a timer interrupt with nothing due yet. */
static void run_expired(int from_virq)
{
    struct timer_cpu *tc = &this_cpu()->timers;
    uint64_t flags = spin_lock_irqsave(&tc->lock);
    struct timer_heap_node *first = timer_heap_peek(&tc->heap);
    if (from_virq && first && first->deadline > xenolith_time_now_ns())
        tc->early++; /* counted; re-armed below */
    for (;;) {
        struct timer_heap_node *n = timer_heap_peek(&tc->heap);
        if (!n)
            break;
        if (n->deadline > xenolith_time_now_ns())
            break;
        timer_heap_pop(&tc->heap);
        struct timer *t = (struct timer *)((char *)n - offsetof(struct timer, node));
        t->cpu = NULL;
        tc->fired++;
        /* Run without the lock: the callback may arm timers again. */
        spin_unlock(&tc->lock);
        t->fn(t, t->arg);
        spin_lock(&tc->lock);
    }
    tc->programmed = 0; /* the one-shot has fired (or we got here by polling) */
    program(tc);
    spin_unlock_irqrestore(&tc->lock, flags);
}

void timer_poll(void)
{
    run_expired(0);
}

static void timer_interrupt(void)
{
    run_expired(1);
}

int timer_init_cpu(struct cpu *c)
{
    struct timer_cpu *tc = &c->timers;
    tc->lock = (spinlock_t)SPINLOCK_INIT;
    timer_heap_init(&tc->heap);
    return platform->timer_init_cpu(c, timer_interrupt, 0);
}

/* After a resume in a new domain: the interrupt's routing and the deadline are gone. */
int timer_resume_cpu(struct cpu *c)
{
    struct timer_cpu *tc = &c->timers;
    int rc = platform->timer_init_cpu(c, timer_interrupt, 1);
    uint64_t flags = spin_lock_irqsave(&tc->lock);
    tc->programmed = 0;
    program(tc);
    spin_unlock_irqrestore(&tc->lock, flags);
    return rc;
}

void timer_dump_cpu(struct cpu *c)
{
    struct timer_cpu *tc = &c->timers;
    struct timer_heap_node *n = timer_heap_peek(&tc->heap);
    uint64_t now = xenolith_time_now_ns();
    printk(
        "    timers: %u armed, next %s%lu us, programmed %s%lu us, %lu fired, %lu early\n",
        (unsigned)tc->heap.count, n && n->deadline < now ? "-" : "+",
        (unsigned long)(n ? (n->deadline > now ? n->deadline - now : now - n->deadline) / 1000 : 0),
        tc->programmed && tc->programmed < now ? "-" : "+",
        (unsigned long)(tc->programmed
                            ? (tc->programmed > now ? tc->programmed - now : now - tc->programmed) /
                                  1000
                            : 0),
        (unsigned long)tc->fired, (unsigned long)tc->early);
}
