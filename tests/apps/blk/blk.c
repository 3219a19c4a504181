/*
 * blkfront in the nested Xen suite (tests/xen/blk.manifest). The command line is
 * a list of steps, run in order; any failure prints "blk-test: FAILED ..." and
 * exits 1, success ends with "blk-test: all ok".
 *
 *   wait-go           wait until dom0 writes data/blk-go (it edits the backend first)
 *   info              describe every disk
 *   pattern=DEV[,DEV] write a deterministic pattern over each whole disk (all at
 *                     once, one thread per VCPU per disk, mixed request sizes,
 *                     misaligned buffers, async and sync), flush, read back and
 *                     check; print each disk's sha256 for dom0 to compare
 *   checks=DEV        alignment and range refusals, flush, discard, tiny and huge requests
 *   ro=DEV            a read-only disk: writes and discards refused with EROFS,
 *                     reads return the harness's "pattern" fill
 *   ro-backend=DEV    (with xenolith.blk.test_ignore_readonly=1) the backend's refusal
 *                     of a write reaches us as EIO
 *   timeout=DEV       (with xenolith.blk.timeout_ms=1) a request outlives the watchdog:
 *                     ETIMEDOUT, then EIO for everything, the disk marked disconnected
 *   detach=DEV        keep reading until dom0 detaches the disk: then EIO
 *   queues            each disk has min(VCPUs online, backend maximum) queues
 *   expect=DEV:FEAT=0|1  a feature (indirect persistent flush discard) is or is not in use
 *   expect=DEV:queues=N / ring_pages=N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/sched.h"
#include "core/smp.h"
#include "sha256.h"

#define QD       8
#define MAX_IO   (2u << 20)
#define MISALIGN 64

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("blk-test: FAILED: " __VA_ARGS__);                                                  \
        printf("\n");                                                                              \
        exit(1);                                                                                   \
    } while (0)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The pattern: each 8-byte word depends on its disk offset and the disk's seed. */
static uint64_t pattern_word(uint64_t seed, uint64_t offset)
{
    return (offset + seed) * 0x9e3779b97f4a7c15ULL ^ seed;
}

static void pattern_fill(uint64_t seed, uint64_t offset, void *buf, uint64_t len)
{
    for (uint64_t i = 0; i < len; i += 8) {
        uint64_t w = pattern_word(seed, offset + i);
        memcpy((char *)buf + i, &w, 8);
    }
}

/* Offset of the first byte that differs from the pattern, or -1. */
static int64_t pattern_check(uint64_t seed, uint64_t offset, const void *buf, uint64_t len)
{
    for (uint64_t i = 0; i < len; i += 8) {
        uint64_t w = pattern_word(seed, offset + i), got;
        memcpy(&got, (const char *)buf + i, 8);
        if (got != w)
            return (int64_t)(offset + i);
    }
    return -1;
}

static uint64_t seed_of(struct blk_dev *d)
{
    struct blk_info in;
    blk_dev_info(d, &in);
    return 0x5eed0000ULL + in.vdev;
}

static struct blk_dev *dev_named(const char *name)
{
    struct blk_dev *d = blk_dev_find(name);
    if (!d)
        FAIL("no disk %s (%d disks)", name, blk_dev_count());
    return d;
}

/* ---- a stream of async requests over a range, QD at a time ---- */

struct stream;

struct io {
    struct blk_request r;
    struct stream *s;
    char *mem;
    int busy;
};

struct stream {
    struct blk_dev *d;
    const char *name;
    uint64_t seed, start, end;
    int write;
    struct waitq wq;
    int inflight;
    int err;
    int64_t bad_at;
    struct io io[QD];
};

static void io_done(struct blk_request *r, int status)
{
    struct io *io = (struct io *)r;
    struct stream *s = io->s;
    if (status && !s->err)
        s->err = status;
    if (!status && r->op == BLK_READ && s->bad_at < 0) {
        int64_t bad = pattern_check(s->seed, r->offset, r->buf, r->len);
        if (bad >= 0) {
            s->bad_at = bad;
            s->err = -EBADMSG;
        }
    }
    io->busy = 0;
    __atomic_sub_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
    waitq_wake_all(&s->wq);
}

/* Request sizes: small, page-sized, just under and over the direct limit, up to 2 MiB. */
static uint64_t pick_len(uint64_t *rng, uint32_t ssize)
{
    static const uint32_t sizes[] = {512,          1024,
                                     3584,         4096,
                                     8192,         11 * 4096,
                                     12 * 4096,    65536,
                                     131072 + 512, 262144,
                                     1u << 20,     (1u << 20) + 4096,
                                     2u << 20,     300 * 4096 + 1536,
                                     7 * 512,      16384};
    uint64_t len = sizes[rng_next(rng) % (sizeof(sizes) / sizeof(sizes[0]))];
    return (len + ssize - 1) / ssize * ssize;
}

static void *stream_run(void *arg)
{
    struct stream *s = arg;
    uint64_t rng = s->seed ^ (s->write ? 1 : 2) ^ s->start;
    struct blk_info in;
    blk_dev_info(s->d, &in);
    uint64_t off = s->start;
    int n = 0;
    while (off < s->end && !s->err) {
        uint64_t len = pick_len(&rng, in.sector_size);
        if (len > s->end - off)
            len = s->end - off;
        char *buf;
        /* One request in 16 goes through the synchronous helpers. */
        if (++n % 16 == 0) {
            buf = malloc(len + MISALIGN);
            if (!buf)
                FAIL("out of memory");
            char *p = buf + rng_next(&rng) % MISALIGN;
            int rc;
            if (s->write) {
                pattern_fill(s->seed, off, p, len);
                rc = blk_write(s->d, off, p, len);
            } else {
                rc = blk_read(s->d, off, p, len);
                if (rc == 0 && pattern_check(s->seed, off, p, len) >= 0 && s->bad_at < 0) {
                    s->bad_at = pattern_check(s->seed, off, p, len);
                    rc = -EBADMSG;
                }
            }
            free(buf);
            if (rc && !s->err)
                s->err = rc;
            off += len;
            continue;
        }
        wait_event(&s->wq, __atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST) < QD);
        struct io *io = NULL;
        for (int i = 0; i < QD && !io; i++)
            if (!s->io[i].busy)
                io = &s->io[i];
        buf = io->mem + rng_next(&rng) % MISALIGN;
        if (s->write)
            pattern_fill(s->seed, off, buf, len);
        memset(&io->r, 0, sizeof(io->r));
        io->r.op = s->write ? BLK_WRITE : BLK_READ;
        io->r.offset = off;
        io->r.len = len;
        io->r.buf = buf;
        io->r.done = io_done;
        io->busy = 1;
        __atomic_add_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
        int rc = blk_submit(s->d, &io->r);
        if (rc < 0) {
            io->busy = 0;
            __atomic_sub_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
            s->err = rc;
        }
        off += len;
    }
    wait_event(&s->wq, __atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST) == 0);
    return NULL;
}

static void stream_init(struct stream *s, struct blk_dev *d, const char *name, uint64_t start,
                        uint64_t end, int write)
{
    memset(s, 0, sizeof(*s));
    s->d = d;
    s->name = name;
    s->seed = seed_of(d);
    s->start = start;
    s->end = end;
    s->write = write;
    s->bad_at = -1;
    waitq_init(&s->wq);
    for (int i = 0; i < QD; i++) {
        s->io[i].s = s;
        s->io[i].mem = malloc(MAX_IO + MISALIGN);
        if (!s->io[i].mem)
            FAIL("out of memory for buffers");
    }
}

static void stream_free(struct stream *s)
{
    for (int i = 0; i < QD; i++)
        free(s->io[i].mem);
}

/* Run one pass (write or read) over all the disks, one stream per VCPU per disk. */
static void pass(struct blk_dev **ds, char **names, int nd, int write)
{
    int ncpu = smp_num_online();
    int ns = nd * ncpu;
    struct stream *ss = calloc((size_t)ns, sizeof(*ss));
    struct thread **ts = calloc((size_t)ns, sizeof(*ts));
    if (!ss || !ts)
        FAIL("out of memory");
    uint64_t t0 = time_now_ns(), bytes = 0;
    for (int i = 0; i < nd; i++) {
        struct blk_info in;
        blk_dev_info(ds[i], &in);
        uint64_t size = in.sectors * in.sector_size;
        uint64_t slice = size / (uint64_t)ncpu / in.sector_size * in.sector_size;
        bytes += size;
        for (int c = 0; c < ncpu; c++) {
            uint64_t start = slice * (uint64_t)c, end = c == ncpu - 1 ? size : start + slice;
            struct stream *s = &ss[i * ncpu + c];
            stream_init(s, ds[i], names[i], start, end, write);
            ts[i * ncpu + c] = thread_create("blk-stream", stream_run, s, c, 0);
            if (!ts[i * ncpu + c])
                FAIL("cannot start a stream thread");
        }
    }
    for (int i = 0; i < ns; i++)
        thread_join(ts[i]);
    uint64_t ns_taken = time_now_ns() - t0;
    for (int i = 0; i < ns; i++) {
        struct stream *s = &ss[i];
        if (s->bad_at >= 0)
            FAIL("%s: data read back differs from the pattern at byte %lld", s->name,
                 (long long)s->bad_at);
        if (s->err)
            FAIL("%s: %s pass failed: %s (%d)", s->name, write ? "write" : "read",
                 strerror(-s->err), s->err);
        stream_free(s);
    }
    printf("blk-test: %s pass over %d disk(s) with %d stream(s): %llu MiB in %llu ms\n",
           write ? "write" : "read", nd, ns, (unsigned long long)(bytes >> 20),
           (unsigned long long)(ns_taken / 1000000));
    free(ss);
    free(ts);
}

static void print_sha(struct blk_dev *d, const char *name)
{
    struct blk_info in;
    blk_dev_info(d, &in);
    uint64_t size = in.sectors * in.sector_size, seed = seed_of(d);
    char *buf = malloc(1 << 20);
    if (!buf)
        FAIL("out of memory");
    struct sha256 h;
    sha256_init(&h);
    for (uint64_t off = 0; off < size; off += 1 << 20) {
        uint64_t n = size - off < (1u << 20) ? size - off : 1u << 20;
        pattern_fill(seed, off, buf, n);
        sha256_update(&h, buf, n);
    }
    free(buf);
    uint8_t dg[32];
    char hex[65];
    sha256_final(&h, dg);
    sha256_hex(dg, hex);
    printf("blk-test: %s sha256 %s\n", name, hex);
}

static void print_stats(struct blk_dev *d, const char *name)
{
    struct blk_info in;
    blk_dev_info(d, &in);
    for (unsigned q = 0; q < in.queues; q++) {
        struct blk_stats st;
        blk_dev_stats(d, (int)q, &st);
        printf("blk-test: %s queue %u: %llu reads %llu writes %llu flushes, %llu ring requests "
               "(%llu indirect), %llu notifications, %llu interrupts, %llu pool pages\n",
               name, q, (unsigned long long)st.reads, (unsigned long long)st.writes,
               (unsigned long long)st.flushes, (unsigned long long)st.ring_requests,
               (unsigned long long)st.indirect_requests, (unsigned long long)st.notifications,
               (unsigned long long)st.interrupts, (unsigned long long)st.pool_pages);
    }
}

static void step_pattern(char *list)
{
    struct blk_dev *ds[8];
    char *names[8];
    int nd = 0;
    for (char *tok = strtok(list, ","); tok && nd < 8; tok = strtok(NULL, ","))
        names[nd] = tok, ds[nd] = dev_named(tok), nd++;
    pass(ds, names, nd, 1);
    for (int i = 0; i < nd; i++) {
        int rc = blk_flush(ds[i]);
        if (rc)
            FAIL("%s: flush: %d", names[i], rc);
    }
    pass(ds, names, nd, 0);
    for (int i = 0; i < nd; i++) {
        print_sha(ds[i], names[i]);
        print_stats(ds[i], names[i]);
        printf("blk-test: %s pattern ok\n", names[i]);
    }
}

/* ---- smaller checks ---- */

static void expect_rc(int got, int want, const char *what)
{
    if (got != want)
        FAIL("%s: got %d (%s), want %d", what, got, strerror(got < 0 ? -got : 0), want);
}

/* A callback that tries synchronous I/O on its own device must be refused, not hang. */
static struct waitq cb_wq;
static volatile int cb_rc = 1;

static void sync_in_callback(struct blk_request *r, int status)
{
    char b[512];
    cb_rc = status ? status : blk_read(r->arg, 0, b, sizeof(b));
    waitq_wake_all(&cb_wq);
}

static void step_checks(const char *name)
{
    struct blk_dev *d = dev_named(name);
    struct blk_info in;
    blk_dev_info(d, &in);
    uint64_t size = in.sectors * in.sector_size;
    uint32_t ss = in.sector_size;
    char *buf = malloc(4 * ss + 1);
    if (!buf)
        FAIL("out of memory");

    expect_rc(blk_read(d, 1, buf, ss), -EINVAL, "unaligned offset");
    expect_rc(blk_read(d, 0, buf, ss - 1), -EINVAL, "partial sector");
    expect_rc(blk_read(d, 0, buf, 0), -EINVAL, "empty read");
    expect_rc(blk_read(d, size, buf, ss), -EINVAL, "read past the end");
    expect_rc(blk_read(d, size - ss, buf, 2 * ss), -EINVAL, "read across the end");
    expect_rc(blk_read(d, 0, NULL, ss), -EINVAL, "no buffer");
    expect_rc(blk_write(d, UINT64_MAX - ss + 1, buf, ss), -EINVAL, "offset overflow");
    struct blk_request r = {.op = (enum blk_op)9, .done = NULL};
    expect_rc(blk_submit(d, &r), -EINVAL, "no callback");
    expect_rc(blk_submit(NULL, &r), -ENODEV, "no device");

    /* The last sector, written and read back at an odd buffer address. */
    char *odd = buf + 1;
    pattern_fill(77, size - ss, odd, ss);
    expect_rc(blk_write(d, size - ss, odd, ss), 0, "write last sector");
    memset(odd, 0, ss);
    expect_rc(blk_read(d, size - ss, odd, ss), 0, "read last sector");
    if (pattern_check(77, size - ss, odd, ss) >= 0)
        FAIL("last sector read back wrong");
    expect_rc(blk_flush(d), 0, "flush");

    waitq_init(&cb_wq);
    struct blk_request cr = {
        .op = BLK_READ, .offset = 0, .len = ss, .buf = buf, .done = sync_in_callback, .arg = d};
    expect_rc(blk_submit(d, &cr), 0, "async read");
    wait_event(&cb_wq, cb_rc != 1);
    expect_rc(cb_rc, -EDEADLK, "sync read inside a completion callback");

    if (in.features & BLK_F_DISCARD) {
        expect_rc(blk_discard(d, 0, 1 << 20), 0, "discard 1 MiB");
        expect_rc(blk_discard(d, 1, ss), -EINVAL, "unaligned discard");
        printf("blk-test: %s discard ok\n", name);
    } else {
        expect_rc(blk_discard(d, 0, ss), -EOPNOTSUPP, "discard without the feature");
    }
    free(buf);

    /* One request bigger than anything the ring takes at once (cut into many). */
    uint64_t big = size < (24u << 20) ? size : 24u << 20;
    char *b = malloc(big);
    if (!b)
        FAIL("out of memory for %llu bytes", (unsigned long long)big);
    pattern_fill(91, 0, b, big);
    expect_rc(blk_write(d, 0, b, big), 0, "one huge write");
    memset(b, 0, big);
    expect_rc(blk_read(d, 0, b, big), 0, "one huge read");
    if (pattern_check(91, 0, b, big) >= 0)
        FAIL("huge request read back wrong at %lld", (long long)pattern_check(91, 0, b, big));
    free(b);
    printf("blk-test: %s checks ok\n", name);
}

static void step_ro(const char *name)
{
    struct blk_dev *d = dev_named(name);
    struct blk_info in;
    blk_dev_info(d, &in);
    if (!in.read_only)
        FAIL("%s is not read-only", name);
    char buf[8192];
    expect_rc(blk_write(d, 0, buf, 512), -EROFS, "write to a read-only disk");
    expect_rc(blk_discard(d, 0, 512), -EROFS, "discard on a read-only disk");
    expect_rc(blk_flush(d), 0, "flush of a read-only disk");
    expect_rc(blk_read(d, 4096, buf, sizeof(buf)), 0, "read from a read-only disk");
    static const char fill[] = "xenolith-disk-pattern\n";
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != fill[(4096 + i) % (sizeof(fill) - 1)])
            FAIL("%s: byte %zu is not the harness's fill", name, 4096 + i);
    printf("blk-test: %s read-only ok\n", name);
}

static void step_ro_backend(const char *name)
{
    struct blk_dev *d = dev_named(name);
    char buf[4096] = "must never land";
    expect_rc(blk_write(d, 0, buf, sizeof(buf)), -EIO, "write the backend must refuse");
    /* The device still works after an error. */
    expect_rc(blk_read(d, 0, buf, sizeof(buf)), 0, "read after a refused write");
    if (memcmp(buf, "xenolith-disk-pattern\n", 22) != 0)
        FAIL("%s: the refused write changed the disk", name);
    printf("blk-test: %s backend refusal reached us as EIO\n", name);
}

/* With xenolith.blk.timeout_ms=1: a large write outlives the watchdog, the device is
 * disconnected, and everything after fails cleanly. */
static void step_timeout(const char *name)
{
    struct blk_dev *d = dev_named(name);
    uint64_t len = 16u << 20;
    char *b = calloc(1, len);
    if (!b)
        FAIL("out of memory");
    expect_rc(blk_write(d, 0, b, len), -ETIMEDOUT, "write outliving the watchdog");
    expect_rc(blk_read(d, 0, b, 4096), -EIO, "read on a disconnected disk");
    char line[200];
    blk_dev_describe(d, line, sizeof(line));
    if (!strstr(line, "DISCONNECTED"))
        FAIL("%s not marked disconnected: %s", name, line);
    free(b);
    printf("blk-test: %s timed out and disconnected cleanly\n", name);
}

/* dom0 detaches the disk (xl block-detach) while we keep reading it. */
static void step_detach(const char *name)
{
    struct blk_dev *d = dev_named(name);
    char buf[4096];
    int rc = 0;
    printf("blk-test: %s looping\n", name);
    fflush(stdout);
    for (int i = 0; i < 3000 && rc == 0; i++) {
        rc = blk_read(d, 0, buf, sizeof(buf));
        if (rc == 0)
            thread_sleep_ns(20 * 1000 * 1000);
    }
    expect_rc(rc, -EIO, "I/O on a detached disk");
    expect_rc(blk_write(d, 0, buf, sizeof(buf)), -EIO, "write after the detach");
    printf("blk-test: %s detached: I/O fails with EIO\n", name);
}

static long backend_ulong(struct blk_dev *d, const char *key)
{
    struct blk_info in;
    blk_dev_info(d, &in);
    char path[160], be[128];
    snprintf(path, sizeof(path), "device/vbd/%u/backend", in.vdev);
    if (xs_read(XS_NO_TX, path, be, sizeof(be)) <= 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", be, key);
    long v;
    return xs_read_int(XS_NO_TX, path, &v) == 0 ? v : -1;
}

static void step_queues(void)
{
    int n = blk_dev_count(), vcpus = smp_num_online();
    for (int i = 0; i < n; i++) {
        struct blk_dev *d = blk_dev_get(i);
        struct blk_info in;
        blk_dev_info(d, &in);
        long max = backend_ulong(d, "multi-queue-max-queues");
        long want = vcpus < (max > 0 ? max : 1) ? vcpus : (max > 0 ? max : 1);
        printf("blk-test: %s queues %u (VCPUs online %d, backend maximum %ld)\n", in.name,
               in.queues, vcpus, max);
        if ((long)in.queues != want)
            FAIL("%s: %u queues, want %ld", in.name, in.queues, want);
    }
}

static void step_expect(char *arg)
{
    char *colon = strchr(arg, ':'), *eq = strchr(arg, '=');
    if (!colon || !eq || eq < colon)
        FAIL("bad expect step '%s'", arg);
    *colon = *eq = 0;
    struct blk_dev *d = dev_named(arg);
    struct blk_info in;
    blk_dev_info(d, &in);
    const char *what = colon + 1;
    long want = strtol(eq + 1, NULL, 10), got;
    if (strcmp(what, "indirect") == 0)
        got = !!(in.features & BLK_F_INDIRECT);
    else if (strcmp(what, "persistent") == 0)
        got = !!(in.features & BLK_F_PERSISTENT);
    else if (strcmp(what, "flush") == 0)
        got = !!(in.features & BLK_F_FLUSH);
    else if (strcmp(what, "discard") == 0)
        got = !!(in.features & BLK_F_DISCARD);
    else if (strcmp(what, "queues") == 0)
        got = in.queues;
    else if (strcmp(what, "ring_pages") == 0)
        got = in.ring_pages;
    else
        FAIL("unknown feature '%s'", what);
    if (got != want)
        FAIL("%s: %s is %ld, want %ld", arg, what, got, want);
    printf("blk-test: %s %s=%ld as expected\n", arg, what, got);
}

static void step_wait_go(void)
{
    char v[16];
    printf("blk-test: waiting for go\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++) {
        if (xs_read(XS_NO_TX, "data/blk-go", v, sizeof(v)) > 0)
            return;
        thread_sleep_ns(100 * 1000 * 1000);
    }
    FAIL("dom0 never wrote data/blk-go");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *a = argv[i], *v = strchr(a, '=');
        if (v)
            *v++ = 0;
        if (strcmp(a, "wait-go") == 0) {
            step_wait_go();
        } else if (strcmp(a, "info") == 0) {
            int n = blk_dev_count();
            printf("blk-test: %d disk(s), %d VCPU(s)\n", n, smp_num_online());
            for (int k = 0; k < n; k++) {
                char line[200];
                blk_dev_describe(blk_dev_get(k), line, sizeof(line));
                printf("blk-test: %s\n", line);
            }
        } else if (strcmp(a, "pattern") == 0 && v) {
            step_pattern(v);
        } else if (strcmp(a, "checks") == 0 && v) {
            step_checks(v);
        } else if (strcmp(a, "ro") == 0 && v) {
            step_ro(v);
        } else if (strcmp(a, "ro-backend") == 0 && v) {
            step_ro_backend(v);
        } else if (strcmp(a, "timeout") == 0 && v) {
            step_timeout(v);
        } else if (strcmp(a, "detach") == 0 && v) {
            step_detach(v);
        } else if (strcmp(a, "queues") == 0) {
            step_queues();
        } else if (strcmp(a, "expect") == 0 && v) {
            step_expect(v);
        } else {
            FAIL("unknown step '%s'", argv[i]);
        }
        fflush(stdout);
    }
    printf("blk-test: all ok\n");
    return 0;
}
