/*
 * SMP: every online VCPU runs a thread that reports in; a parallel workload
 * (per-CPU counters, one shared atomic, a parallel checksum) must give the exact
 * serial result; cross-CPU wake-ups ping-pong; timers fire on every CPU.
 * Usage: smp ONLINE POSSIBLE   (what the xl config asked for)
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/mm.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"

#define ADDS_TOTAL 1600000 /* split over the workers */
#define BUF_SIZE   (4 << 20)
#define PINGS      2000

static uint64_t shared_counter;
static uint64_t per_cpu_counter[MAX_CPUS];
static unsigned char *buf;
static uint64_t part_sum[MAX_CPUS];
static int ran_on[MAX_CPUS];

struct work {
    int index, ncpu;
};

static void *worker(void *arg)
{
    struct work *w = arg;
    ran_on[w->index] = (int)this_cpu()->id;
    for (int i = 0; i < ADDS_TOTAL / w->ncpu; i++) {
        per_cpu_counter[this_cpu()->id]++;
        __atomic_add_fetch(&shared_counter, 1, __ATOMIC_RELAXED);
    }
    size_t chunk = BUF_SIZE / (size_t)w->ncpu, from = chunk * (size_t)w->index;
    size_t to = w->index == w->ncpu - 1 ? BUF_SIZE : from + chunk;
    uint64_t s = 0;
    for (size_t i = from; i < to; i++)
        s += buf[i] * (uint64_t)(i % 251 + 1);
    part_sum[w->index] = s;
    /* Timers on this CPU: a few sleeps, none may return early. */
    for (int i = 0; i < 3; i++) {
        uint64_t t0 = xenolith_time_now_ns();
        xenolith_thread_sleep_ns(2000000);
        if (xenolith_time_now_ns() - t0 < 2000000)
            return (void *)1;
    }
    return NULL;
}

static struct waitq ping_wq = WAITQ_INIT(ping_wq), pong_wq = WAITQ_INIT(pong_wq);
static volatile int ping, pong;

static void *ponger(void *arg)
{
    for (int i = 1; i <= PINGS; i++) {
        wait_event(&ping_wq, ping >= i);
        pong = i;
        waitq_wake_all(&pong_wq);
    }
    return NULL;
}

static void *ponger_noop(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    int want_online = argc > 1 ? atoi(argv[1]) : 1;
    int want_possible = argc > 2 ? atoi(argv[2]) : want_online;
    int n = smp_num_online();
    printf("smp-test: %d online / %u possible VCPUs\n", n, smp_possible_cpus());
    if (n != want_online || (int)smp_possible_cpus() != want_possible) {
        printf("smp-test: expected %d online / %d possible\n", want_online, want_possible);
        return 1;
    }

    buf = malloc(BUF_SIZE);
    if (!buf)
        return 1;
    uint64_t expect_sum = 0;
    for (size_t i = 0; i < BUF_SIZE; i++) {
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
        expect_sum += buf[i] * (uint64_t)(i % 251 + 1);
    }

    struct xenolith_thread *t[MAX_CPUS];
    struct work w[MAX_CPUS];
    int idx = 0;
    uint64_t t0 = xenolith_time_now_ns();
    for (int id = 0; id < MAX_CPUS; id++) {
        if (!smp_cpu(id))
            continue;
        w[idx].index = idx;
        w[idx].ncpu = n;
        t[idx] = xenolith_thread_create("worker", worker, &w[idx], id, 0);
        if (!t[idx]) {
            printf("smp-test: cannot start a thread on vcpu %d\n", id);
            return 1;
        }
        idx++;
    }
    int bad = 0;
    for (int i = 0; i < idx; i++)
        bad |= xenolith_thread_join(t[i]) != NULL;
    uint64_t ms = (xenolith_time_now_ns() - t0) / 1000000;

    uint64_t sum = 0, total = 0;
    for (int i = 0; i < idx; i++) {
        sum += part_sum[i];
        printf("smp-test: worker %d ran on vcpu %d\n", i, ran_on[i]);
    }
    for (int id = 0; id < MAX_CPUS; id++)
        total += per_cpu_counter[id];
    int distinct = 0;
    for (int id = 0; id < MAX_CPUS; id++) {
        int seen = 0;
        for (int i = 0; i < idx; i++)
            seen |= ran_on[i] == id;
        distinct += seen;
    }
    printf("smp-test: %d workers on %d distinct vcpus in %lu ms; counters %lu/%lu, shared %lu, "
           "checksum %s\n",
           idx, distinct, (unsigned long)ms, (unsigned long)total,
           (unsigned long)idx * (ADDS_TOTAL / n), (unsigned long)shared_counter,
           sum == expect_sum ? "matches" : "WRONG");
    if (bad || distinct != n || total != (uint64_t)idx * (ADDS_TOTAL / n) ||
        shared_counter != (uint64_t)idx * (ADDS_TOTAL / n) || sum != expect_sum) {
        printf("smp-test: FAILED\n");
        return 1;
    }

    /* Cross-CPU wake-ups: ping-pong with a thread on the last VCPU. */
    int other = -1;
    for (int id = MAX_CPUS - 1; id > 0 && other < 0; id--)
        if (smp_cpu(id))
            other = id;
    if (other > 0) {
        struct xenolith_thread *p = xenolith_thread_create("ponger", ponger, NULL, other, 0);
        t0 = xenolith_time_now_ns();
        for (int i = 1; i <= PINGS; i++) {
            ping = i;
            waitq_wake_all(&ping_wq);
            if (wait_event_timeout(&pong_wq, pong >= i, 5000000000ULL) < 0) {
                /* Lost or only late? Say where everyone is, then give it 10 s more. */
                printf("smp-test: pong %d never came (pong is %d); state:\n", i, pong);
                smp_dump_state();
                uint64_t late = xenolith_time_now_ns();
                int came = wait_event_timeout(&pong_wq, pong >= i, 10000000000ULL) == 0;
                printf("smp-test: pong %d %s\n", i,
                       came ? "came late" : "still missing after 10 s more: the wake-up was lost");
                if (came)
                    printf("smp-test: ... %lu ms after the first 5 s\n",
                           (unsigned long)((xenolith_time_now_ns() - late) / 1000000));
                return 1;
            }
        }
        xenolith_thread_join(p);
        printf("smp-test: %d cross-CPU wake-up round trips with vcpu %d, %lu us each, %lu "
               "switches on vcpu %d\n",
               PINGS, other, (unsigned long)((xenolith_time_now_ns() - t0) / 1000 / PINGS),
               (unsigned long)smp_cpu(other)->sched.switches, other);
    }
    /* Freed stacks give their guard pages back: every page handed out later must be usable. */
    for (int i = 0; i < 50; i++)
        xenolith_thread_join(xenolith_thread_create("short", ponger_noop, NULL, -1, 0));
    int touched = 0;
    for (int i = 0; i < 400; i++) {
        volatile char *p = pages_alloc(1);
        if (!p)
            break;
        p[0] = 1;
        p[4095] = 2;
        touched++;
    }
    printf("smp-test: %d pages touched after 50 thread exits\n", touched);
    printf("smp-test: all ok\n");
    return 0;
}
