/*
 * 1,000 timers at random deadlines within two seconds: every one must fire, and
 * none before its deadline. Also sleeps of several lengths.
 *
 * With --dom0-time (on Xen, tests/xen/core.manifest) the wall clock is checked
 * against dom0's too: before and after the timers the guest asks for dom0's time
 * ("timers: waiting for dom0's clock at data/KEY"; dom0 writes seconds since the
 * epoch there, fractional). dom0 takes its time somewhere between our asking and our
 * reading the answer, however slow it is to react: so it must lie between our
 * gettimeofday at those two moments (give or take 1 s), and the time between dom0's two
 * readings between the shortest and longest our monotonic clock (pvclock) allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <xenolith/xenstore.h>
#include "core/time.h"
#include "core/timer.h"
#include "core/sched.h"

#define CLOCK_SLACK 1.0 /* seconds */

struct reading {
    double dom0;                    /* dom0's clock, seconds since the epoch */
    double wall_asked, wall_read;   /* our gettimeofday when we asked, when we read it */
    uint64_t mono_asked, mono_read; /* our monotonic clock then */
};

static double wall_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Ask dom0 for its time at xenstore data/KEY; 0 if it gave one. */
static int dom0_time(const char *key, struct reading *r)
{
    char path[64], v[48];
    snprintf(path, sizeof(path), "data/%s", key);
    r->mono_asked = xenolith_time_now_ns();
    r->wall_asked = wall_now();
    printf("timers: waiting for dom0's clock at %s\n", path);
    fflush(stdout);
    for (int i = 0; i < 6000; i++) {
        int n = xenolith_xs_read(XENOLITH_XS_NO_TX, path, v, sizeof(v) - 1);
        if (n > 0) {
            r->mono_read = xenolith_time_now_ns();
            r->wall_read = wall_now();
            v[n] = 0;
            r->dom0 = strtod(v, NULL);
            return 0;
        }
        xenolith_thread_sleep_ns(10 * 1000 * 1000);
    }
    printf("timers: dom0 never wrote %s\n", path);
    return -1;
}

/* Our wall clock against dom0's: 0 if dom0's reading lies where ours says it must. */
static int check_wall(const char *key, struct reading *r)
{
    if (dom0_time(key, r) < 0)
        return -1;
    printf("timers: dom0's clock %.3f; ours %.3f when we asked, %.3f when we read it\n", r->dom0,
           r->wall_asked, r->wall_read);
    if (r->dom0 < r->wall_asked - CLOCK_SLACK || r->dom0 > r->wall_read + CLOCK_SLACK) {
        printf("timers: wall clock differs from dom0's by more than %.0f s\n", CLOCK_SLACK);
        return -1;
    }
    return 0;
}

/* Between two readings dom0's clock moved as far as our monotonic clock allows. */
static int check_elapsed(const struct reading *a, const struct reading *b)
{
    double theirs = b->dom0 - a->dom0;
    double least = (double)(b->mono_asked - a->mono_read) / 1e9;
    double most = (double)(b->mono_read - a->mono_asked) / 1e9;
    printf("timers: between the readings %.3f s by dom0's clock, %.3f to %.3f s by pvclock\n",
           theirs, least, most);
    if (theirs < least - CLOCK_SLACK || theirs > most + CLOCK_SLACK) {
        printf("timers: our clock and dom0's disagree on elapsed time\n");
        return -1;
    }
    return 0;
}

#define NTIMERS 1000

static struct timer timers[NTIMERS];
static uint64_t deadline[NTIMERS];
static volatile uint64_t fired_at[NTIMERS];

static void fire(struct timer *t, void *arg)
{
    int i = (int)(t - timers);
    fired_at[i] = xenolith_time_now_ns();
}

static int count_fired(void)
{
    int n = 0;
    for (int i = 0; i < NTIMERS; i++)
        n += fired_at[i] != 0;
    return n;
}

int main(int argc, char **argv)
{
    int dom0 = argc > 1 && strcmp(argv[1], "--dom0-time") == 0;
    struct reading before, after;
    if (dom0 && check_wall("dom0-time", &before) < 0)
        return 1;
    uint64_t seed = 12345, now = xenolith_time_now_ns();
    for (int i = 0; i < NTIMERS; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        deadline[i] = now + 1000000 + (seed >> 33) % 2000000000ULL;
        timer_init(&timers[i], fire, NULL);
        timer_arm(&timers[i], deadline[i]);
    }
    /* Cancel every tenth and re-arm it later than before. On a loaded host the first
     * deadlines may pass while arming the rest: such a timer has fired already and
     * must fire again, for its new deadline. */
    uint64_t last = 0;
    for (int i = 0; i < NTIMERS; i += 10) {
        timer_cancel(&timers[i]);
        fired_at[i] = 0;
        deadline[i] += 100000000ULL;
        timer_arm(&timers[i], deadline[i]);
    }
    for (int i = 0; i < NTIMERS; i++)
        last = deadline[i] > last ? deadline[i] : last;
    /* Lateness is not asserted (a busy host delays us): wait well past the last one. */
    while (count_fired() < NTIMERS && xenolith_time_now_ns() < last + 30000000000ULL)
        xenolith_thread_sleep_ns(10 * 1000 * 1000);

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
    printf("timers: %d fired, %d missing, %d early, latest %lu us late\n", count_fired(), missing,
           early, (unsigned long)(worst_late / 1000));

    uint64_t lens[] = {1000, 1000000, 20000000, 150000000};
    for (unsigned int i = 0; i < 4; i++) {
        uint64_t t0 = xenolith_time_now_ns();
        xenolith_thread_sleep_ns(lens[i]);
        uint64_t took = xenolith_time_now_ns() - t0;
        if (took < lens[i]) {
            printf("timers: sleep of %lu ns returned after %lu ns\n", (unsigned long)lens[i],
                   (unsigned long)took);
            return 1;
        }
    }
    if (missing || early)
        return 1;
    if (dom0) {
        if (check_wall("dom0-time2", &after) < 0 || check_elapsed(&before, &after) < 0)
            return 1;
        printf("timers: wall clock matches dom0's\n");
    }
    printf("timers: all ok\n");
    return 0;
}
