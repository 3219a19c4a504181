/*
 * Threads with per-CPU run queues. The run queue lock of a CPU protects its queue
 * and the state of the threads that live there; wake-ups from other CPUs or from
 * event handlers take that lock and, if the CPU is idle in the hypervisor, kick it
 * with an IPI. Switching happens with interrupts off and no lock held: only the
 * owning CPU ever runs its threads. While threads wait for a busy CPU, a slice
 * timer runs there; when it ends, the next interrupt that lands in application
 * code switches (sched_preempt_point). A CPU going offline runs only its idle
 * thread from its next switch on, and that moves every thread of the CPU to CPUs
 * that stay (sched_cpu_drain); a thread's cpu then changes under the old CPU's
 * lock, so whoever locks t->cpu's lock looks at t->cpu again once it holds it.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/x86.h"
#include "core/percpu.h"
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STACK (64 * 1024)
#define SLICE_NS      (10 * 1000000ULL) /* a turn while others wait */
#define RETRY_NS      (1000000ULL)      /* slice over, but not at a safe point: look again */

/* The application's own text (linker.ld): the only place a thread is preempted. */
extern char __app_text_start[], __app_text_end[];

void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void thread_trampoline(void);
_Noreturn void thread_start(struct xenolith_thread *t);

static int next_thread_id;
static void set_state(struct xenolith_thread *t, enum thread_state st);
static void switch_to(struct sched_cpu *s, struct xenolith_thread *prev,
                      struct xenolith_thread *next);

static struct xenolith_thread *thread_of(struct sched_entity *e)
{
    return list_entry(e, struct xenolith_thread, se);
}

int sched_running(void)
{
    struct cpu *c = this_cpu();
    return c && c->sched.rq.current != NULL;
}

struct xenolith_thread *thread_current(void)
{
    return thread_of(this_cpu()->sched.rq.current);
}

static struct list all_threads = LIST_INIT(all_threads);
static spinlock_t all_lock = SPINLOCK_INIT;

/* Start, restart or stop the slice timer for the thread now running. Interrupts off. */
static void slice_update(struct sched_cpu *s, int want)
{
    if (want)
        timer_arm(&s->slice, xenolith_time_now_ns() + SLICE_NS);
    else
        timer_cancel(&s->slice);
}

/*
 * Switch to the next thread of this CPU. A preempted thread stays runnable even
 * if it had said it would block: wait_event's condition is application code, so
 * the thread may be preempted between waitq_prepare and looking at the
 * condition; taken for blocked there, it missed a wake-up that came before its
 * prepare and slept with the condition true (runq_pick keeps it queued).
 */
static void switch_next(int preempted)
{
    struct cpu *c = this_cpu();
    struct sched_cpu *s = &c->sched;
    uint64_t flags = irq_save();

    spin_lock(&s->lock);
    struct xenolith_thread *prev = thread_current();
    int had_slice = s->rq.slice_armed;
    struct xenolith_thread *next = thread_of(runq_pick(&s->rq, preempted));
    int want_slice = s->rq.slice_armed;
    s->need_resched = 0;
    if (next != prev)
        s->prev = prev; /* under the lock: a drain sees it as not yet switched out */
    spin_unlock(&s->lock);

    /* A fresh turn for the next thread if others still wait behind it. */
    if (want_slice || had_slice)
        slice_update(s, want_slice);
    if (next != prev)
        switch_to(s, prev, next);
    irq_restore(flags);
}

void schedule(void)
{
    switch_next(0);
}

static void slice_over(struct timer *tm, void *arg)
{
    struct sched_cpu *s = arg;
    s->need_resched = 1;
}

void sched_preempt_point(uint64_t rip)
{
    struct sched_cpu *s = &this_cpu()->sched;
    if (!s->rq.current || s->rq.current == s->rq.idle)
        return;
    if (!s->need_resched) {
        /* Threads were queued here from elsewhere: start the turn (the kick got us here). */
        if (!__atomic_load_n(&s->rq.slice_armed, __ATOMIC_RELAXED) &&
            !list_empty((struct list *)&s->rq.queue)) {
            uint64_t f = spin_lock_irqsave(&s->lock);
            int start = !s->rq.slice_armed && !list_empty(&s->rq.queue);
            s->rq.slice_armed |= start;
            spin_unlock_irqrestore(&s->lock, f);
            if (start)
                slice_update(s, 1);
        }
        return;
    }
    if (rip >= (uintptr_t)__app_text_start && rip < (uintptr_t)__app_text_end) {
        s->preemptions++;
        switch_next(1);
        return;
    }
    /* In kernel or library code: it will block soon; if not, try again shortly. */
    s->need_resched = 0;
    timer_arm(&s->slice, xenolith_time_now_ns() + RETRY_NS);
}

void xenolith_thread_yield(void)
{
    schedule();
}

/*
 * t was just queued on its CPU (its lock held): must that CPU be kicked? Yes if it
 * halts in the hypervisor, or runs another thread with no slice timer that would
 * end that thread's turn (the kick's interrupt starts one, sched_preempt_point).
 * On this CPU, start the slice here (*local_slice: after the lock is dropped).
 */
static int enqueued_kick(struct sched_cpu *s, struct xenolith_thread *t, int *local_slice)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the idle loop */
    int busy = s->rq.current != s->rq.idle && !s->rq.slice_armed;
    if (t->cpu == this_cpu()) {
        if (busy && s->rq.current != &t->se) {
            s->rq.slice_armed = 1;
            *local_slice = 1;
        }
        return 0;
    }
    return __atomic_load_n(&s->idle_halted, __ATOMIC_SEQ_CST) || busy;
}

/* After the lock is dropped: c is where t was queued (t may move on by now). */
static void enqueued(struct cpu *c, int kick, int local_slice)
{
    if (local_slice)
        slice_update(&c->sched, 1);
    if (kick)
        smp_kick_cpu(c);
}

/* Lock the CPU t lives on. t->cpu changes under that lock only: look again once held. */
static struct cpu *lock_thread_cpu(struct xenolith_thread *t, uint64_t *flags)
{
    for (;;) {
        struct cpu *c = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        *flags = spin_lock_irqsave(&c->sched.lock);
        if (__atomic_load_n(&t->cpu, __ATOMIC_RELAXED) == c)
            return c;
        spin_unlock_irqrestore(&c->sched.lock, *flags);
    }
}

void thread_wake(struct xenolith_thread *t)
{
    uint64_t flags;
    struct cpu *c = lock_thread_cpu(t, &flags);
    struct sched_cpu *s = &c->sched;
    int kick = 0, local_slice = 0, woken = runq_wake(&s->rq, &t->se);
    BUG_ON(woken < 0);
    if (woken)
        kick = enqueued_kick(s, t, &local_slice);
    spin_unlock_irqrestore(&s->lock, flags);
    enqueued(c, kick, local_slice);
}

static void wake_timer_fired(struct timer *tm, void *arg)
{
    struct xenolith_thread *t = arg;
    t->timed_out = 1;
    thread_wake(t);
}

void sched_block_until(uint64_t deadline_ns)
{
    struct xenolith_thread *t = thread_current();
    t->timed_out = 0;
    if (deadline_ns)
        timer_arm(&t->wake_timer, deadline_ns);
    schedule();
    if (deadline_ns)
        timer_cancel(&t->wake_timer);
}

void xenolith_thread_sleep_ns(uint64_t ns)
{
    struct xenolith_thread *t = thread_current();
    uint64_t deadline = xenolith_time_now_ns() + ns;
    /* Timers may fire early: loop until the deadline has really passed. */
    while (xenolith_time_now_ns() < deadline) {
        set_state(t, THREAD_BLOCKED);
        sched_block_until(deadline);
    }
}

void waitq_init(struct waitq *wq)
{
    wq->lock = (spinlock_t)SPINLOCK_INIT;
    list_init(&wq->waiters);
}

static void set_state(struct xenolith_thread *t, enum thread_state st)
{
    struct sched_cpu *s = &t->cpu->sched;
    uint64_t flags = spin_lock_irqsave(&s->lock);
    t->se.state = st;
    spin_unlock_irqrestore(&s->lock, flags);
}

void waitq_prepare(struct waitq *wq, struct waiter *w)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    waiters_link(&wq->waiters, w);
    thread_of(w->e)->waiting = wq;
    set_state(thread_of(w->e), THREAD_BLOCKED);
    spin_unlock_irqrestore(&wq->lock, flags);
}

int waitq_finish(struct waitq *wq, struct waiter *w)
{
    struct sched_cpu *s = &thread_of(w->e)->cpu->sched;
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    int chosen = waiters_unlink(w);
    spin_lock(&s->lock);
    runq_settle(&s->rq, w->e);
    spin_unlock(&s->lock);
    spin_unlock_irqrestore(&wq->lock, flags);
    return chosen;
}

/* Wake the first waiter, or all of them. wq->lock held. */
static void wake_locked(struct waitq *wq, int all)
{
    struct waiter *w;
    while ((w = waiters_pop(&wq->waiters)) != NULL) {
        thread_wake(thread_of(w->e));
        if (!all)
            break;
    }
}

static void wake_list(struct waitq *wq, int all)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    wake_locked(wq, all);
    spin_unlock_irqrestore(&wq->lock, flags);
}

void waitq_wake_all(struct waitq *wq)
{
    wake_list(wq, 1);
}

void waitq_wake_one(struct waitq *wq)
{
    wake_list(wq, 0);
}

uint64_t waitq_lock(struct waitq *wq)
{
    return spin_lock_irqsave(&wq->lock);
}

void waitq_unlock_wake(struct waitq *wq, uint64_t flags, int all)
{
    wake_locked(wq, all);
    spin_unlock_irqrestore(&wq->lock, flags);
}

void mutex_init(struct mutex *m)
{
    m->locked = 0;
    waitq_init(&m->wq);
}

int mutex_trylock(struct mutex *m)
{
    return __atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

void mutex_lock(struct mutex *m)
{
    wait_event(&m->wq, mutex_trylock(m));
}

/* Under the queue's lock: the next owner may free the mutex once it has it. */
void mutex_unlock(struct mutex *m)
{
    uint64_t flags = waitq_lock(&m->wq);
    __atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
    waitq_unlock_wake(&m->wq, flags, 0);
}

void completion_init(struct completion *c)
{
    c->done = 0;
    waitq_init(&c->wq);
}

/*
 * done is set under the queue's lock: a waiter that sees it still takes that lock
 * in waitq_finish before it can return, so c (often on the waiter's stack) is not
 * touched once the waiter may have gone. Setting done first and waking second let
 * a waiter on another CPU return and reuse its stack under the waker's feet.
 */
void complete(struct completion *c)
{
    uint64_t flags = waitq_lock(&c->wq);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    waitq_unlock_wake(&c->wq, flags, 1);
}

int wait_for_completion_timeout(struct completion *c, uint64_t timeout_ns)
{
    return wait_event_timeout(&c->wq, __atomic_load_n(&c->done, __ATOMIC_ACQUIRE), timeout_ns);
}

/* ---- thread life cycle ---- */

static void all_add(struct xenolith_thread *t)
{
    uint64_t flags = spin_lock_irqsave(&all_lock);
    list_add_tail(&all_threads, &t->all_link);
    spin_unlock_irqrestore(&all_lock, flags);
}

static void thread_free(struct xenolith_thread *t)
{
    uint64_t flags = spin_lock_irqsave(&all_lock);
    list_del(&t->all_link);
    spin_unlock_irqrestore(&all_lock, flags);
    stack_free(t->stack_top, t->stack_size);
    free(t);
}

/*
 * Runs on the new stack right after a switch. A thread that exited could not free
 * its own stack or tell its joiner while still on it; the next thread does.
 */
static void finish_switch(struct sched_cpu *s)
{
    struct xenolith_thread *prev = s->prev;
    s->prev = NULL;
    if (!prev || prev->se.state != THREAD_EXITING)
        return;
    /*
     * Tell the joiner as complete() would, deciding detached-or-not under the same
     * lock as xenolith_thread_detach. (This used to store DEAD and then wake the joiners: a
     * joiner on another CPU that saw DEAD in between freed the thread, and the wake
     * took a lock and walked a list in freed memory, which spun this CPU forever
     * with interrupts off once the memory was reused.)
     */
    prev->se.state = THREAD_DEAD;
    uint64_t flags = spin_lock_irqsave(&prev->exited.wq.lock);
    int detached = prev->detached;
    if (!detached) {
        prev->exited.done = 1;
        wake_locked(&prev->exited.wq, 1);
    }
    spin_unlock_irqrestore(&prev->exited.wq.lock, flags);
    if (detached)
        thread_free(prev);
}

static void switch_to(struct sched_cpu *s, struct xenolith_thread *prev,
                      struct xenolith_thread *next)
{
    s->switches++;
    context_switch(&prev->rsp, next->rsp);
    finish_switch(&this_cpu()->sched);
}

static void init_reent(struct xenolith_thread *t)
{
    _REENT_INIT_PTR(&t->reent);
    /* One set of stdio streams for everyone (newlib's global stdio streams). */
    t->reent._stdin = _GLOBAL_REENT->_stdin;
    t->reent._stdout = _GLOBAL_REENT->_stdout;
    t->reent._stderr = _GLOBAL_REENT->_stderr;
}

_Noreturn void thread_start(struct xenolith_thread *t)
{
    finish_switch(&t->cpu->sched);
    irq_enable();
    thread_exit(t->fn(t->arg));
}

static struct xenolith_thread *thread_alloc(const char *name, struct cpu *c, size_t stack_size)
{
    struct xenolith_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->stack_size = ALIGN_UP(stack_size ? stack_size : DEFAULT_STACK, PAGE_SIZE);
    t->stack_top = stack_alloc(t->stack_size);
    if (!t->stack_top) {
        free(t);
        return NULL;
    }
    t->cpu = c;
    t->id = __atomic_add_fetch(&next_thread_id, 1, __ATOMIC_RELAXED);
    strncpy(t->name, name, sizeof(t->name) - 1);
    sched_entity_init(&t->se, THREAD_BLOCKED);
    completion_init(&t->exited);
    timer_init(&t->wake_timer, wake_timer_fired, t);
    init_reent(t);
    all_add(t);
    return t;
}

struct xenolith_thread *xenolith_thread_create(const char *name, void *(*fn)(void *), void *arg,
                                               int cpu, size_t stack_size)
{
    struct cpu *c = cpu < 0 ? smp_pick_cpu() : smp_cpu(cpu);
    if (!c)
        return NULL;
    struct xenolith_thread *t = thread_alloc(name, c, stack_size);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->made_for = cpu;

    /* A stack that context_switch can "return" into thread_trampoline from; the
     * trampoline then starts with rsp 16-byte aligned, as a caller would. */
    uint64_t *sp = (uint64_t *)t->stack_top;
    *--sp = (uintptr_t)thread_trampoline; /* return address */
    *--sp = 0;                            /* rbp */
    *--sp = 0;                            /* rbx */
    *--sp = (uintptr_t)t;                 /* r12: the thread */
    *--sp = 0;                            /* r13 */
    *--sp = 0;                            /* r14 */
    *--sp = 0;                            /* r15 */
    *--sp = 0x037f00001f80ULL;            /* MXCSR default, x87 control word default */
    t->rsp = (uintptr_t)sp;

    /* A CPU that started leaving meanwhile takes no threads: another one, or none if asked for it.
     */
    for (;;) {
        struct sched_cpu *s = &c->sched;
        uint64_t flags = spin_lock_irqsave(&s->lock);
        if (!s->leaving) {
            BUG_ON(runq_push(&s->rq, &t->se) < 0);
            int local_slice = 0, kick = enqueued_kick(s, t, &local_slice);
            spin_unlock_irqrestore(&s->lock, flags);
            enqueued(c, kick, local_slice);
            return t;
        }
        spin_unlock_irqrestore(&s->lock, flags);
        if (t->made_for >= 0) {
            thread_free(t);
            return NULL;
        }
        c = smp_pick_cpu();
        t->cpu = c;
    }
}

_Noreturn void thread_exit(void *retval)
{
    struct xenolith_thread *t = thread_current();
    t->retval = retval;
    set_state(t, THREAD_EXITING);
    schedule();
    panic("thread %s ran after exit", t->name);
}

void *xenolith_thread_join(struct xenolith_thread *t)
{
    wait_for_completion_timeout(&t->exited, 0);
    void *ret = t->retval;
    thread_free(t);
    return ret;
}

/* Under the lock finish_switch takes: either it sees the flag, or we see it ended. */
void xenolith_thread_detach(struct xenolith_thread *t)
{
    uint64_t flags = spin_lock_irqsave(&t->exited.wq.lock);
    int ended = t->exited.done;
    t->detached = !ended;
    spin_unlock_irqrestore(&t->exited.wq.lock, flags);
    if (ended)
        thread_free(t);
}

/* ---- per-CPU set-up and the idle loop ---- */

void sched_init_cpu(struct cpu *c, const char *name)
{
    struct sched_cpu *s = &c->sched;
    s->lock = (spinlock_t)SPINLOCK_INIT;

    /* The code running now becomes this CPU's idle thread (boot stack and all). */
    struct xenolith_thread *idle = calloc(1, sizeof(*idle));
    if (!idle)
        panic("sched: no memory for the idle thread");
    idle->cpu = c;
    sched_entity_init(&idle->se, THREAD_RUNNING);
    strncpy(idle->name, name, sizeof(idle->name) - 1);
    completion_init(&idle->exited);
    timer_init(&idle->wake_timer, wake_timer_fired, idle);
    init_reent(idle);
    timer_init(&s->slice, slice_over, s);
    all_add(idle);
    runq_init(&s->rq, &idle->se);
}

/*
 * smp_cpu_offline_self, set by sched_cpu_leave before it sets leaving: only an image
 * that can take a VCPU offline (vcpu_hotplug) links the offline path (draining threads,
 * timers and events to other CPUs).
 */
static void (*offline_self)(void);

_Noreturn void sched_idle_loop(void)
{
    struct sched_cpu *s = &this_cpu()->sched;
    for (;;) {
        irq_disable();
        /*
         * Say we are going to halt before looking at the queue: a waker on another
         * CPU queues first and looks at idle_halted second, so one of us sees the
         * other and the wake-up cannot be lost. Interrupts stay off until the halt.
         */
        __atomic_store_n(&s->idle_halted, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->leaving, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&s->idle_halted, 0, __ATOMIC_SEQ_CST);
            offline_self(); /* returns once this CPU is online again */
            irq_enable();
            continue;
        }
        if (!list_empty((struct list *)&s->rq.queue)) {
            __atomic_store_n(&s->idle_halted, 0, __ATOMIC_SEQ_CST);
            irq_enable();
            schedule();
            continue;
        }
        s->idle_halts++;
        smp_idle_wait();
        s->idle_wakes++;
        __atomic_store_n(&s->idle_halted, 0, __ATOMIC_SEQ_CST);
        irq_enable();
        timer_poll();
    }
}

/* ---- VCPU offline ---- */

void sched_cpu_leave(struct cpu *c)
{
    struct sched_cpu *s = &c->sched;
    __atomic_store_n(&offline_self, smp_cpu_offline_self, __ATOMIC_RELEASE);
    uint64_t flags = spin_lock_irqsave(&s->lock);
    s->leaving = 1;
    s->rq.draining = 1;
    s->need_resched = 1; /* the thread running there stops at its next safe point */
    spin_unlock_irqrestore(&s->lock, flags);
    smp_kick_cpu(c);
}

/* A thread that was made for a CPU going away: said on the console, after the locks. */
struct pinned_note {
    char name[24];
    int id, made_for;
    unsigned int to;
};
#define PINNED_NOTES 8

/* t (queued here, taken off) goes to the tail of to's queue. Both locks held. */
static void move_queued(struct xenolith_thread *t, struct cpu *to)
{
    __atomic_store_n(&t->cpu, to, __ATOMIC_RELEASE);
    BUG_ON(runq_push(&to->sched.rq, &t->se) < 0);
}

/* Note a moved thread; the first few pinned ones by name. */
static void note_moved(struct xenolith_thread *t, struct pinned_note *notes, unsigned int *pinned)
{
    if (t->made_for < 0)
        return;
    if (*pinned < PINNED_NOTES) {
        struct pinned_note *n = &notes[*pinned];
        memcpy(n->name, t->name, sizeof(n->name));
        n->id = t->id;
        n->made_for = t->made_for;
        n->to = t->cpu->id;
    }
    (*pinned)++;
}

/*
 * Queued threads first (each to the tail of a staying CPU's queue, which is kicked
 * if it halts or must start a slice), then blocked ones: they are in no queue, so
 * pointing them at another CPU is all it takes; their wake-up queues them there.
 * Nothing runs here but idle, and the last switch has finished (s->prev is clear),
 * so no moved thread is still on this CPU's stack of registers.
 */
unsigned int sched_cpu_drain(void)
{
    struct cpu *c = this_cpu();
    struct sched_cpu *s = &c->sched;
    struct pinned_note notes[PINNED_NOTES];
    unsigned int n = 0, pinned = 0;
    timer_cancel(&s->slice);
    spin_lock(&all_lock);
    spin_lock(&s->lock);
    BUG_ON(s->rq.current != s->rq.idle || s->prev);
    s->rq.slice_armed = 0;
    struct sched_entity *e;
    while ((e = runq_pop(&s->rq)) != NULL) {
        struct xenolith_thread *t = thread_of(e);
        struct cpu *to = smp_pick_cpu();
        spin_lock(&to->sched.lock);
        move_queued(t, to);
        int local_slice = 0, kick = enqueued_kick(&to->sched, t, &local_slice);
        spin_unlock(&to->sched.lock);
        if (kick)
            smp_kick_cpu(to);
        note_moved(t, notes, &pinned);
        n++;
    }
    for (struct list *l = all_threads.next; l != &all_threads; l = l->next) {
        struct xenolith_thread *t = list_entry(l, struct xenolith_thread, all_link);
        if (t->cpu != c || &t->se == s->rq.idle || t->se.state != THREAD_BLOCKED)
            continue;
        __atomic_store_n(&t->cpu, smp_pick_cpu(), __ATOMIC_RELEASE);
        note_moved(t, notes, &pinned);
        n++;
    }
    s->moved += n;
    spin_unlock(&s->lock);
    spin_unlock(&all_lock);
    for (unsigned int i = 0; i < pinned && i < PINNED_NOTES; i++)
        printk("sched: thread %d %s (made for vcpu %d) moves from vcpu %u, which goes offline, "
               "to vcpu %u\n",
               notes[i].id, notes[i].name, notes[i].made_for, c->id, notes[i].to);
    if (pinned > PINNED_NOTES)
        printk("sched: and %u more threads made for a VCPU moved from vcpu %u\n",
               pinned - PINNED_NOTES, c->id);
    return n;
}

void sched_cpu_rejoin(void)
{
    struct sched_cpu *s = &this_cpu()->sched;
    uint64_t flags = spin_lock_irqsave(&s->lock);
    s->leaving = 0;
    s->rq.draining = 0;
    s->need_resched = 0;
    spin_unlock_irqrestore(&s->lock, flags);
}

void sched_dump_cpu(struct cpu *c)
{
    struct sched_cpu *s = &c->sched;
    int n = 0;
    for (struct list *l = s->rq.queue.next; l != &s->rq.queue && n < 1000; l = l->next)
        n++;
    struct xenolith_thread *cur = s->rq.current ? thread_of(s->rq.current) : NULL;
    printk(
        "  vcpu %u: running %s (state %d), %d runnable, %s, %lu switches, %lu halts, %lu wakes\n",
        c->id, cur ? cur->name : "-", cur ? (int)cur->se.state : -1, n,
        s->idle_halted ? "halted" : "not halted", (unsigned long)s->switches,
        (unsigned long)s->idle_halts, (unsigned long)s->idle_wakes);
}

void sched_dump_threads(void)
{
    static const char *const names[] = {"running", "runnable", "blocked", "exiting", "dead"};
    uint64_t flags = spin_lock_irqsave(&all_lock);
    for (struct list *l = all_threads.next; l != &all_threads; l = l->next) {
        struct xenolith_thread *t = list_entry(l, struct xenolith_thread, all_link);
        printk("  thread %d %s on vcpu %u: %s%s, last waited on %p%s\n", t->id, t->name, t->cpu->id,
               names[t->se.state], list_linked(&t->se.run_link) ? " (queued)" : "",
               (void *)t->waiting,
               timer_heap_node_queued(&t->wake_timer.node) ? ", timer armed" : "");
    }
    spin_unlock_irqrestore(&all_lock, flags);
}
