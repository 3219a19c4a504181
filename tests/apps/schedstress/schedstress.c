/*
 * Scheduler stress: many threads on every VCPU doing cross-CPU wait/wake ping-pong
 * (wake_all and wake_one), mutex contention, counting-semaphore hand-offs with
 * timeouts, sleeps and timeouts that must not return early, completions that live
 * on the waiter's stack, and thread creation, exit and join. Every part does a
 * fixed number of operations and the exact counts are checked at the end. A
 * watchdog dumps every VCPU's scheduler, timer and event state and fails the run
 * when nothing makes progress for 20 s, so a lost wake-up is reported, not hung on.
 * Usage: schedstress [SCALE]   (operations per part are multiplied by SCALE, 1..100)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/percpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/hypercall.h"

#define MS            1000000ULL
#define STALL_NS      (60000ULL * MS)  /* nothing at all happened: a stall */
#define WAIT_LIMIT_NS (120000ULL * MS) /* one wait that long is a lost wake-up */

static int ncpu, scale = 1;
static int ops_div = 1; /* fewer operations per thread when there are many VCPUs */

/* Operations per thread for a part: base x SCALE, divided down on many VCPUs. */
static int ops(int base)
{
    int n = base * scale / ops_div;
    return n > 0 ? n : 1;
}
static uint64_t progress; /* bumped by every part as it goes; the watchdog reads it */
static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("schedstress: FAIL: " __VA_ARGS__);                                                 \
        __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);                                        \
    } while (0)

static void tick(void)
{
    __atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
}

/* A small per-thread random generator (xorshift64*). */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static int stride = 1; /* spreads a part's threads when there are fewer than VCPUs */
static uint64_t consumer_timeout_ns = MS;

static int cpu_of(int i)
{
    return (i * stride + i * stride / ncpu) % ncpu;
}

/* ---- ping-pong: a pair of threads on two VCPUs take turns ---- */

struct pair {
    struct waitq wq[2];
    volatile int turn; /* whose move: 0 or 1 */
    volatile int moves;
    int rounds;
    int one; /* wake_one instead of wake_all */
};

struct pair_side {
    struct pair *p;
    int side;
};

static void *pingpong(void *arg)
{
    struct pair_side *ps = arg;
    struct pair *p = ps->p;
    int me = ps->side;
    for (int i = 0; i < p->rounds; i++) {
        if (wait_event_timeout(&p->wq[me], p->turn == me, WAIT_LIMIT_NS) < 0) {
            FAIL("ping-pong side %d on vcpu %u: move %d never came (turn %d; queues %p %p)\n", me,
                 this_cpu()->id, p->moves, p->turn, (void *)&p->wq[0], (void *)&p->wq[1]);
            return (void *)1;
        }
        p->moves++;
        __atomic_store_n(&p->turn, 1 - me, __ATOMIC_SEQ_CST);
        if (p->one)
            waitq_wake_one(&p->wq[1 - me]);
        else
            waitq_wake_all(&p->wq[1 - me]);
        tick();
    }
    return NULL;
}

/* ---- mutex: every thread adds under one lock ---- */

static struct mutex big_lock = MUTEX_INIT(big_lock);
static uint64_t locked_sum;

static void *mutex_worker(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 7919 + 1;
    int n = ops(300);
    for (int i = 0; i < n; i++) {
        mutex_lock(&big_lock);
        uint64_t v = locked_sum;
        if (rnd(&seed) % 8 == 0)
            xenolith_thread_yield(); /* hold it across a switch now and then */
        locked_sum = v + 1;
        mutex_unlock(&big_lock);
        tick();
    }
    return NULL;
}

/* ---- counting semaphore on wake_one: consumers with and without timeouts ---- */

static struct waitq sem_wq = WAITQ_INIT(sem_wq);
static int sem_count;
static int consumed;

static int sem_try_take(void)
{
    int c = __atomic_load_n(&sem_count, __ATOMIC_SEQ_CST);
    while (c > 0)
        if (__atomic_compare_exchange_n(&sem_count, &c, c - 1, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return 1;
    return 0;
}

static void sem_give(void)
{
    __atomic_add_fetch(&sem_count, 1, __ATOMIC_SEQ_CST);
    waitq_wake_one(&sem_wq);
}

struct consumer {
    int items;
    int with_timeout; /* 1 ms timeouts, retried: the hand-off must not be lost on one */
};

static void *consumer(void *arg)
{
    struct consumer *c = arg;
    uint64_t start = xenolith_time_now_ns();
    for (int i = 0; i < c->items; i++) {
        int rc;
        if (c->with_timeout) {
            while ((rc = wait_event_timeout(&sem_wq, sem_try_take(), consumer_timeout_ns)) ==
                   -ETIMEDOUT)
                if (xenolith_time_now_ns() - start > WAIT_LIMIT_NS)
                    break;
        } else {
            rc = wait_event_timeout(&sem_wq, sem_try_take(), WAIT_LIMIT_NS);
        }
        if (rc < 0) {
            FAIL("semaphore consumer on vcpu %u: item %d never came (count %d)\n", this_cpu()->id,
                 i, sem_count);
            return (void *)1;
        }
        __atomic_add_fetch(&consumed, 1, __ATOMIC_SEQ_CST);
        tick();
    }
    return NULL;
}

static void *producer(void *arg)
{
    int items = (int)(uintptr_t)arg;
    uint64_t seed = items * 31ULL + this_cpu()->id + 1;
    for (int i = 0; i < items; i++) {
        sem_give();
        if (rnd(&seed) % 4 == 0)
            xenolith_thread_sleep_ns(rnd(&seed) % (200 * 1000));
        tick();
    }
    return NULL;
}

/* ---- sleeps and timeouts: never early ---- */

static uint64_t early_sleeps, early_timeouts, wrong_timeouts;

static void *sleeper(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 104729 + 3;
    struct waitq never = WAITQ_INIT(never);
    for (int i = 0; i < ops(20); i++) {
        uint64_t ns = rnd(&seed) % (2 * MS), t0 = xenolith_time_now_ns();
        if (i % 2) {
            xenolith_thread_sleep_ns(ns);
            if (xenolith_time_now_ns() - t0 < ns)
                __atomic_add_fetch(&early_sleeps, 1, __ATOMIC_RELAXED);
        } else {
            int rc = wait_event_timeout(&never, 0, ns + 1);
            if (rc != -ETIMEDOUT)
                __atomic_add_fetch(&wrong_timeouts, 1, __ATOMIC_RELAXED);
            if (xenolith_time_now_ns() - t0 < ns + 1)
                __atomic_add_fetch(&early_timeouts, 1, __ATOMIC_RELAXED);
        }
        tick();
    }
    return NULL;
}

/* ---- completions on the waiter's stack, completed from another VCPU ---- */

struct handoff {
    struct completion *volatile slot; /* where the waiter publishes its completion */
    struct waitq posted;              /* the completer sleeps here until it does */
    int rounds;
    volatile uint64_t published, taken, completed; /* when, for the slow-hand-off report */
};

#define SLOW_NS (2000ULL * MS)
static uint64_t slow_handoffs;

static void report_slow(const char *what, uint64_t from, uint64_t to, int timed_out)
{
    if (to - from < SLOW_NS)
        return;
    __atomic_add_fetch(&slow_handoffs, 1, __ATOMIC_RELAXED);
    printf("schedstress: slow hand-off on vcpu %u: %s took %lu ms%s\n", this_cpu()->id, what,
           (unsigned long)((to - from) / MS), timed_out ? " (woken by its timeout)" : "");
}

static void scribble(volatile unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = v;
}

static int check_scribble(volatile unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static uint64_t stack_corruptions;

/* After each wait the frame is reused at once: a late write from the waker shows here. */
static __attribute__((noinline)) void reuse_frame(void)
{
    volatile unsigned char area[256];
    scribble(area, sizeof(area), 0x5a);
    for (int i = 0; i < 50; i++)
        cpu_relax();
    if (!check_scribble(area, sizeof(area), 0x5a))
        __atomic_add_fetch(&stack_corruptions, 1, __ATOMIC_RELAXED);
}

static __attribute__((noinline)) int wait_on_stack(struct handoff *h)
{
    struct completion c;
    completion_init(&c);
    h->published = xenolith_time_now_ns();
    __atomic_store_n(&h->slot, &c, __ATOMIC_SEQ_CST);
    waitq_wake_all(&h->posted);
    int rc = wait_for_completion_timeout(&c, WAIT_LIMIT_NS);
    if (rc == 0)
        report_slow("complete() to the waiter running", h->completed, xenolith_time_now_ns(),
                    thread_current()->timed_out);
    return rc;
}

static void *handoff_waiter(void *arg)
{
    struct handoff *h = arg;
    for (int i = 0; i < h->rounds; i++) {
        if (wait_on_stack(h) < 0) {
            FAIL("completion %d on vcpu %u never came\n", i, this_cpu()->id);
            return (void *)1;
        }
        reuse_frame();
        tick();
    }
    return NULL;
}

static void *handoff_completer(void *arg)
{
    struct handoff *h = arg;
    for (int i = 0; i < h->rounds; i++) {
        struct completion *c = NULL;
        if (wait_event_timeout(&h->posted,
                               (c = __atomic_exchange_n(&h->slot, NULL, __ATOMIC_SEQ_CST)) != NULL,
                               WAIT_LIMIT_NS) < 0) {
            FAIL("completion waiter on the other side vanished at %d\n", i);
            return (void *)1;
        }
        h->taken = xenolith_time_now_ns();
        report_slow("publish to the completer taking it", h->published, h->taken,
                    thread_current()->timed_out);
        h->completed = xenolith_time_now_ns();
        complete(c);
    }
    return NULL;
}

/* ---- thread creation, exit and join; detached threads count themselves ---- */

static int detached_done;

static void *short_lived(void *arg)
{
    if ((uintptr_t)arg & 1)
        xenolith_thread_yield();
    return arg;
}

static void *detached_one(void *arg)
{
    __atomic_add_fetch(&detached_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *spawner(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 6151 + 11;
    for (int i = 0; i < 10 * scale; i++) {
        struct xenolith_thread *t[4];
        for (int j = 0; j < 4; j++) {
            t[j] = xenolith_thread_create("short", short_lived, (void *)(uintptr_t)(i * 4 + j),
                                          (int)(rnd(&seed) % (uint64_t)ncpu), 0);
            if (!t[j]) {
                FAIL("xenolith_thread_create failed\n");
                return (void *)1;
            }
        }
        for (int j = 0; j < 4; j++)
            if (xenolith_thread_join(t[j]) != (void *)(uintptr_t)(i * 4 + j))
                FAIL("join returned a wrong value\n");
        struct xenolith_thread *d = xenolith_thread_create("detached", detached_one, NULL, -1, 0);
        if (!d) {
            FAIL("xenolith_thread_create (detached) failed\n");
            return (void *)1;
        }
        xenolith_thread_detach(d);
        tick();
    }
    return NULL;
}

/* ---- fairness: a thread that never blocks shares its VCPU ---- */

struct hog {
    volatile int stop;
    volatile uint64_t spins;
    int victim_runs;
};

/* Application code that never blocks: only preemption lets its VCPU's others run. */
static void *hog(void *arg)
{
    struct hog *h = arg;
    while (!h->stop)
        h->spins++;
    return NULL;
}

static void *victim(void *arg)
{
    struct hog *h = arg;
    for (int i = 0; i < 10; i++) {
        xenolith_thread_sleep_ns(MS);
        h->victim_runs++;
        tick();
    }
    h->stop = 1;
    return NULL;
}

/* ---- the watchdog ---- */

static volatile int finished;

static void *watchdog(void *arg)
{
    uint64_t last = 0, since = xenolith_time_now_ns();
    while (!finished) {
        xenolith_thread_sleep_ns(500 * MS);
        uint64_t now = xenolith_time_now_ns(), p = __atomic_load_n(&progress, __ATOMIC_RELAXED);
        if (p != last) {
            last = p;
            since = now;
        } else if (now - since > STALL_NS) {
            printf("schedstress: no progress for %lu s at %lu operations; state:\n",
                   (unsigned long)((now - since) / 1000000000ULL), (unsigned long)p);
            smp_dump_state();
            printf("schedstress: FAILED (stalled)\n");
            exit(1);
        }
    }
    return NULL;
}

/* ---- main ---- */

#define MAX_THREADS 2048

static struct xenolith_thread *threads[MAX_THREADS];
static int nthreads;

static void start(const char *name, void *(*fn)(void *), void *arg, int cpu)
{
    if (nthreads == MAX_THREADS ||
        !(threads[nthreads] = xenolith_thread_create(name, fn, arg, cpu, 0))) {
        printf("schedstress: cannot start %s\n", name);
        exit(1);
    }
    nthreads++;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        scale = atoi(argv[1]);
    if (scale < 1 || scale > 100)
        scale = 1;
    ncpu = smp_num_online();
    /* Fewer threads per VCPU when there are many VCPUs: the total stays bounded. */
    /*
     * Threads per part: 4 per VCPU up to 8 VCPUs; past that half as many as VCPUs
     * (strided so every VCPU gets some): all the VCPUs share one physical CPU in the
     * nested harness, and the work is there to make races, not load.
     */
    int per_part = ncpu <= 8 ? 4 * ncpu : ncpu / 4;
    ops_div = ncpu <= 8 ? 1 : 4;
    stride = ncpu <= 8 ? 1 : 4;
    consumer_timeout_ns = ncpu <= 8 ? MS : 10 * MS;
    printf("schedstress: %d VCPUs, %d threads per part, scale %d\n", ncpu, per_part, scale);
    uint64_t t0 = xenolith_time_now_ns();
    struct xenolith_thread *wd = xenolith_thread_create("watchdog", watchdog, NULL, 0, 0);

    int npairs = per_part;
    struct pair *pairs = calloc((size_t)npairs, sizeof(*pairs));
    struct pair_side *sides = calloc((size_t)npairs * 2, sizeof(*sides));
    for (int i = 0; i < npairs; i++) {
        struct pair *p = &pairs[i];
        waitq_init(&p->wq[0]);
        waitq_init(&p->wq[1]);
        p->rounds = ops(200);
        p->one = i % 2;
        sides[2 * i] = (struct pair_side){p, 0};
        sides[2 * i + 1] = (struct pair_side){p, 1};
        start("ping", pingpong, &sides[2 * i], cpu_of(i));
        start("pong", pingpong, &sides[2 * i + 1], cpu_of(i + 1 + ncpu / 2));
    }

    int nmutex = per_part;
    for (int i = 0; i < nmutex; i++)
        start("mutex", mutex_worker, (void *)(uintptr_t)i, cpu_of(i + ncpu / 2));

    int nconsumers = per_part, items_each = ops(50);
    struct consumer *cons = calloc((size_t)nconsumers, sizeof(*cons));
    for (int i = 0; i < nconsumers; i++) {
        cons[i] = (struct consumer){items_each, i % 2};
        start("consumer", consumer, &cons[i], cpu_of(i));
    }
    /* As many items as the consumers take, from half as many producers. */
    int nproducers = (nconsumers + 1) / 2;
    int total_items = nconsumers * items_each;
    for (int i = 0; i < nproducers; i++) {
        int items = total_items / nproducers + (i < total_items % nproducers);
        start("producer", producer, (void *)(uintptr_t)items, cpu_of(i + 1));
    }

    int nsleepers = per_part;
    for (int i = 0; i < nsleepers; i++)
        start("sleeper", sleeper, (void *)(uintptr_t)i, cpu_of(i + ncpu / 2));

    int nhandoffs = ncpu <= 8 ? ncpu : ncpu / 4;
    struct handoff *hs = calloc((size_t)nhandoffs, sizeof(*hs));
    for (int i = 0; i < nhandoffs; i++) {
        hs[i].rounds = ops(100);
        waitq_init(&hs[i].posted);
        start("waiter", handoff_waiter, &hs[i], cpu_of(i));
        start("completer", handoff_completer, &hs[i], cpu_of(i + 1));
    }

    int nspawners = ncpu < 8 ? ncpu : 8;
    for (int i = 0; i < nspawners; i++)
        start("spawner", spawner, (void *)(uintptr_t)i, cpu_of(i * 3));

    int bad = 0;
    for (int i = 0; i < nthreads; i++)
        bad += xenolith_thread_join(threads[i]) != NULL;
    int total_threads = nthreads;

    /* Then fairness: on every VCPU a hog starts first, then a thread that must still run. */
    uint64_t preempted0 = 0, preempted1 = 0;
    for (int id = 0; id < MAX_CPUS; id++)
        if (smp_cpu(id))
            preempted0 += smp_cpu(id)->sched.preemptions;
    struct hog *hogs = calloc((size_t)ncpu, sizeof(*hogs));
    nthreads = 0;
    /*
     * Without Xen there is no timer interrupt, so nothing preempts: nothing to test.
     * At most 8 VCPUs: busy hogs on all 128 would only starve each other of the one
     * physical CPU of the nested harness.
     */
    int nhogs = xen.present ? (ncpu < 8 ? ncpu : 8) : 0;
    for (int i = 0; i < nhogs; i++) {
        start("hog", hog, &hogs[i], i * ncpu / nhogs);
        start("victim", victim, &hogs[i], i * ncpu / nhogs);
    }
    for (int i = 0; i < nthreads; i++)
        bad += xenolith_thread_join(threads[i]) != NULL;
    int victims_ok = 1;
    for (int i = 0; i < nhogs; i++)
        victims_ok &= hogs[i].victim_runs == 10 && hogs[i].spins > 0;
    for (int id = 0; id < MAX_CPUS; id++)
        if (smp_cpu(id))
            preempted1 += smp_cpu(id)->sched.preemptions;
    finished = 1;
    xenolith_thread_join(wd);
    /* Detached threads free themselves; give the last ones a moment to count. */
    for (int i = 0; i < 1000 && detached_done < nspawners * 10 * scale; i++)
        xenolith_thread_sleep_ns(MS);
    uint64_t ms = (xenolith_time_now_ns() - t0) / MS;

    int moves_ok = 1;
    for (int i = 0; i < npairs; i++)
        moves_ok &= pairs[i].moves == 2 * pairs[i].rounds;
    uint64_t switches = 0;
    for (int id = 0; id < MAX_CPUS; id++)
        if (smp_cpu(id))
            switches += smp_cpu(id)->sched.switches;

    printf("schedstress: %d threads in %lu ms, %lu switches\n", total_threads + nthreads,
           (unsigned long)ms, (unsigned long)switches);
    printf("schedstress: ping-pong %d pairs x %d rounds: %s\n", npairs, ops(200),
           moves_ok ? "all moves" : "MOVES MISSING");
    printf("schedstress: mutex sum %lu of %lu\n", (unsigned long)locked_sum,
           (unsigned long)nmutex * (unsigned long)ops(300));
    printf("schedstress: semaphore %d of %d items, %d left\n", consumed, total_items, sem_count);
    printf("schedstress: sleeps early %lu, timeouts early %lu, wrong %lu\n",
           (unsigned long)early_sleeps, (unsigned long)early_timeouts,
           (unsigned long)wrong_timeouts);
    printf("schedstress: completions on the stack: %lu frames corrupted\n",
           (unsigned long)stack_corruptions);
    printf("schedstress: detached threads %d of %d\n", detached_done, nspawners * 10 * scale);
    printf("schedstress: fairness: %s, %lu preemptions of hogs (%lu before)\n",
           !nhogs       ? "not tested (no timer interrupts without Xen)"
           : victims_ok ? "every VCPU's victim ran beside its hog"
                        : "A VICTIM STARVED",
           (unsigned long)(preempted1 - preempted0), (unsigned long)preempted0);

    if (bad || failures || !moves_ok || locked_sum != (uint64_t)nmutex * (uint64_t)ops(300) ||
        consumed != total_items || sem_count != 0 || early_sleeps || early_timeouts ||
        wrong_timeouts || stack_corruptions || detached_done != nspawners * 10 * scale ||
        !victims_ok || preempted1 - preempted0 < (uint64_t)nhogs) {
        printf("schedstress: FAILED\n");
        return 1;
    }
    printf("schedstress: all ok\n");
    return 0;
}
