/*
 * Cooperative threads with per-CPU run queues. The run queue lock of a CPU
 * protects its queue and the state of the threads that live there; wake-ups from
 * other CPUs or from event handlers take that lock and, if the CPU is idle in the
 * hypervisor, kick it with an IPI. Switching happens with interrupts off and no
 * lock held: only the owning CPU ever runs its threads.
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

void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void thread_trampoline(void);
_Noreturn void thread_start(struct thread *t);

static int next_thread_id;
static void set_state(struct thread *t, enum thread_state st);
static void switch_to(struct sched_cpu *s, struct thread *prev, struct thread *next);

int sched_running(void)
{
    struct cpu *c = this_cpu();
    return c && c->sched.current != NULL;
}

struct thread *thread_current(void)
{
    return this_cpu()->sched.current;
}

static void runq_add(struct sched_cpu *s, struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    list_add_tail(&s->runq, &t->run_link);
}

void schedule(void)
{
    struct cpu *c = this_cpu();
    struct sched_cpu *s = &c->sched;
    uint64_t flags = irq_save();

    spin_lock(&s->lock);
    struct thread *prev = s->current, *next;
    if (prev->state == THREAD_RUNNING && prev != s->idle)
        runq_add(s, prev);
    if (!list_empty(&s->runq)) {
        next = list_entry(s->runq.next, struct thread, run_link);
        list_del(&next->run_link);
    } else {
        next = s->idle;
    }
    next->state = THREAD_RUNNING;
    s->current = next;
    spin_unlock(&s->lock);

    if (next != prev)
        switch_to(s, prev, next);
    irq_restore(flags);
}

void thread_yield(void)
{
    schedule();
}

void thread_wake(struct thread *t)
{
    struct sched_cpu *s = &t->cpu->sched;
    uint64_t flags = spin_lock_irqsave(&s->lock);
    int kick = 0;
    if (t->state == THREAD_BLOCKED) {
        runq_add(s, t);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with the idle loop */
        kick = t->cpu != this_cpu() && __atomic_load_n(&s->idle_halted, __ATOMIC_SEQ_CST);
    }
    spin_unlock_irqrestore(&s->lock, flags);
    if (kick)
        smp_kick_cpu(t->cpu);
}

static void wake_timer_fired(struct timer *tm, void *arg)
{
    struct thread *t = arg;
    t->timed_out = 1;
    thread_wake(t);
}

void sched_block_until(uint64_t deadline_ns)
{
    struct thread *t = thread_current();
    t->timed_out = 0;
    if (deadline_ns)
        timer_arm(&t->wake_timer, deadline_ns);
    schedule();
    if (deadline_ns)
        timer_cancel(&t->wake_timer);
}

void thread_sleep_ns(uint64_t ns)
{
    struct thread *t = thread_current();
    uint64_t deadline = time_now_ns() + ns;
    /* Timers may fire early: loop until the deadline has really passed. */
    while (time_now_ns() < deadline) {
        set_state(t, THREAD_BLOCKED);
        sched_block_until(deadline);
    }
}

void waitq_init(struct waitq *wq)
{
    wq->lock = (spinlock_t)SPINLOCK_INIT;
    list_init(&wq->waiters);
}

static void set_state(struct thread *t, enum thread_state st)
{
    struct sched_cpu *s = &t->cpu->sched;
    uint64_t flags = spin_lock_irqsave(&s->lock);
    t->state = st;
    spin_unlock_irqrestore(&s->lock, flags);
}

void waitq_prepare(struct waitq *wq, struct waiter *w)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    if (!list_linked(&w->link))
        list_add_tail(&wq->waiters, &w->link);
    set_state(w->t, THREAD_BLOCKED);
    spin_unlock_irqrestore(&wq->lock, flags);
}

void waitq_finish(struct waitq *wq, struct waiter *w)
{
    struct sched_cpu *s = &w->t->cpu->sched;
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    if (list_linked(&w->link))
        list_del(&w->link);
    spin_lock(&s->lock);
    if (w->t->state == THREAD_RUNNABLE) /* woken while still running: leave the queue */
        list_del(&w->t->run_link);
    w->t->state = THREAD_RUNNING;
    spin_unlock(&s->lock);
    spin_unlock_irqrestore(&wq->lock, flags);
}

static void wake_list(struct waitq *wq, int all)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    while (!list_empty(&wq->waiters)) {
        struct waiter *w = list_entry(wq->waiters.next, struct waiter, link);
        list_del(&w->link);
        thread_wake(w->t);
        if (!all)
            break;
    }
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

void mutex_init(struct mutex *m)
{
    m->locked = 0;
    waitq_init(&m->wq);
}

void mutex_lock(struct mutex *m)
{
    wait_event(&m->wq, __atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE) == 0);
}

void mutex_unlock(struct mutex *m)
{
    __atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
    waitq_wake_one(&m->wq);
}

/* ---- thread life cycle ---- */

static void thread_free(struct thread *t)
{
    stack_free(t->stack_top, t->stack_size);
    free(t);
}

/*
 * Runs on the new stack right after a switch. A thread that exited could not free
 * its own stack or tell its joiner while still on it; the next thread does.
 */
static void finish_switch(struct sched_cpu *s)
{
    struct thread *prev = s->prev;
    s->prev = NULL;
    if (!prev || prev->state != THREAD_EXITING)
        return;
    if (prev->detached) {
        thread_free(prev);
        return;
    }
    __atomic_store_n(&prev->state, THREAD_DEAD, __ATOMIC_RELEASE);
    waitq_wake_all(&prev->joiners);
}

static void switch_to(struct sched_cpu *s, struct thread *prev, struct thread *next)
{
    s->switches++;
    s->prev = prev;
    context_switch(&prev->rsp, next->rsp);
    finish_switch(&this_cpu()->sched);
}

static void init_reent(struct thread *t)
{
    _REENT_INIT_PTR(&t->reent);
    /* One set of stdio streams for everyone (newlib's global stdio streams). */
    t->reent._stdin = _GLOBAL_REENT->_stdin;
    t->reent._stdout = _GLOBAL_REENT->_stdout;
    t->reent._stderr = _GLOBAL_REENT->_stderr;
}

_Noreturn void thread_start(struct thread *t)
{
    finish_switch(&t->cpu->sched);
    irq_enable();
    thread_exit(t->fn(t->arg));
}

static struct thread *thread_alloc(const char *name, struct cpu *c, size_t stack_size)
{
    struct thread *t = calloc(1, sizeof(*t));
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
    list_init(&t->run_link);
    waitq_init(&t->joiners);
    timer_init(&t->wake_timer, wake_timer_fired, t);
    init_reent(t);
    return t;
}

struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, int cpu,
                             size_t stack_size)
{
    struct cpu *c = cpu < 0 ? smp_pick_cpu() : smp_cpu(cpu);
    if (!c)
        return NULL;
    struct thread *t = thread_alloc(name, c, stack_size);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;

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

    struct sched_cpu *s = &c->sched;
    uint64_t flags = spin_lock_irqsave(&s->lock);
    runq_add(s, t);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int kick = c != this_cpu() && __atomic_load_n(&s->idle_halted, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&s->lock, flags);
    if (kick)
        smp_kick_cpu(c);
    return t;
}

_Noreturn void thread_exit(void *retval)
{
    struct thread *t = thread_current();
    t->retval = retval;
    set_state(t, THREAD_EXITING);
    schedule();
    panic("thread %s ran after exit", t->name);
}

void *thread_join(struct thread *t)
{
    wait_event(&t->joiners, __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == THREAD_DEAD);
    void *ret = t->retval;
    thread_free(t);
    return ret;
}

void thread_detach(struct thread *t)
{
    t->detached = 1;
}

/* ---- per-CPU set-up and the idle loop ---- */

void sched_init_cpu(struct cpu *c, const char *name)
{
    struct sched_cpu *s = &c->sched;
    s->lock = (spinlock_t)SPINLOCK_INIT;
    list_init(&s->runq);

    /* The code running now becomes this CPU's idle thread (boot stack and all). */
    struct thread *idle = calloc(1, sizeof(*idle));
    if (!idle)
        panic("sched: no memory for the idle thread");
    idle->cpu = c;
    idle->state = THREAD_RUNNING;
    strncpy(idle->name, name, sizeof(idle->name) - 1);
    list_init(&idle->run_link);
    waitq_init(&idle->joiners);
    timer_init(&idle->wake_timer, wake_timer_fired, idle);
    init_reent(idle);
    s->idle = idle;
    s->current = idle;
}

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
        if (!list_empty((struct list *)&s->runq)) {
            __atomic_store_n(&s->idle_halted, 0, __ATOMIC_SEQ_CST);
            irq_enable();
            schedule();
            continue;
        }
        smp_idle_wait();
        __atomic_store_n(&s->idle_halted, 0, __ATOMIC_SEQ_CST);
        irq_enable();
        timer_poll();
    }
}
