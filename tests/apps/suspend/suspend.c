/*
 * Lives through suspends: argv[1] says what the harness will do, one letter a
 * cycle: n (xl save + restore: a new domain) or c (xl save -c: cancelled). One
 * worker per VCPU sleeps and counts all along. After each resume: the kind is
 * the expected one, the domid changed exactly when the domain is new, the
 * workers on every VCPU go on, time never went back, the wall clock did not
 * go back, sleeps are neither early nor lost, xenstore answers, and the
 * suspend and resume handlers each ran once. With "blk" as argv[2], a writer
 * keeps writing numbered 4 KiB blocks of random data to the first disk (and
 * reading each back) all along; at the end every block written is read back and
 * compared byte for byte, and writes must have completed after every resume.
 * The writer runs on the last VCPU, so with a queue per VCPU its requests are on
 * the queue a backend offering fewer queues takes away. Before the first suspend
 * and after each resume the grant table holds exactly the disk's grants (the
 * disk is the only device): a reconnect, whatever it renegotiated, leaks none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <xenolith/blk.h>
#include <xenolith/lifecycle.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/smp.h"               /* smp_dump_state: what each VCPU does when a worker stopped */
#include "drivers/block/blkfront.h" /* blkfront_grants_held */

#define MS          1000000ULL
#define MAX_WORKERS 128

struct worker {
    volatile uint64_t count;
    volatile uint64_t backwards; /* xenolith_time_now_ns went back between two reads */
};

static struct worker workers[MAX_WORKERS];
static int nworkers;
static volatile int suspends, resumes, last_new = -1;
static uint64_t wall_before_us;

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t last = xenolith_time_now_ns();
    for (;;) {
        xenolith_thread_sleep_ns(5 * MS);
        uint64_t now = xenolith_time_now_ns();
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

/* ---- the disk writer ---- */

#define BLOCK 4096
static struct xenolith_blk_dev *disk;
static uint64_t disk_blocks;
static volatile uint64_t blocks_written, disk_errors;

/* Block n's contents: a function of n and the pass, so a stale block shows. */
static void fill(uint8_t *buf, uint64_t n, uint64_t pass)
{
    uint64_t x = (n + 1) * 0x9e3779b97f4a7c15ULL ^ (pass + 1) * 0xbf58476d1ce4e5b9ULL;
    for (int i = 0; i < BLOCK; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
}

static void *disk_writer(void *arg)
{
    static uint8_t out[BLOCK], in[BLOCK];
    for (uint64_t w = 0;; w++) {
        uint64_t n = w % disk_blocks, pass = w / disk_blocks;
        fill(out, n, pass);
        if (xenolith_blk_write(disk, n * BLOCK, out, BLOCK) < 0 ||
            xenolith_blk_read(disk, n * BLOCK, in, BLOCK) < 0 || memcmp(in, out, BLOCK) != 0) {
            disk_errors++;
            printf("suspend-test: disk block %lu: write/read back failed\n", (unsigned long)n);
            xenolith_thread_sleep_ns(100 * MS);
            continue;
        }
        __atomic_store_n(&blocks_written, w + 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static int fail(const char *what);

/* Every block ever written holds what its last write put there. */
static int disk_check(void)
{
    static uint8_t want[BLOCK], got[BLOCK];
    uint64_t w = __atomic_load_n(&blocks_written, __ATOMIC_SEQ_CST);
    uint64_t n_max = w < disk_blocks ? w : disk_blocks;
    for (uint64_t n = 0; n < n_max; n++) {
        /* Last completed write of block n: pass (w - 1 - n) / disk_blocks, give or take the
         * one the writer may be doing now (both are accepted). */
        uint64_t pass = (w - 1 - n) / disk_blocks;
        if (xenolith_blk_read(disk, n * BLOCK, got, BLOCK) < 0)
            return fail("disk: read back failed at the end");
        fill(want, n, pass);
        if (memcmp(got, want, BLOCK) != 0) {
            fill(want, n, pass + 1);
            if (memcmp(got, want, BLOCK) != 0) {
                printf("suspend-test: disk block %lu is not what was written\n", (unsigned long)n);
                return 1;
            }
        }
    }
    printf("suspend-test: disk: %lu blocks written, %lu checked byte for byte\n", (unsigned long)w,
           (unsigned long)n_max);
    return 0;
}

static int fail(const char *what)
{
    printf("suspend-test: FAIL: %s\n", what);
    return 1;
}

/* Grants in use are the disk's, no more (none leaked) and no fewer. */
static int grants_check(void)
{
    unsigned int in_use, held = blkfront_grants_held(disk, &in_use);
    printf("suspend-test: grants: %u in use, the disk holds %u\n", in_use, held);
    return in_use == held ? 0 : fail("grants in use are not the disk's");
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
        xenolith_thread_sleep_ns(100 * MS);
    }
    for (int i = 0; i < nworkers; i++)
        printf("suspend-test: worker %d: %lu -> %lu\n", i, (unsigned long)start[i],
               (unsigned long)workers[i].count);
    smp_dump_state();
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
        struct xenolith_thread *t = xenolith_thread_create("worker", work, &workers[i], i, 0);
        if (!t)
            return fail("cannot start a worker");
        xenolith_thread_detach(t);
    }
    if (!workers_go_on(10))
        return fail("workers do not run before any suspend");
    int with_disk = argc > 2 && strcmp(argv[2], "blk") == 0;
    if (with_disk) {
        struct xenolith_blk_info info;
        if (xenolith_blk_dev_count() < 1 || !(disk = xenolith_blk_dev_get(0)))
            return fail("no disk");
        xenolith_blk_dev_info(disk, &info);
        disk_blocks = info.sectors * info.sector_size / BLOCK;
        if (disk_blocks > 1024)
            disk_blocks = 1024;
        struct xenolith_thread *t =
            xenolith_thread_create("disk-writer", disk_writer, NULL, nworkers - 1, 0);
        if (!t)
            return fail("cannot start the disk writer");
        xenolith_thread_detach(t);
        while (__atomic_load_n(&blocks_written, __ATOMIC_SEQ_CST) < 10)
            xenolith_thread_sleep_ns(10 * MS);
        if (grants_check())
            return 1;
    }
    long domid;
    if (xenolith_xs_read_int(XENOLITH_XS_NO_TX, "domid", &domid) < 0)
        return fail("no domid in xenstore");
    /* A transaction left open across each suspend: void in a new domain (-EAGAIN). */
    xenolith_xs_tx_t next_tx;
    int next_ok = xenolith_xs_transaction_start(&next_tx) == 0;
    printf("suspend-test: ready: %d VCPUs, plan %s, domid %ld\n", nworkers, plan, domid);
    fflush(stdout);

    int bad = 0;
    for (int round = 1; plan[round - 1]; round++) {
        int want_new = plan[round - 1] == 'n';
        while (__atomic_load_n(&resumes, __ATOMIC_SEQ_CST) < round)
            xenolith_thread_sleep_ns(20 * MS);
        /* The transaction left open across this suspend; the next one's opens before
         * we say "resumed" (the harness's cue for the next suspend). */
        xenolith_xs_tx_t tx = next_tx;
        int tx_ok = next_ok;
        if (plan[round])
            next_ok = xenolith_xs_transaction_start(&next_tx) == 0;
        if (!tx_ok) {
            bad += fail("cannot start a transaction");
        } else {
            int wrc = xenolith_xs_write(tx, "data/suspend-test", "across");
            int erc = xenolith_xs_transaction_end(tx, 1);
            printf("suspend-test: transaction open across it: write %d, commit %d\n", wrc, erc);
            if (want_new ? (wrc != -EAGAIN || erc != -EAGAIN) : (wrc != 0 || erc != 0))
                bad += fail("a transaction open across the suspend was not handled right");
        }
        uint64_t wall_after = wall_us();
        long now_domid = -1;
        int xs_ok = xenolith_xs_read_int(XENOLITH_XS_NO_TX, "domid", &now_domid) == 0;
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
        if (with_disk) {
            uint64_t w0 = __atomic_load_n(&blocks_written, __ATOMIC_SEQ_CST);
            for (int i = 0; i < 100 && __atomic_load_n(&blocks_written, __ATOMIC_SEQ_CST) < w0 + 20;
                 i++)
                xenolith_thread_sleep_ns(100 * MS);
            if (__atomic_load_n(&blocks_written, __ATOMIC_SEQ_CST) < w0 + 20)
                bad += fail("disk writes stopped after the resume");
            bad += grants_check();
        }
        uint64_t t0 = xenolith_time_now_ns();
        xenolith_thread_sleep_ns(50 * MS);
        uint64_t slept = xenolith_time_now_ns() - t0;
        if (slept < 50 * MS || slept > 5000 * MS)
            bad += fail("a 50 ms sleep after the resume was early or lost");
    }
    uint64_t backwards = 0;
    for (int i = 0; i < nworkers; i++)
        backwards += workers[i].backwards;
    if (backwards)
        bad += fail("time went backwards");
    if (with_disk && (disk_errors || disk_check()))
        bad += fail("the disk did not hold what was written");
    if (bad)
        return 1;
    printf("suspend-test: all ok (%d suspends)\n", suspends);
    return 0;
}
