/*
 * netraw --disk=DEV: disk traffic alongside the network's, so that block and network
 * events arrive together on every VCPU (tests/xen/core.manifest runs it with 2-level
 * events). One thread per VCPU writes its own slice of the disk in 128 KiB pieces, each
 * filled from its pass number and offset, reads the slice back and compares, and starts
 * over, until the domain is shut down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/thread.h>
#include "netraw.h"

#define PIECE   (128 * 1024)
#define PASSES  2 /* passes every thread completes before "verified" is printed */
#define MAX_CPU 64

struct slice {
    uint64_t start, end;
    int cpu;
    uint64_t passes;
};

static struct xenolith_blk_dev *disk;
static const char *disk_name;
static struct slice slices[MAX_CPU];
static int nslices, passes_done, errors;

static void fill(uint64_t pass, uint64_t off, uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n / 8; i++)
        w[i] = (off + i * 8) * 0x9e3779b97f4a7c15ULL ^ (pass << 48 | 0x6e6574726177ULL);
}

static void *disk_thread(void *arg)
{
    struct slice *s = arg;
    uint64_t *buf = malloc(PIECE), *want = malloc(PIECE);
    if (!buf || !want) {
        printf("netraw: FAILED: %s: out of memory\n", disk_name);
        __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    for (uint64_t pass = 1;; pass++) {
        for (uint64_t off = s->start; off < s->end; off += PIECE) {
            fill(pass, off, buf, PIECE);
            int rc = xenolith_blk_write(disk, off, buf, PIECE);
            if (rc < 0) {
                printf("netraw: FAILED: %s: write at %llu: %d\n", disk_name,
                       (unsigned long long)off, rc);
                __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
                return NULL;
            }
        }
        for (uint64_t off = s->start; off < s->end; off += PIECE) {
            fill(pass, off, want, PIECE);
            int rc = xenolith_blk_read(disk, off, buf, PIECE);
            if (rc < 0 || memcmp(buf, want, PIECE) != 0) {
                printf("netraw: FAILED: %s: read at %llu: %s\n", disk_name, (unsigned long long)off,
                       rc < 0 ? "error" : "data differs");
                __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
                return NULL;
            }
        }
        s->passes = pass;
        if (pass == PASSES && __atomic_add_fetch(&passes_done, 1, __ATOMIC_SEQ_CST) == nslices)
            printf("netraw: %s: every thread verified %d passes\n", disk_name, PASSES);
    }
}

int disk_start(const char *name)
{
    disk_name = name;
    disk = xenolith_blk_dev_find(name);
    if (!disk) {
        printf("netraw: FAILED: no disk %s\n", name);
        return -1;
    }
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(disk, &in);
    int ncpu = xenolith_online_cpus();
    nslices = ncpu < MAX_CPU ? ncpu : MAX_CPU;
    uint64_t size = in.sectors * in.sector_size, per = size / (uint64_t)nslices / PIECE * PIECE;
    if (per == 0) {
        printf("netraw: FAILED: %s is too small\n", name);
        return -1;
    }
    printf("netraw: %s: %u queue%s, %d threads writing %llu KiB each\n", name, in.queues,
           in.queues == 1 ? "" : "s", nslices, (unsigned long long)(per >> 10));
    for (int i = 0; i < nslices; i++) {
        slices[i] = (struct slice){(uint64_t)i * per, (uint64_t)(i + 1) * per, i, 0};
        struct xenolith_thread *t = xenolith_thread_create("disk", disk_thread, &slices[i], i, 0);
        if (!t) {
            printf("netraw: FAILED: cannot start a disk thread\n");
            return -1;
        }
        xenolith_thread_detach(t);
    }
    return 0;
}

void disk_report(void)
{
    if (!disk)
        return;
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(disk, &in);
    unsigned int busy = 0;
    for (unsigned int q = 0; q < in.queues; q++) {
        struct xenolith_blk_stats st;
        xenolith_blk_dev_stats(disk, q, &st);
        printf("netraw: %s queue %u: %llu reads %llu writes, %llu interrupts\n", disk_name, q,
               (unsigned long long)st.reads, (unsigned long long)st.writes,
               (unsigned long long)st.interrupts);
        busy += st.interrupts > 0 && st.reads > 0 && st.writes > 0;
    }
    uint64_t least = ~0ULL;
    for (int i = 0; i < nslices; i++)
        least = slices[i].passes < least ? slices[i].passes : least;
    printf("netraw: %s: %d threads, at least %llu passes each, %d errors\n", disk_name, nslices,
           (unsigned long long)least, errors);
    printf("netraw: %s queues with interrupts and I/O both ways: %u/%u\n", disk_name, busy,
           in.queues);
}
