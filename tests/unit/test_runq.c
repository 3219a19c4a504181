// Host tests for core/runq.c, the scheduler's state machine: FIFO order, idle when
// empty, the slice flag, and the interleavings that used to lose wake-ups, replayed
// step by step: a thread preempted between waitq_prepare and its condition check,
// a waiter chosen by wake_one that then times out, a wake-up that lands while the
// thread still runs, double wake-ups, a CPU drained for going offline (its queue
// moved to another, wake-ups meanwhile), and a randomized run against a model.
// UNIT-SOURCES: core/runq.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/runq.h"

#define N 8

static struct runq rq;
static struct sched_entity idle, th[N];
static struct list waiters;
static struct waiter w[N];

static int setup(void **state)
{
    sched_entity_init(&idle, THREAD_RUNNING);
    runq_init(&rq, &idle);
    list_init(&waiters);
    for (int i = 0; i < N; i++) {
        sched_entity_init(&th[i], THREAD_BLOCKED);
        list_init(&w[i].link);
        w[i].e = &th[i];
    }
    return 0;
}

static int queued(struct sched_entity *e)
{
    for (struct list *l = rq.queue.next; l != &rq.queue; l = l->next)
        if (l == &e->run_link)
            return 1;
    return 0;
}

/* Make e the running thread (it was queued), as a switch to it would. */
static void run(struct sched_entity *e)
{
    assert_int_equal(runq_wake(&rq, e), e->state == THREAD_BLOCKED);
    while (rq.current != e)
        assert_ptr_not_equal(runq_pick(&rq, 0), &idle);
}

/* What wait_event does before it looks at its condition. */
static void prepare(int i)
{
    waiters_link(&waiters, &w[i]);
    th[i].state = THREAD_BLOCKED;
}

/* A waker: pop one waiter and wake it. */
static struct sched_entity *wake_one(void)
{
    struct waiter *x = waiters_pop(&waiters);
    if (!x)
        return NULL;
    runq_wake(&rq, x->e);
    return x->e;
}

static void test_fifo_and_idle(void **state)
{
    assert_ptr_equal(runq_pick(&rq, 0), &idle);
    for (int i = 0; i < 4; i++)
        assert_int_equal(runq_wake(&rq, &th[i]), 1);
    for (int i = 0; i < 4; i++) {
        struct sched_entity *e = runq_pick(&rq, 0);
        assert_ptr_equal(e, &th[i]);
        assert_int_equal(e->state, THREAD_RUNNING);
        /* others wait behind all but the last: the slice runs for them */
        assert_int_equal(rq.slice_armed, i < 3);
        e->state = THREAD_BLOCKED; /* it blocks */
    }
    assert_ptr_equal(runq_pick(&rq, 0), &idle);
    assert_int_equal(rq.slice_armed, 0);
}

static void test_yield_goes_to_the_tail(void **state)
{
    run(&th[0]);
    runq_wake(&rq, &th[1]);
    assert_ptr_equal(runq_pick(&rq, 0), &th[1]); /* th[0] was running: requeued */
    assert_true(queued(&th[0]));
    assert_ptr_equal(runq_pick(&rq, 0), &th[0]);
    assert_false(queued(&th[1]) && queued(&th[0]));
}

static void test_double_wake_queues_once(void **state)
{
    assert_int_equal(runq_wake(&rq, &th[2]), 1);
    assert_int_equal(runq_wake(&rq, &th[2]), 0);
    assert_int_equal(runq_push(&rq, &th[2]), -EEXIST);
    assert_ptr_equal(runq_pick(&rq, 0), &th[2]);
    assert_ptr_equal(runq_pick(&rq, 0), &th[2]); /* still running: requeued and chosen */
    th[2].state = THREAD_BLOCKED;
    assert_ptr_equal(runq_pick(&rq, 0), &idle);
}

/*
 * The lost wake-up behind schedstress's stalls: the waker sets the condition and
 * wakes before the waiter's prepare; the waiter prepares (BLOCKED) and is preempted
 * while evaluating its condition. A preemption must not take it for blocked.
 */
static void test_preempted_before_its_check(void **state)
{
    run(&th[0]);
    runq_wake(&rq, &th[1]);                      /* someone else waits for the CPU */
    assert_null(wake_one());                     /* the waker finds nobody queued yet */
    prepare(0);                                  /* then th[0] queues itself and says BLOCKED */
    assert_ptr_equal(runq_pick(&rq, 1), &th[1]); /* preempted before its check */
    assert_true(queued(&th[0]));
    assert_int_equal(th[0].state, THREAD_RUNNABLE);
    th[1].state = THREAD_BLOCKED;
    assert_ptr_equal(runq_pick(&rq, 0), &th[0]); /* it runs and sees its condition */
    assert_int_equal(waiters_unlink(&w[0]), 0);  /* still queued: not chosen */

    /* The same step as an ordinary block does sleep: no preemption, no queueing. */
    prepare(0);
    runq_wake(&rq, &th[1]);
    assert_ptr_equal(runq_pick(&rq, 0), &th[1]);
    assert_false(queued(&th[0]));
}

/* wake_one chooses a waiter that is giving up: it must say so, to pass it on. */
static void test_chosen_then_timed_out(void **state)
{
    run(&th[0]);
    prepare(0);
    th[1].state = THREAD_RUNNING; /* th[1] waits too, on another CPU's queue */
    waiters_link(&waiters, &w[1]);
    th[1].state = THREAD_BLOCKED;
    /* th[0] checks its condition (false) and its deadline (passed) ... */
    assert_ptr_equal(wake_one(), &th[0]);       /* ... while the waker picks it */
    assert_int_equal(waiters_unlink(&w[0]), 1); /* it was chosen */
    runq_settle(&rq, &th[0]);
    assert_false(queued(&th[0]));
    assert_int_equal(th[0].state, THREAD_RUNNING);
    /* passing it on reaches th[1] */
    assert_ptr_equal(wake_one(), &th[1]);
    assert_true(queued(&th[1]));
}

/* Woken while still running (before it blocked): it leaves the queue and goes on. */
static void test_woken_while_running(void **state)
{
    run(&th[3]);
    prepare(3);
    assert_ptr_equal(wake_one(), &th[3]);
    assert_true(queued(&th[3]));
    assert_int_equal(waiters_unlink(&w[3]), 1);
    runq_settle(&rq, &th[3]);
    assert_false(queued(&th[3]));
    assert_ptr_equal(rq.current, &th[3]);
    /* and if instead it blocks after all, the queued wake-up runs it at once */
    prepare(3);
    assert_ptr_equal(wake_one(), &th[3]);
    assert_ptr_equal(runq_pick(&rq, 0), &th[3]);
    assert_false(queued(&th[3]));
}

/*
 * A CPU going offline: once draining, only idle runs there. The thread it stops
 * (running, or preempted after saying it blocks) goes to the queue like any
 * other, and runq_pop hands the queue out in order, each still RUNNABLE: a wake-up
 * between the pop and the push on the other CPU changes nothing, and the push
 * there takes it. A thread that really blocked is in no queue: it moves by its
 * CPU pointer alone (core/sched.c) and its wake-up queues it where it lives then.
 */
static void test_drain_for_offline(void **state)
{
    struct runq other;
    struct sched_entity other_idle;
    sched_entity_init(&other_idle, THREAD_RUNNING);
    runq_init(&other, &other_idle);

    run(&th[0]);
    runq_wake(&rq, &th[1]);
    runq_wake(&rq, &th[2]);
    prepare(3); /* th[3] blocks for real, before the drain */
    rq.draining = 1;
    assert_ptr_equal(runq_pick(&rq, 0), &idle); /* th[0] stopped: requeued, idle runs */
    assert_int_equal(rq.slice_armed, 0);
    assert_true(queued(&th[0]));
    assert_ptr_equal(runq_pick(&rq, 0), &idle); /* and stays so with work queued */

    struct sched_entity *e, *order[N];

    int n = 0;
    while ((e = runq_pop(&rq)) != NULL) {
        assert_int_equal(e->state, THREAD_RUNNABLE);
        assert_int_equal(runq_wake(&rq, e), 0); /* a wake-up in between: nothing to do */
        assert_int_equal(runq_push(&other, e), 0);
        order[n++] = e;
    }
    assert_int_equal(n, 3);
    assert_ptr_equal(order[0], &th[1]);
    assert_ptr_equal(order[1], &th[2]);
    assert_ptr_equal(order[2], &th[0]);
    assert_ptr_equal(runq_pick(&rq, 0), &idle);

    /* th[3]'s waker now finds it through its new CPU: queued there, not here. */
    struct waiter *x = waiters_pop(&waiters);
    assert_ptr_equal(x, &w[3]);
    assert_int_equal(runq_wake(&other, x->e), 1);
    assert_false(queued(&th[3]));
    struct sched_entity *want[] = {&th[1], &th[2], &th[0], &th[3]};
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(runq_pick(&other, 0), want[i]); /* in the order they came */
        want[i]->state = THREAD_BLOCKED;
    }
    assert_ptr_equal(runq_pick(&other, 0), &other_idle);
    /* A drained CPU that comes back runs its own threads again. */
    rq.draining = 0;
    assert_int_equal(runq_push(&rq, &th[4]), 0);
    assert_ptr_equal(runq_pick(&rq, 0), &th[4]);

    /* A thread preempted between prepare and its check is kept, and moved too. */
    prepare(4);
    rq.draining = 1;
    assert_ptr_equal(runq_pick(&rq, 1), &idle);
    assert_ptr_equal(runq_pop(&rq), &th[4]);
    assert_null(runq_pop(&rq));
}

/*
 * Random interleavings of what threads and wakers may do, against the invariants:
 * queued exactly when RUNNABLE; only the current thread RUNNING; a thread taken off
 * the CPU by a preemption is queued; a blocked thread off the CPU waits in the list
 * (a waker can reach it). A thread between prepare and its decision ("prepared")
 * may be preempted; resumed, it decides: finish (its condition held) or block.
 */
static void test_random_interleavings(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int prepared[N] = {0};
    for (int k = 0; k < N; k++) /* new threads start queued */
        runq_wake(&rq, &th[k]);
    for (int step = 0; step < 200000; step++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        int i = (int)(seed % N), op = (int)((seed >> 8) % 6);
        struct sched_entity *cur = rq.current;
        int c = cur == &idle ? -1 : (int)(cur - th);
        switch (op) {
        case 0: /* a wake-up from a timer or an event */
            runq_wake(&rq, &th[i]);
            break;
        case 1:
            wake_one();
            break;
        case 2: /* the current thread starts a wait, or decides it */
            if (c < 0)
                break;
            if (!prepared[c]) {
                prepare(c);
                prepared[c] = 1;
            } else if ((seed >> 16) & 1) {
                waiters_unlink(&w[c]); /* condition true: done waiting */
                runq_settle(&rq, cur);
                prepared[c] = 0;
            } else {
                prepared[c] = 0; /* condition false: block (schedule) */
                runq_pick(&rq, 0);
            }
            break;
        case 3: /* preemption at any point */
            runq_pick(&rq, 1);
            if (c >= 0)
                assert_true(queued(cur));
            break;
        case 4: /* a timeout: a blocked waiter gives up its place and is woken */
            if (&th[i] != rq.current && th[i].state == THREAD_BLOCKED) {
                waiters_unlink(&w[i]);
                runq_wake(&rq, &th[i]);
            }
            break;
        case 5: /* the idle loop or a yield */
            if (c < 0 || !prepared[c])
                runq_pick(&rq, 0);
            break;
        }
        for (int k = 0; k < N; k++) {
            assert_int_equal(queued(&th[k]), th[k].state == THREAD_RUNNABLE);
            if (&th[k] == rq.current)
                continue;
            assert_true(th[k].state != THREAD_RUNNING);
            /* undecided when it left the CPU: it must be runnable, to go and look */
            if (prepared[k])
                assert_int_equal(th[k].state, THREAD_RUNNABLE);
            /* blocked for good: a waker must be able to find it */
            if (th[k].state == THREAD_BLOCKED)
                assert_true(list_linked(&w[k].link));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fifo_and_idle, setup),
        cmocka_unit_test_setup(test_yield_goes_to_the_tail, setup),
        cmocka_unit_test_setup(test_double_wake_queues_once, setup),
        cmocka_unit_test_setup(test_preempted_before_its_check, setup),
        cmocka_unit_test_setup(test_chosen_then_timed_out, setup),
        cmocka_unit_test_setup(test_woken_while_running, setup),
        cmocka_unit_test_setup(test_drain_for_offline, setup),
        cmocka_unit_test_setup(test_random_interleavings, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
