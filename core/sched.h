/*
 * Threads and the scheduler. Each CPU has its own run queue; a thread stays on
 * the CPU it was created on, and waking it from elsewhere queues it there. When
 * that CPU goes offline its threads move to CPUs that stay (sched_cpu_drain), for
 * good: t->cpu changes only under the lock of the CPU it names.
 * Kernel code is cooperative: it runs until it blocks, sleeps or yields.
 * Application code is also preempted at a safe point: when other threads wait on
 * its CPU for longer than a time slice, the next interrupt that lands in the
 * application's own text switches to them (see sched_preempt_point).
 */
#ifndef XENOLITH_SCHED_H
#define XENOLITH_SCHED_H

#include <stdint.h>
#include <errno.h>
#include <reent.h>
#include "core/list.h"
#include "core/runq.h"
#include "core/spinlock.h"
#include "core/timer.h"
#include <xenolith/thread.h>

struct cpu;

/* A queue of blocked threads, woken together or one at a time. */
struct waitq {
    spinlock_t lock;
    struct list waiters;
};

#define WAITQ_INIT(name)                                                                           \
    {                                                                                              \
        SPINLOCK_INIT, LIST_INIT((name).waiters)                                                   \
    }

struct completion {
    int done;
    struct waitq wq;
};

struct xenolith_thread {
    struct sched_entity se; /* run state and run queue place (core/runq.h) */
    uint64_t rsp;           /* saved by context_switch */
    struct list all_link;   /* every thread, for the stall report */
    struct waitq *waiting;  /* the queue it last waited on (for the report) */
    struct cpu *cpu;
    int id;
    char name[24];
    void *stack_top;
    size_t stack_size;
    void *(*fn)(void *);
    void *arg;
    void *retval;
    int detached; /* under exited.wq.lock: nobody joins; it frees itself */
    int made_for; /* the CPU asked for at creation, or -1 (moved too if it goes offline) */
    struct completion exited;
    struct timer wake_timer; /* sleeps and timeouts */
    int timed_out;
    struct _reent reent; /* newlib state: errno, stdio buffers per thread */
};

/* Per-CPU scheduler state (embedded in struct cpu). */
struct sched_cpu {
    spinlock_t lock;              /* guards rq and the run state of this CPU's threads */
    struct runq rq;               /* current, idle and the queue (core/runq.h) */
    struct xenolith_thread *prev; /* the thread we just switched away from */
    uint64_t switches;
    uint64_t preemptions;
    uint64_t idle_halts, idle_wakes; /* state dumps: in the halt, or stuck on the way */
    int idle_halted;                 /* blocked in the hypervisor waiting for an interrupt */
    int need_resched;                /* the slice is over: switch at the next safe point */
    int leaving;                     /* under lock: going offline, takes no new threads */
    uint64_t moved;                  /* threads moved away when this CPU went offline */
    struct timer slice;              /* ends the current thread's turn while others wait */
};

/* Set up the scheduler on this CPU; the caller becomes its first thread. */
void sched_init_cpu(struct cpu *c, const char *name);

/*
 * Create a thread running fn(arg) on CPU `cpu` (-1: spread over online CPUs).
 * stack_size 0 means the default (64 KiB). Returns NULL when out of memory.
 */
struct xenolith_thread *xenolith_thread_create(const char *name, void *(*fn)(void *), void *arg,
                                               int cpu, size_t stack_size);

/* Wait for t to end and return its result; frees it. */
void *xenolith_thread_join(struct xenolith_thread *t);

/* t frees itself when it ends; nobody joins it. */
void xenolith_thread_detach(struct xenolith_thread *t);

_Noreturn void thread_exit(void *retval);

struct xenolith_thread *thread_current(void);

/* Has this CPU's scheduler been set up (threads exist)? */
int sched_running(void);
void xenolith_thread_yield(void);

/* Sleep at least ns nanoseconds. */
void xenolith_thread_sleep_ns(uint64_t ns);

/* Make a blocked thread runnable (from any CPU, any context, including events). */
void thread_wake(struct xenolith_thread *t);

/* Pick the next thread on this CPU and switch to it. */
void schedule(void);

/* Idle loop of a CPU: run threads; with none, block in the hypervisor. */
_Noreturn void sched_idle_loop(void);

void waitq_init(struct waitq *wq);
void waitq_wake_all(struct waitq *wq);
void waitq_wake_one(struct waitq *wq);

/*
 * Change what the waiters wait for, and wake them, under the queue's lock:
 *     flags = waitq_lock(wq); obj->done = 1; waitq_unlock_wake(wq, flags, all);
 * Needed when the object holding wq may be freed (or be a stack frame that
 * returns) as soon as a waiter sees the change: a waiter cannot leave
 * wait_event before it has taken the lock once more, so the waker is done with
 * wq by then. Changing first and waking after touched freed memory.
 */
uint64_t waitq_lock(struct waitq *wq);
void waitq_unlock_wake(struct waitq *wq, uint64_t flags, int all);

/*
 * Building blocks of wait_event: queue the current thread, then forget it.
 * waitq_finish returns 1 when a waker took w off the queue (the thread was
 * chosen), 0 when it was still queued.
 */
void waitq_prepare(struct waitq *wq, struct waiter *w);
int waitq_finish(struct waitq *wq, struct waiter *w);

/*
 * Block until cond is true or timeout_ns (0: forever) has passed. Evaluates to 0,
 * or -ETIMEDOUT. cond is re-checked after every wake-up. A waiter that gives up
 * after waitq_wake_one chose it passes the wake-up on, so the one meant for it is
 * not lost to the others (a semaphore given just as its waiter timed out).
 */
#define wait_event_timeout(wq, cond, timeout_ns)                                                   \
    ({                                                                                             \
        int _rc = 0;                                                                               \
        struct waiter _w = {{&_w.link, &_w.link}, &thread_current()->se};                          \
        uint64_t _deadline = (timeout_ns) ? xenolith_time_now_ns() + (timeout_ns) : 0;             \
        for (;;) {                                                                                 \
            waitq_prepare((wq), &_w);                                                              \
            if (cond)                                                                              \
                break;                                                                             \
            if (_deadline && xenolith_time_now_ns() >= _deadline) {                                \
                _rc = -ETIMEDOUT;                                                                  \
                break;                                                                             \
            }                                                                                      \
            sched_block_until(_deadline);                                                          \
        }                                                                                          \
        if (waitq_finish((wq), &_w) && _rc)                                                        \
            waitq_wake_one(wq);                                                                    \
        _rc;                                                                                       \
    })

#define wait_event(wq, cond) ((void)wait_event_timeout(wq, cond, 0))

/* Block the current thread (already marked blocked) until woken or deadline (0: none). */
void sched_block_until(uint64_t deadline_ns);

/* A sleeping lock for threads (never from interrupt context). */
struct mutex {
    int locked;
    struct waitq wq;
};

#define MUTEX_INIT(name)                                                                           \
    {                                                                                              \
        0, WAITQ_INIT((name).wq)                                                                   \
    }

void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
int mutex_trylock(struct mutex *m); /* 1 if taken */
void mutex_unlock(struct mutex *m);

/*
 * Completions: a one-shot event that one side signals and the other waits for.
 * Safe when the completion lives on the waiter's stack: complete() is done with
 * it before the waiter can see it completed and return.
 */
void completion_init(struct completion *c);
void complete(struct completion *c);
/* 0 once completed, or -ETIMEDOUT (timeout_ns 0: wait forever). */
int wait_for_completion_timeout(struct completion *c, uint64_t timeout_ns);

/*
 * Called on the way out of an interrupt with the interrupted instruction's
 * address: switches threads if this CPU's slice is over and rip is in the
 * application's own text (never kernel, lwIP or newlib code, which may rely on
 * running undisturbed between its blocking points). Interrupts off.
 */
void sched_preempt_point(uint64_t rip);

/*
 * VCPU offline. sched_cpu_leave (any CPU): c takes no new threads and stops
 * running its own at the next safe point; its idle loop then calls
 * smp_cpu_offline_self. sched_cpu_drain (on the leaving CPU, interrupts off,
 * idle running): every queued and blocked thread of this CPU moves to a CPU that
 * stays; returns how many. sched_cpu_rejoin: back online, takes threads again.
 */
void sched_cpu_leave(struct cpu *c);
unsigned int sched_cpu_drain(void);
void sched_cpu_rejoin(void);

/* Print this CPU's scheduler state, and every thread (for the stall report). */
void sched_dump_cpu(struct cpu *c);
void sched_dump_threads(void);

#endif
