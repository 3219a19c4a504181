/*
 * The Linux peer's side of bench/blk.sh: the same tests as tests/apps/blkbench
 * (sequential 1 MiB and random 4 KiB reads and writes at queue depth 1 and 32,
 * each for a fixed time) on a raw block device, with O_DIRECT and Linux native
 * AIO (io_submit/io_getevents, as fio's libaio engine), so `qd` requests are
 * outstanding and the page cache is out of the way. Built static on the host and
 * added to the peer's initramfs by bench/blk.sh.
 *
 *   blk-linux /dev/xvda [secs]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAX_QD 32

static int io_setup(unsigned n, aio_context_t *ctx)
{
    return (int)syscall(SYS_io_setup, n, ctx);
}

static int io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
    return (int)syscall(SYS_io_submit, ctx, n, iocbs);
}

static int io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
    return (int)syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t disk, bs, next_off, rng = 0x2545f4914f6cdd1dULL;
static int random_offsets;

static uint64_t next_offset(void)
{
    if (random_offsets) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng % (disk / bs) * bs;
    }
    uint64_t off = next_off;
    next_off = off + bs >= disk ? 0 : off + bs;
    return off;
}

static void prep(struct iocb *cb, int fd, int write, void *buf)
{
    memset(cb, 0, sizeof(*cb));
    cb->aio_fildes = (uint32_t)fd;
    cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
    cb->aio_buf = (uint64_t)(uintptr_t)buf;
    cb->aio_nbytes = bs;
    cb->aio_offset = (int64_t)next_offset();
    cb->aio_data = (uint64_t)(uintptr_t)cb;
}

static void bench(aio_context_t ctx, int fd, const char *name, int write, int qd, double secs,
                  char **bufs)
{
    static struct iocb cbs[MAX_QD];
    struct iocb *list[MAX_QD];
    struct io_event ev[MAX_QD];
    next_off = 0;
    rng = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < qd; i++) {
        prep(&cbs[i], fd, write, bufs[i]);
        list[i] = &cbs[i];
    }
    double t0 = now(), end = t0 + secs;
    uint64_t ios = 0;
    if (io_submit(ctx, qd, list) != qd) {
        printf("blk-bench: %s: io_submit: %s\n", name, strerror(errno));
        exit(1);
    }
    int inflight = qd;
    while (inflight) {
        int n = io_getevents(ctx, 1, MAX_QD, ev);
        if (n < 0) {
            printf("blk-bench: %s: io_getevents: %s\n", name, strerror(errno));
            exit(1);
        }
        int again = 0;
        for (int i = 0; i < n; i++) {
            struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].data;
            if (ev[i].res != (int64_t)bs) {
                printf("blk-bench: %s: I/O result %lld\n", name, (long long)ev[i].res);
                exit(1);
            }
            ios++;
            inflight--;
            if (now() < end) {
                prep(cb, fd, write, (void *)(uintptr_t)cb->aio_buf);
                list[again++] = cb;
            }
        }
        if (again) {
            if (io_submit(ctx, again, list) != again) {
                printf("blk-bench: %s: io_submit: %s\n", name, strerror(errno));
                exit(1);
            }
            inflight += again;
        }
    }
    double s = now() - t0;
    printf("blk-bench: linux %s qd%d bs=%llu: %.1f MB/s, %.0f IOPS (%llu I/Os in %.2f s)\n", name,
           qd, (unsigned long long)bs, (double)ios * (double)bs / 1e6 / s, (double)ios / s,
           (unsigned long long)ios, s);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DEVICE [secs]\n", argv[0]);
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 5;
    int fd = open(argv[1], O_RDWR | O_DIRECT);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &disk) < 0) {
        printf("blk-bench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char *bufs[MAX_QD];
    for (int i = 0; i < MAX_QD; i++) {
        if (posix_memalign((void **)&bufs[i], 4096, 1 << 20)) {
            printf("blk-bench: out of memory\n");
            return 1;
        }
        memset(bufs[i], 0x5a + i, 1 << 20);
    }
    aio_context_t ctx = 0;
    if (io_setup(MAX_QD, &ctx) < 0) {
        printf("blk-bench: io_setup: %s\n", strerror(errno));
        return 1;
    }
    printf("blk-bench: linux %s: %llu MiB\n", argv[1], (unsigned long long)(disk >> 20));

    double t0 = now();
    for (uint64_t off = 0; off < disk; off += 1 << 20) {
        size_t n = disk - off < (1u << 20) ? disk - off : 1u << 20;
        if (pwrite(fd, bufs[0], n, (off_t)off) != (ssize_t)n) {
            printf("blk-bench: fill: %s\n", strerror(errno));
            return 1;
        }
    }
    fsync(fd);
    printf("blk-bench: filled %llu MiB in %.0f ms\n", (unsigned long long)(disk >> 20),
           (now() - t0) * 1000);

    static const struct {
        const char *name;
        int write, random;
        uint64_t bs;
    } tests[] = {
        {"seq-write", 1, 0, 1 << 20},
        {"seq-read", 0, 0, 1 << 20},
        {"rand-read", 0, 1, 4096},
        {"rand-write", 1, 1, 4096},
    };
    static const int qds[] = {1, 32};
    for (unsigned t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
        for (unsigned q = 0; q < 2; q++) {
            bs = tests[t].bs;
            random_offsets = tests[t].random;
            bench(ctx, fd, tests[t].name, tests[t].write, qds[q], secs, bufs);
        }
    }
    printf("blk-bench: done\n");
    return 0;
}
