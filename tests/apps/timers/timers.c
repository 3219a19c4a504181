/*
 * 1,000 timers at random deadlines within two seconds: every one must fire, and
 * none before its deadline. Also sleeps of several lengths.
 */
#include <stdio.h>
#include <stdlib.h>
#include "core/time.h"
#include "core/timer.h"
#include "core/sched.h"

#define NTIMERS 1000

static struct timer timers[NTIMERS];
static uint64_t deadline[NTIMERS], fired_at[NTIMERS];
static volatile int nfired;

static void fire(struct timer *t, void *arg)
{
    int i = (int)(t - timers);
    fired_at[i] = time_now_ns();
    __atomic_add_fetch(&nfired, 1, __ATOMIC_SEQ_CST);
}

int main(void)
{
    uint64_t seed = 12345, now = time_now_ns();
    for (int i = 0; i < NTIMERS; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        deadline[i] = now + 1000000 + (seed >> 33) % 2000000000ULL;
        timer_init(&timers[i], fire, NULL);
        timer_arm(&timers[i], deadline[i]);
    }
    /* Cancel every tenth and re-arm it later than before. */
    for (int i = 0; i < NTIMERS; i += 10) {
        timer_cancel(&timers[i]);
        deadline[i] += 100000000ULL;
        timer_arm(&timers[i], deadline[i]);
    }
    for (int i = 0; i < 500 && nfired < NTIMERS; i++)
        thread_sleep_ns(10 * 1000 * 1000);

    int early = 0, missing = 0;
    uint64_t worst_late = 0;
    for (int i = 0; i < NTIMERS; i++) {
        if (!fired_at[i]) {
            missing++;
            continue;
        }
        if (fired_at[i] < deadline[i])
            early++;
        else if (fired_at[i] - deadline[i] > worst_late)
            worst_late = fired_at[i] - deadline[i];
    }
    printf("timers: %d fired, %d missing, %d early, latest %lu us late\n", nfired, missing, early,
           (unsigned long)(worst_late / 1000));

    uint64_t lens[] = {1000, 1000000, 20000000, 150000000};
    for (unsigned int i = 0; i < 4; i++) {
        uint64_t t0 = time_now_ns();
        thread_sleep_ns(lens[i]);
        uint64_t took = time_now_ns() - t0;
        if (took < lens[i]) {
            printf("timers: sleep of %lu ns returned after %lu ns\n", (unsigned long)lens[i],
                   (unsigned long)took);
            return 1;
        }
    }
    if (missing || early)
        return 1;
    printf("timers: all ok\n");
    return 0;
}
