/*
 * Threads and the scheduler. Cooperative: a thread runs until it blocks, sleeps or
 * yields. Each CPU has its own run queue; a thread stays on the CPU it was created
 * on, and waking it from elsewhere queues it there.
 */
#ifndef XENOLITH_SCHED_H
#define XENOLITH_SCHED_H

#include <stdint.h>
#include <errno.h>
#include <reent.h>
#include "core/list.h"
#include "core/spinlock.h"
#include "core/timer.h"
#include <xenolith/thread.h>

struct cpu;

enum thread_state { THREAD_RUNNING, THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_EXITING, THREAD_DEAD };

/* A queue of blocked threads, woken together or one at a time. */
struct waitq {
    spinlock_t lock;
    struct list waiters;
};

#define WAITQ_INIT(name)                                                                           \
    {                                                                                              \
        SPINLOCK_INIT, LIST_INIT((name).waiters)                                                   \
    }

/* One blocked thread in a waitq; lives on that thread's stack (see wait_event). */
struct waiter {
    struct list link;
    struct thread *t;
};

struct thread {
    uint64_t rsp; /* saved by context_switch */
    struct list run_link;
    enum thread_state state;
    struct cpu *cpu;
    int id;
    char name[24];
    void *stack_top;
    size_t stack_size;
    void *(*fn)(void *);
    void *arg;
    void *retval;
    int detached;
    struct waitq joiners;
    struct timer wake_timer; /* sleeps and timeouts */
    int timed_out;
    struct _reent reent; /* newlib state: errno, stdio buffers per thread */
};

/* Per-CPU scheduler state (embedded in struct cpu). */
struct sched_cpu {
    spinlock_t lock;
    struct list runq;
    struct thread *current;
    struct thread *idle;
    struct thread *prev; /* the thread we just switched away from */
    uint64_t switches;
    int idle_halted; /* blocked in the hypervisor waiting for an interrupt */
};

/* Set up the scheduler on this CPU; the caller becomes its first thread. */
void sched_init_cpu(struct cpu *c, const char *name);

/*
 * Create a thread running fn(arg) on CPU `cpu` (-1: spread over online CPUs).
 * stack_size 0 means the default (64 KiB). Returns NULL when out of memory.
 */
struct thread *thread_create(const char *name, void *(*fn)(void *), void *arg, int cpu,
                             size_t stack_size);

/* Wait for t to end and return its result; frees it. */
void *thread_join(struct thread *t);

/* t frees itself when it ends; nobody joins it. */
void thread_detach(struct thread *t);

_Noreturn void thread_exit(void *retval);

struct thread *thread_current(void);

/* Has this CPU's scheduler been set up (threads exist)? */
int sched_running(void);
void thread_yield(void);

/* Sleep at least ns nanoseconds. */
void thread_sleep_ns(uint64_t ns);

/* Make a blocked thread runnable (from any CPU, any context, including events). */
void thread_wake(struct thread *t);

/* Pick the next thread on this CPU and switch to it. */
void schedule(void);

/* Idle loop of a CPU: run threads; with none, block in the hypervisor. */
_Noreturn void sched_idle_loop(void);

void waitq_init(struct waitq *wq);
void waitq_wake_all(struct waitq *wq);
void waitq_wake_one(struct waitq *wq);

/* Building blocks of wait_event: queue the current thread, then forget it. */
void waitq_prepare(struct waitq *wq, struct waiter *w);
void waitq_finish(struct waitq *wq, struct waiter *w);

/*
 * Block until cond is true or timeout_ns (0: forever) has passed. Evaluates to 0,
 * or -ETIMEDOUT. cond is re-checked after every wake-up.
 */
#define wait_event_timeout(wq, cond, timeout_ns)                                                   \
    ({                                                                                             \
        int _rc = 0;                                                                               \
        struct waiter _w = {{&_w.link, &_w.link}, thread_current()};                               \
        uint64_t _deadline = (timeout_ns) ? time_now_ns() + (timeout_ns) : 0;                      \
        for (;;) {                                                                                 \
            waitq_prepare((wq), &_w);                                                              \
            if (cond)                                                                              \
                break;                                                                             \
            if (_deadline && time_now_ns() >= _deadline) {                                         \
                _rc = -ETIMEDOUT;                                                                  \
                break;                                                                             \
            }                                                                                      \
            sched_block_until(_deadline);                                                          \
        }                                                                                          \
        waitq_finish((wq), &_w);                                                                   \
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
void mutex_unlock(struct mutex *m);

#endif
