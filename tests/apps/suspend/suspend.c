/*
 * Lives through suspends: argv[1] says what the harness will do, one letter a
 * cycle: n (xl save + restore: a new domain) or c (xl save -c: cancelled). One
 * worker per VCPU sleeps and counts all along. After each resume: the kind is
 * the expected one, the domid changed exactly when the domain is new, the
 * workers on every VCPU go on, time never went back, the wall clock did not
 * go back, sleeps are neither early nor lost, xenstore answers, and the
 * suspend and resume handlers each ran once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <xenolith/lifecycle.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>

#define MS          1000000ULL
#define MAX_WORKERS 128

struct worker {
    volatile uint64_t count;
    volatile uint64_t backwards; /* time_now_ns went back between two reads */
};

static struct worker workers[MAX_WORKERS];
static int nworkers;
static volatile int suspends, resumes, last_new = -1;
static uint64_t wall_before_us;

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t last = time_now_ns();
    for (;;) {
        thread_sleep_ns(5 * MS);
        uint64_t now = time_now_ns();
        if (now < last)
            w->backwards++;
        last = now;
        w->count++;
    }
    return NULL;
}

static uint64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static void on_suspend(void *arg)
{
    wall_before_us = wall_us();
    suspends++;
}

static void on_resume(int new_domain, void *arg)
{
    last_new = new_domain;
    __atomic_add_fetch(&resumes, 1, __ATOMIC_SEQ_CST);
}

static int fail(const char *what)
{
    printf("suspend-test: FAIL: %s\n", what);
    return 1;
}

/* Every worker counts at least `more` times within 5 s. */
static int workers_go_on(uint64_t more)
{
    uint64_t start[MAX_WORKERS];
    for (int i = 0; i < nworkers; i++)
        start[i] = workers[i].count;
    for (int tries = 0; tries < 50; tries++) {
        int all = 1;
        for (int i = 0; i < nworkers; i++)
            all &= workers[i].count >= start[i] + more;
        if (all)
            return 1;
        thread_sleep_ns(100 * MS);
    }
    for (int i = 0; i < nworkers; i++)
        printf("suspend-test: worker %d: %lu -> %lu\n", i, (unsigned long)start[i],
               (unsigned long)workers[i].count);
    return 0;
}

int main(int argc, char **argv)
{
    const char *plan = argc > 1 ? argv[1] : "n";
    nworkers = xenolith_online_cpus();
    if (nworkers > MAX_WORKERS)
        nworkers = MAX_WORKERS;
    if (xenolith_on_suspend(on_suspend, NULL) < 0 || xenolith_on_resume(on_resume, NULL) < 0)
        return fail("cannot register the handlers");
    for (int i = 0; i < nworkers; i++) {
        struct thread *t = thread_create("worker", work, &workers[i], i, 0);
        if (!t)
            return fail("cannot start a worker");
        thread_detach(t);
    }
    if (!workers_go_on(10))
        return fail("workers do not run before any suspend");
    long domid;
    if (xs_read_int(XS_NO_TX, "domid", &domid) < 0)
        return fail("no domid in xenstore");
    printf("suspend-test: ready: %d VCPUs, plan %s, domid %ld\n", nworkers, plan, domid);
    fflush(stdout);

    int bad = 0;
    for (int round = 1; plan[round - 1]; round++) {
        int want_new = plan[round - 1] == 'n';
        while (__atomic_load_n(&resumes, __ATOMIC_SEQ_CST) < round)
            thread_sleep_ns(20 * MS);
        uint64_t wall_after = wall_us();
        long now_domid = -1;
        int xs_ok = xs_read_int(XS_NO_TX, "domid", &now_domid) == 0;
        printf("suspend-test: resumed %d (%s, domid %ld -> %ld)\n", round,
               last_new ? "new domain" : "cancelled", domid, now_domid);
        fflush(stdout);
        if (last_new != want_new)
            bad += fail(want_new ? "expected a new domain" : "expected a cancelled suspend");
        if (suspends != round || resumes != round)
            bad += fail("suspend/resume handlers did not run once each");
        if (!xs_ok)
            bad += fail("xenstore does not answer after the resume");
        else if ((now_domid != domid) != want_new)
            bad += fail("the domid changed when it should not have, or did not when it should");
        domid = now_domid;
        if (wall_after + 1000 < wall_before_us)
            bad += fail("the wall clock went back");
        if (!workers_go_on(10))
            bad += fail("workers stopped after the resume");
        uint64_t t0 = time_now_ns();
        thread_sleep_ns(50 * MS);
        uint64_t slept = time_now_ns() - t0;
        if (slept < 50 * MS || slept > 5000 * MS)
            bad += fail("a 50 ms sleep after the resume was early or lost");
    }
    uint64_t backwards = 0;
    for (int i = 0; i < nworkers; i++)
        backwards += workers[i].backwards;
    if (backwards)
        bad += fail("time went backwards");
    if (bad)
        return 1;
    printf("suspend-test: all ok (%d suspends)\n", suspends);
    return 0;
}
