/*
 * Block benchmark for bench/blk.sh: sequential 1 MiB and random 4 KiB reads and
 * writes at queue depth 1 and 32 on one disk, each for a fixed time, through the
 * async API (the completion callback submits the next request, so exactly `qd`
 * requests are outstanding). Prints one line per test in the format the Linux
 * peer's bench/blk-linux.c prints, for bench/blk.sh to put side by side.
 *
 *   blkbench [dev=xvda] [secs=5]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/thread.h>
#include "core/sched.h"

#define MAX_QD 32

struct run;

struct slot {
    struct xenolith_blk_request r;
    struct run *run;
    char *buf;
};

struct run {
    struct xenolith_blk_dev *d;
    enum xenolith_blk_op op;
    int random;
    uint64_t bs, disk, next_off, rng;
    uint64_t deadline;
    uint64_t ios, bytes;
    int inflight, err;
    struct waitq wq;
    struct slot slot[MAX_QD];
};

static uint64_t next_offset(struct run *r)
{
    if (r->random) {
        r->rng ^= r->rng << 13;
        r->rng ^= r->rng >> 7;
        r->rng ^= r->rng << 17;
        return r->rng % (r->disk / r->bs) * r->bs;
    }
    uint64_t off = r->next_off;
    r->next_off = off + r->bs >= r->disk ? 0 : off + r->bs;
    return off;
}

static void done(struct xenolith_blk_request *req, int status);

static int start(struct slot *s)
{
    struct run *r = s->run;
    memset(&s->r, 0, sizeof(s->r));
    s->r.op = r->op;
    s->r.offset = next_offset(r);
    s->r.len = r->bs;
    s->r.buf = s->buf;
    s->r.done = done;
    return xenolith_blk_submit(r->d, &s->r);
}

/* In the queue's thread: count, and keep the slot busy until the deadline. */
static void done(struct xenolith_blk_request *req, int status)
{
    struct slot *s = (struct slot *)req;
    struct run *r = s->run;
    if (status && !r->err)
        r->err = status;
    r->ios++;
    r->bytes += req->len;
    if (!r->err && xenolith_time_now_ns() < r->deadline) {
        int rc = start(s);
        if (rc == 0)
            return;
        r->err = rc;
    }
    __atomic_sub_fetch(&r->inflight, 1, __ATOMIC_SEQ_CST);
    waitq_wake_all(&r->wq);
}

static void bench(struct run *r, const char *name, int qd, uint64_t secs)
{
    r->ios = r->bytes = 0;
    r->err = 0;
    r->next_off = 0;
    r->rng = 0x2545f4914f6cdd1dULL;
    uint64_t t0 = xenolith_time_now_ns();
    r->deadline = t0 + secs * 1000000000ULL;
    r->inflight = qd;
    for (int i = 0; i < qd; i++) {
        int rc = start(&r->slot[i]);
        if (rc < 0) {
            printf("blk-bench: %s: submit failed: %d\n", name, rc);
            exit(1);
        }
    }
    wait_event(&r->wq, __atomic_load_n(&r->inflight, __ATOMIC_SEQ_CST) == 0);
    uint64_t ns = xenolith_time_now_ns() - t0;
    if (r->err) {
        printf("blk-bench: %s: I/O error %d\n", name, r->err);
        exit(1);
    }
    double s = (double)ns / 1e9;
    printf("blk-bench: xenolith %s qd%d bs=%llu: %.1f MB/s, %.0f IOPS (%llu I/Os in %.2f s)\n",
           name, qd, (unsigned long long)r->bs, (double)r->bytes / 1e6 / s, (double)r->ios / s,
           (unsigned long long)r->ios, s);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *devname = "xvda";
    uint64_t secs = 5;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "dev=", 4) == 0)
            devname = argv[i] + 4;
        else if (strncmp(argv[i], "secs=", 5) == 0)
            secs = strtoull(argv[i] + 5, NULL, 10);
    }
    static struct run r;
    r.d = xenolith_blk_dev_find(devname);
    if (!r.d) {
        printf("blk-bench: no disk %s\n", devname);
        return 1;
    }
    char line[200];
    xenolith_blk_dev_describe(r.d, line, sizeof(line));
    printf("blk-bench: %s\n", line);
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(r.d, &in);
    r.disk = in.sectors * in.sector_size;
    waitq_init(&r.wq);
    for (int i = 0; i < MAX_QD; i++) {
        r.slot[i].run = &r;
        r.slot[i].buf = malloc(1 << 20);
        if (!r.slot[i].buf) {
            printf("blk-bench: out of memory\n");
            return 1;
        }
        memset(r.slot[i].buf, 0x5a + i, 1 << 20);
    }

    /* Fill the disk first, so reads read data rather than holes of the backing file. */
    uint64_t t0 = xenolith_time_now_ns();
    for (uint64_t off = 0; off < r.disk; off += 1 << 20) {
        int rc = xenolith_blk_write(r.d, off, r.slot[0].buf,
                                    r.disk - off < (1u << 20) ? r.disk - off : 1u << 20);
        if (rc < 0) {
            printf("blk-bench: fill failed: %d\n", rc);
            return 1;
        }
    }
    xenolith_blk_flush(r.d);
    printf("blk-bench: filled %llu MiB in %llu ms\n", (unsigned long long)(r.disk >> 20),
           (unsigned long long)((xenolith_time_now_ns() - t0) / 1000000));

    static const struct {
        const char *name;
        enum xenolith_blk_op op;
        int random;
        uint64_t bs;
    } tests[] = {
        {"seq-write", XENOLITH_BLK_WRITE, 0, 1 << 20},
        {"seq-read", XENOLITH_BLK_READ, 0, 1 << 20},
        {"rand-read", XENOLITH_BLK_READ, 1, 4096},
        {"rand-write", XENOLITH_BLK_WRITE, 1, 4096},
    };
    static const int qds[] = {1, 32};
    for (unsigned t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
        for (unsigned q = 0; q < 2; q++) {
            r.op = tests[t].op;
            r.random = tests[t].random;
            r.bs = tests[t].bs;
            bench(&r, tests[t].name, qds[q], secs);
        }
    }
    struct xenolith_blk_stats st;
    xenolith_blk_dev_stats(r.d, XENOLITH_BLK_STATS_ALL, &st);
    printf("blk-bench: %llu ring requests (%llu indirect), %llu notifications, %llu interrupts\n",
           (unsigned long long)st.ring_requests, (unsigned long long)st.indirect_requests,
           (unsigned long long)st.notifications, (unsigned long long)st.interrupts);
    printf("blk-bench: done\n");
    return 0;
}
