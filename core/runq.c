/*
 * The scheduler's state machine (see runq.h): pure logic, callers hold the locks.
 * A thread is in at most one run queue, and only while RUNNABLE; the running
 * thread may sit there too, when it was woken before it got round to blocking.
 */
#include <errno.h>
#include "core/runq.h"

void runq_init(struct runq *rq, struct sched_entity *idle)
{
    list_init(&rq->queue);
    rq->current = idle;
    rq->idle = idle;
    rq->slice_armed = 0;
    rq->draining = 0;
}

void sched_entity_init(struct sched_entity *e, enum thread_state state)
{
    list_init(&e->run_link);
    e->state = state;
}

int runq_push(struct runq *rq, struct sched_entity *e)
{
    if (list_linked(&e->run_link))
        return -EEXIST;
    e->state = THREAD_RUNNABLE;
    list_add_tail(&rq->queue, &e->run_link);
    return 0;
}

int runq_wake(struct runq *rq, struct sched_entity *e)
{
    if (e->state != THREAD_BLOCKED)
        return 0;
    int rc = runq_push(rq, e);
    return rc < 0 ? rc : 1;
}

struct sched_entity *runq_pick(struct runq *rq, int preempted)
{
    struct sched_entity *prev = rq->current, *next = rq->idle;
    if (prev != rq->idle &&
        (prev->state == THREAD_RUNNING || (preempted && prev->state == THREAD_BLOCKED)))
        runq_push(rq, prev);
    if (!rq->draining && !list_empty(&rq->queue)) {
        next = list_entry(rq->queue.next, struct sched_entity, run_link);
        list_del(&next->run_link);
    }
    next->state = THREAD_RUNNING;
    rq->current = next;
    rq->slice_armed = next != rq->idle && !list_empty(&rq->queue);
    return next;
}

struct sched_entity *runq_pop(struct runq *rq)
{
    if (list_empty(&rq->queue))
        return NULL;
    struct sched_entity *e = list_entry(rq->queue.next, struct sched_entity, run_link);
    list_del(&e->run_link);
    return e;
}

void runq_settle(struct runq *rq, struct sched_entity *e)
{
    if (e->state == THREAD_RUNNABLE)
        list_del(&e->run_link);
    e->state = THREAD_RUNNING;
}

void waiters_link(struct list *waiters, struct waiter *w)
{
    if (!list_linked(&w->link))
        list_add_tail(waiters, &w->link);
}

int waiters_unlink(struct waiter *w)
{
    if (!list_linked(&w->link))
        return 1;
    list_del(&w->link);
    return 0;
}

struct waiter *waiters_pop(struct list *waiters)
{
    if (list_empty(waiters))
        return NULL;
    struct waiter *w = list_entry(waiters->next, struct waiter, link);
    list_del(&w->link);
    return w;
}
