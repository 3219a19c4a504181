/*
 * The scheduler's state machine as pure logic: a thread's run state, its place in
 * its CPU's run queue and in a wait queue, and the rules that move it between
 * them. No locks, no switching, no CPUs: core/sched.c holds the locks and does the
 * switching around these, and tests/unit/test_runq.c drives them through the races
 * that used to lose wake-ups.
 */
#ifndef XENOLITH_RUNQ_H
#define XENOLITH_RUNQ_H

#include "core/list.h"

enum thread_state { THREAD_RUNNING, THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_EXITING, THREAD_DEAD };

/* The part of a thread the run queue sees (embedded in struct xenolith_thread). */
struct sched_entity {
    struct list run_link;
    enum thread_state state;
};

/* One CPU's queue (embedded in struct sched_cpu; its lock guards it). */
struct runq {
    struct list queue;
    struct sched_entity *current;
    struct sched_entity *idle;
    int slice_armed; /* a slice timer runs for current: others wait behind it */
    int draining;    /* the CPU goes offline: only idle runs, the queue is moved away */
};

/* One blocked thread in a wait queue; lives on that thread's stack (see wait_event). */
struct waiter {
    struct list link;
    struct sched_entity *e;
};

void runq_init(struct runq *rq, struct sched_entity *idle);
void sched_entity_init(struct sched_entity *e, enum thread_state state);

/* Put e at the tail, runnable. Returns -EEXIST (and changes nothing) if already queued. */
int runq_push(struct runq *rq, struct sched_entity *e);

/*
 * A wake-up: a blocked e is queued (returns 1); running or runnable ones are left
 * be (0). -EEXIST: e was blocked yet queued, a broken invariant.
 */
int runq_wake(struct runq *rq, struct sched_entity *e);

/*
 * Choose what runs next and make it current. The previous current goes back to
 * the tail if it was running, or, when `preempted`, even if it had said it would
 * block (it was stopped before it could look at its condition). Sets slice_armed
 * when others still wait behind the chosen one. While draining, the chosen one is
 * always idle (the queue keeps the rest for runq_pop). Returns the chosen one.
 */
struct sched_entity *runq_pick(struct runq *rq, int preempted);

/*
 * Take the first queued entity off (NULL if none), to move it to another CPU's
 * queue: it stays RUNNABLE, so a wake-up meanwhile leaves it be, and runq_push
 * on the other queue takes it.
 */
struct sched_entity *runq_pop(struct runq *rq);

/* A thread that was woken while still running goes on running: off the queue. */
void runq_settle(struct runq *rq, struct sched_entity *e);

/* Wait queues. waiters_link adds w unless it is still queued from an earlier round. */
void waiters_link(struct list *waiters, struct waiter *w);
/* Take w off; returns 1 if a waker had already taken it (it was chosen), 0 if not. */
int waiters_unlink(struct waiter *w);
/* Take the first waiter off (NULL if none): the waker then wakes its entity. */
struct waiter *waiters_pop(struct list *waiters);

#endif
