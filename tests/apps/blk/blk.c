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
 *   checks=DEV        alignment and range refusals, tiny and huge requests; a burst of
 *                     256 requests at once; flush (sent to the backend, or refused with
 *                     EOPNOTSUPP when it offers neither flush nor barrier; a barrier
 *                     completes after the write submitted before it); discard, with
 *                     the range read back (zeros or the old data, nothing else)
 *   ro=DEV            a read-only disk: writes and discards refused with EROFS,
 *                     reads return the harness's "pattern" fill
 *   ro-backend=DEV    (with xenolith.blk.test_ignore_readonly=1) the backend's refusal
 *                     of a write reaches us as EIO
 *   timeout=DEV       (with xenolith.blk.timeout_ms=1) a request outlives the watchdog:
 *                     ETIMEDOUT, then EIO for everything, the disk marked disconnected
 *   detach=DEV        keep reading until dom0 detaches the disk: then EIO
 *   queues            each disk has min(VCPUs online, backend maximum) queues
 *   expect=DEV:FEAT=0|1  a feature (indirect persistent flush barrier discard) was
 *                     negotiated or not
 *   expect=DEV:queues=N / ring_pages=N
 *   used=DEV:FEAT[,FEAT...]    the driver's counters show each feature in use (ring:
 *                     more ring requests in flight than one page holds; indirect;
 *                     persistent: fewer grants than pages sent; flush; barrier; discard)
 *   unused=DEV:FEAT[,FEAT...]  ... and these not
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

static uint64_t seed_of(struct xenolith_blk_dev *d)
{
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    return 0x5eed0000ULL + in.vdev;
}

static struct xenolith_blk_dev *dev_named(const char *name)
{
    struct xenolith_blk_dev *d = xenolith_blk_dev_find(name);
    if (!d)
        FAIL("no disk %s (%d disks)", name, xenolith_blk_dev_count());
    return d;
}

/* ---- a stream of async requests over a range, QD at a time ---- */

struct stream;

struct io {
    struct xenolith_blk_request r;
    struct stream *s;
    char *mem;
    int busy;
};

struct stream {
    struct xenolith_blk_dev *d;
    const char *name;
    uint64_t seed, start, end;
    int write;
    struct waitq wq;
    int inflight;
    int err;
    int64_t bad_at;
    struct io io[QD];
};

static void io_done(struct xenolith_blk_request *r, int status)
{
    struct io *io = (struct io *)r;
    struct stream *s = io->s;
    if (status && !s->err)
        s->err = status;
    if (!status && r->op == XENOLITH_BLK_READ && s->bad_at < 0) {
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
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(s->d, &in);
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
                rc = xenolith_blk_write(s->d, off, p, len);
            } else {
                rc = xenolith_blk_read(s->d, off, p, len);
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
        io->r.op = s->write ? XENOLITH_BLK_WRITE : XENOLITH_BLK_READ;
        io->r.offset = off;
        io->r.len = len;
        io->r.buf = buf;
        io->r.done = io_done;
        io->busy = 1;
        __atomic_add_fetch(&s->inflight, 1, __ATOMIC_SEQ_CST);
        int rc = xenolith_blk_submit(s->d, &io->r);
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

static void stream_init(struct stream *s, struct xenolith_blk_dev *d, const char *name,
                        uint64_t start, uint64_t end, int write)
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
static void pass(struct xenolith_blk_dev **ds, char **names, int nd, int write)
{
    int ncpu = smp_num_online();
    int ns = nd * ncpu;
    struct stream *ss = calloc((size_t)ns, sizeof(*ss));
    struct xenolith_thread **ts = calloc((size_t)ns, sizeof(*ts));
    if (!ss || !ts)
        FAIL("out of memory");
    uint64_t t0 = xenolith_time_now_ns(), bytes = 0;
    for (int i = 0; i < nd; i++) {
        struct xenolith_blk_info in;
        xenolith_blk_dev_info(ds[i], &in);
        uint64_t size = in.sectors * in.sector_size;
        uint64_t slice = size / (uint64_t)ncpu / in.sector_size * in.sector_size;
        bytes += size;
        for (int c = 0; c < ncpu; c++) {
            uint64_t start = slice * (uint64_t)c, end = c == ncpu - 1 ? size : start + slice;
            struct stream *s = &ss[i * ncpu + c];
            stream_init(s, ds[i], names[i], start, end, write);
            ts[i * ncpu + c] = xenolith_thread_create("blk-stream", stream_run, s, c, 0);
            if (!ts[i * ncpu + c])
                FAIL("cannot start a stream thread");
        }
    }
    for (int i = 0; i < ns; i++)
        xenolith_thread_join(ts[i]);
    uint64_t ns_taken = xenolith_time_now_ns() - t0;
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

static void print_sha(struct xenolith_blk_dev *d, const char *name)
{
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
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

static void print_stats(struct xenolith_blk_dev *d, const char *name)
{
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    for (unsigned q = 0; q < in.queues; q++) {
        struct xenolith_blk_stats st;
        xenolith_blk_dev_stats(d, q, &st);
        printf("blk-test: %s queue %u: %llu reads %llu writes %llu flushes, %llu ring requests "
               "(%llu indirect, %llu flush, %llu barrier, %llu discard; at most %llu in flight), "
               "%llu grants for %llu pages sent, %llu notifications, %llu interrupts, %llu pool "
               "pages\n",
               name, q, (unsigned long long)st.reads, (unsigned long long)st.writes,
               (unsigned long long)st.flushes, (unsigned long long)st.ring_requests,
               (unsigned long long)st.indirect_requests, (unsigned long long)st.flush_requests,
               (unsigned long long)st.barrier_requests, (unsigned long long)st.discard_requests,
               (unsigned long long)st.max_in_flight, (unsigned long long)st.grants,
               (unsigned long long)st.segments, (unsigned long long)st.notifications,
               (unsigned long long)st.interrupts, (unsigned long long)st.pool_pages);
    }
}

static void step_pattern(char *list)
{
    struct xenolith_blk_dev *ds[8];
    char *names[8];
    int nd = 0;
    for (char *tok = strtok(list, ","); tok && nd < 8; tok = strtok(NULL, ","))
        names[nd] = tok, ds[nd] = dev_named(tok), nd++;
    pass(ds, names, nd, 1);
    for (int i = 0; i < nd; i++) {
        struct xenolith_blk_info in;
        xenolith_blk_dev_info(ds[i], &in);
        int rc = xenolith_blk_flush(ds[i]);
        if (rc && !(rc == -EOPNOTSUPP &&
                    !(in.features & (XENOLITH_BLK_F_FLUSH | XENOLITH_BLK_F_BARRIER))))
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

static void sync_in_callback(struct xenolith_blk_request *r, int status)
{
    char b[512];
    cb_rc = status ? status : xenolith_blk_read(r->arg, 0, b, sizeof(b));
    waitq_wake_all(&cb_wq);
}

/* Completions counted (and their order noted) for the checks below. */
static int cb_count, cb_order[2], cb_err;

static void count_done(struct xenolith_blk_request *r, int status)
{
    int i = __atomic_fetch_add(&cb_count, 1, __ATOMIC_SEQ_CST);
    if (i < 2)
        cb_order[i] = (int)(intptr_t)r->arg;
    if (status)
        cb_err = status;
    waitq_wake_all(&cb_wq);
}

/* 256 reads of 4 KiB in one submission: more than a one-page ring (32) holds at once. */
#define BURST 256

static void check_burst(struct xenolith_blk_dev *d, const char *name)
{
    char *b = malloc(BURST * 4096);
    struct xenolith_blk_request *rq = calloc(BURST, sizeof(*rq));
    struct xenolith_blk_request **rs = calloc(BURST, sizeof(*rs));
    if (!b || !rq || !rs)
        FAIL("out of memory");
    pattern_fill(93, 0, b, BURST * 4096);
    expect_rc(xenolith_blk_write(d, 0, b, BURST * 4096), 0, "write before the burst");
    memset(b, 0, BURST * 4096);
    for (int i = 0; i < BURST; i++) {
        rq[i] = (struct xenolith_blk_request){.op = XENOLITH_BLK_READ,
                                              .offset = (uint64_t)i * 4096,
                                              .len = 4096,
                                              .buf = b + (size_t)i * 4096,
                                              .done = count_done};
        rs[i] = &rq[i];
    }
    cb_count = 0;
    cb_err = 0;
    expect_rc(xenolith_blk_submitv(d, rs, BURST), BURST, "a burst of reads in one submission");
    wait_event(&cb_wq, __atomic_load_n(&cb_count, __ATOMIC_SEQ_CST) == BURST);
    expect_rc(cb_err, 0, "burst reads");
    if (pattern_check(93, 0, b, BURST * 4096) >= 0)
        FAIL("%s: burst read back wrong at %lld", name,
             (long long)pattern_check(93, 0, b, BURST * 4096));
    free(b);
    free(rq);
    free(rs);
}

/* A flush reaches the backend, or is refused when the backend offers no way to send it. */
static void check_flush(struct xenolith_blk_dev *d, const struct xenolith_blk_info *in,
                        const char *name)
{
    struct xenolith_blk_stats a, b;
    xenolith_blk_dev_stats(d, XENOLITH_BLK_STATS_ALL, &a);
    int rc = xenolith_blk_flush(d);
    xenolith_blk_dev_stats(d, XENOLITH_BLK_STATS_ALL, &b);
    uint64_t flushes = b.flush_requests - a.flush_requests;
    uint64_t barriers = b.barrier_requests - a.barrier_requests;
    if (!(in->features & (XENOLITH_BLK_F_FLUSH | XENOLITH_BLK_F_BARRIER))) {
        expect_rc(rc, -EOPNOTSUPP, "flush with neither flush nor barrier offered");
        if (flushes || barriers)
            FAIL("%s: a refused flush sent %llu requests", name,
                 (unsigned long long)(flushes + barriers));
        printf("blk-test: %s has no flush: xenolith_blk_flush refused, nothing sent\n", name);
        return;
    }
    expect_rc(rc, 0, "flush");
    int barrier = !(in->features & XENOLITH_BLK_F_FLUSH);
    if ((barrier ? barriers : flushes) != 1 || (barrier ? flushes : barriers) != 0)
        FAIL("%s: one xenolith_blk_flush sent %llu flush and %llu barrier requests", name,
             (unsigned long long)flushes, (unsigned long long)barriers);
    printf("blk-test: %s flush sent as a %s request\n", name, barrier ? "barrier" : "cache flush");
}

/* With feature-barrier, the flush is a barrier: a write submitted just before it, in the
 * same batch, must complete before it does (the backend drains the ring first). */
static void check_barrier_order(struct xenolith_blk_dev *d, const struct xenolith_blk_info *in,
                                const char *name)
{
    if (!(in->features & XENOLITH_BLK_F_BARRIER))
        return;
    uint64_t len = 1u << 20;
    char *b = malloc(len);
    if (!b)
        FAIL("out of memory");
    pattern_fill(95, 0, b, len);
    struct xenolith_blk_request w = {.op = XENOLITH_BLK_WRITE,
                                     .offset = 0,
                                     .len = len,
                                     .buf = b,
                                     .done = count_done,
                                     .arg = (void *)0};
    struct xenolith_blk_request f = {
        .op = XENOLITH_BLK_FLUSH, .done = count_done, .arg = (void *)1};
    struct xenolith_blk_request *rs[2] = {&w, &f};
    cb_count = 0;
    cb_err = 0;
    expect_rc(xenolith_blk_submitv(d, rs, 2), 2, "a write and a barrier in one submission");
    wait_event(&cb_wq, __atomic_load_n(&cb_count, __ATOMIC_SEQ_CST) == 2);
    expect_rc(cb_err, 0, "write and barrier");
    if (cb_order[0] != 0)
        FAIL("%s: the barrier completed before the write submitted ahead of it", name);
    free(b);
    printf("blk-test: %s barrier completed after the write before it\n", name);
}

/* Discard 1 MiB that holds the burst's pattern, then read it back: each sector must be
 * zeros or the old data (blkif promises nothing more); say which. */
static void check_discard(struct xenolith_blk_dev *d, const struct xenolith_blk_info *in,
                          const char *name)
{
    uint64_t len = 1u << 20, zeros = 0, old = 0;
    uint32_t ss = in->sector_size;
    char *b = malloc(len), *want = malloc(ss);
    if (!b || !want)
        FAIL("out of memory");
    pattern_fill(93, 0, b, len);
    expect_rc(xenolith_blk_write(d, 0, b, len), 0, "write before the discard");
    expect_rc(xenolith_blk_discard(d, 0, len), 0, "discard 1 MiB");
    memset(b, 0x5a, len);
    expect_rc(xenolith_blk_read(d, 0, b, len), 0, "read back a discarded range");
    for (uint64_t off = 0; off < len; off += ss) {
        const char *p = b + off;
        int zero = 1;
        for (uint32_t i = 0; i < ss && zero; i++)
            zero = p[i] == 0;
        pattern_fill(93, off, want, ss);
        if (zero)
            zeros++;
        else if (memcmp(p, want, ss) == 0)
            old++;
        else
            FAIL("%s: discarded sector at byte %llu reads back as neither zeros nor its old data",
                 name, (unsigned long long)off);
    }
    free(b);
    free(want);
    if (old == 0)
        printf("blk-test: %s discarded range reads back as zeros\n", name);
    else
        printf("blk-test: %s discarded range: %llu sectors zeros, %llu kept their data\n", name,
               (unsigned long long)zeros, (unsigned long long)old);
}

static void step_checks(const char *name)
{
    struct xenolith_blk_dev *d = dev_named(name);
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    uint64_t size = in.sectors * in.sector_size;
    uint32_t ss = in.sector_size;
    char *buf = malloc(4 * ss + 1);
    if (!buf)
        FAIL("out of memory");
    waitq_init(&cb_wq);

    expect_rc(xenolith_blk_read(d, 1, buf, ss), -EINVAL, "unaligned offset");
    expect_rc(xenolith_blk_read(d, 0, buf, ss - 1), -EINVAL, "partial sector");
    expect_rc(xenolith_blk_read(d, 0, buf, 0), -EINVAL, "empty read");
    expect_rc(xenolith_blk_read(d, size, buf, ss), -EINVAL, "read past the end");
    expect_rc(xenolith_blk_read(d, size - ss, buf, 2 * ss), -EINVAL, "read across the end");
    expect_rc(xenolith_blk_read(d, 0, NULL, ss), -EINVAL, "no buffer");
    expect_rc(xenolith_blk_write(d, UINT64_MAX - ss + 1, buf, ss), -EINVAL, "offset overflow");
    struct xenolith_blk_request r = {.op = (enum xenolith_blk_op)9, .done = NULL};
    expect_rc(xenolith_blk_submit(d, &r), -EINVAL, "no callback");
    expect_rc(xenolith_blk_submit(NULL, &r), -ENODEV, "no device");

    /* The last sector, written and read back at an odd buffer address. */
    char *odd = buf + 1;
    pattern_fill(77, size - ss, odd, ss);
    expect_rc(xenolith_blk_write(d, size - ss, odd, ss), 0, "write last sector");
    memset(odd, 0, ss);
    expect_rc(xenolith_blk_read(d, size - ss, odd, ss), 0, "read last sector");
    if (pattern_check(77, size - ss, odd, ss) >= 0)
        FAIL("last sector read back wrong");
    check_flush(d, &in, name);
    check_barrier_order(d, &in, name);
    check_burst(d, name);

    struct xenolith_blk_request cr = {.op = XENOLITH_BLK_READ,
                                      .offset = 0,
                                      .len = ss,
                                      .buf = buf,
                                      .done = sync_in_callback,
                                      .arg = d};
    expect_rc(xenolith_blk_submit(d, &cr), 0, "async read");
    wait_event(&cb_wq, cb_rc != 1);
    expect_rc(cb_rc, -EDEADLK, "sync read inside a completion callback");

    if (in.features & XENOLITH_BLK_F_DISCARD) {
        check_discard(d, &in, name);
        expect_rc(xenolith_blk_discard(d, 1, ss), -EINVAL, "unaligned discard");
        printf("blk-test: %s discard ok\n", name);
    } else {
        expect_rc(xenolith_blk_discard(d, 0, ss), -EOPNOTSUPP, "discard without the feature");
    }
    free(buf);

    /* One request bigger than anything the ring takes at once (cut into many). */
    uint64_t big = size < (24u << 20) ? size : 24u << 20;
    char *b = malloc(big);
    if (!b)
        FAIL("out of memory for %llu bytes", (unsigned long long)big);
    pattern_fill(91, 0, b, big);
    expect_rc(xenolith_blk_write(d, 0, b, big), 0, "one huge write");
    memset(b, 0, big);
    expect_rc(xenolith_blk_read(d, 0, b, big), 0, "one huge read");
    if (pattern_check(91, 0, b, big) >= 0)
        FAIL("huge request read back wrong at %lld", (long long)pattern_check(91, 0, b, big));
    free(b);
    printf("blk-test: %s checks ok\n", name);
}

static void step_ro(const char *name)
{
    struct xenolith_blk_dev *d = dev_named(name);
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    if (!in.read_only)
        FAIL("%s is not read-only", name);
    char buf[8192];
    expect_rc(xenolith_blk_write(d, 0, buf, 512), -EROFS, "write to a read-only disk");
    expect_rc(xenolith_blk_discard(d, 0, 512), -EROFS, "discard on a read-only disk");
    expect_rc(xenolith_blk_flush(d), -EROFS, "flush of a read-only disk");
    expect_rc(xenolith_blk_read(d, 4096, buf, sizeof(buf)), 0, "read from a read-only disk");
    static const char fill[] = "xenolith-disk-pattern\n";
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != fill[(4096 + i) % (sizeof(fill) - 1)])
            FAIL("%s: byte %zu is not the harness's fill", name, 4096 + i);
    printf("blk-test: %s read-only ok\n", name);
}

static void step_ro_backend(const char *name)
{
    struct xenolith_blk_dev *d = dev_named(name);
    char buf[4096] = "must never land";
    expect_rc(xenolith_blk_write(d, 0, buf, sizeof(buf)), -EIO, "write the backend must refuse");
    /* The device still works after an error. */
    expect_rc(xenolith_blk_read(d, 0, buf, sizeof(buf)), 0, "read after a refused write");
    if (memcmp(buf, "xenolith-disk-pattern\n", 22) != 0)
        FAIL("%s: the refused write changed the disk", name);
    printf("blk-test: %s backend refusal reached us as EIO\n", name);
}

/* With xenolith.blk.timeout_ms=1: a large write outlives the watchdog, the device is
 * disconnected, and everything after fails cleanly. */
static void step_timeout(const char *name)
{
    struct xenolith_blk_dev *d = dev_named(name);
    uint64_t len = 16u << 20;
    char *b = calloc(1, len);
    if (!b)
        FAIL("out of memory");
    expect_rc(xenolith_blk_write(d, 0, b, len), -ETIMEDOUT, "write outliving the watchdog");
    expect_rc(xenolith_blk_read(d, 0, b, 4096), -EIO, "read on a disconnected disk");
    char line[200];
    xenolith_blk_dev_describe(d, line, sizeof(line));
    if (!strstr(line, "DISCONNECTED"))
        FAIL("%s not marked disconnected: %s", name, line);
    free(b);
    printf("blk-test: %s timed out and disconnected cleanly\n", name);
}

/* dom0 detaches the disk (xl block-detach) while we keep reading it. */
static void step_detach(const char *name)
{
    struct xenolith_blk_dev *d = dev_named(name);
    char buf[4096];
    int rc = 0;
    printf("blk-test: %s looping\n", name);
    fflush(stdout);
    for (int i = 0; i < 3000 && rc == 0; i++) {
        rc = xenolith_blk_read(d, 0, buf, sizeof(buf));
        if (rc == 0)
            xenolith_thread_sleep_ns(20 * 1000 * 1000);
    }
    expect_rc(rc, -EIO, "I/O on a detached disk");
    expect_rc(xenolith_blk_write(d, 0, buf, sizeof(buf)), -EIO, "write after the detach");
    printf("blk-test: %s detached: I/O fails with EIO\n", name);
}

static long backend_ulong(struct xenolith_blk_dev *d, const char *key)
{
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    char path[160], be[128];
    snprintf(path, sizeof(path), "device/vbd/%u/backend", in.vdev);
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, path, be, sizeof(be)) <= 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", be, key);
    long v;
    return xenolith_xs_read_int(XENOLITH_XS_NO_TX, path, &v) == 0 ? v : -1;
}

static void step_queues(void)
{
    int n = xenolith_blk_dev_count(), vcpus = smp_num_online();
    for (int i = 0; i < n; i++) {
        struct xenolith_blk_dev *d = xenolith_blk_dev_get(i);
        struct xenolith_blk_info in;
        xenolith_blk_dev_info(d, &in);
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
    struct xenolith_blk_dev *d = dev_named(arg);
    struct xenolith_blk_info in;
    xenolith_blk_dev_info(d, &in);
    const char *what = colon + 1;
    long want = strtol(eq + 1, NULL, 10), got;
    if (strcmp(what, "indirect") == 0)
        got = !!(in.features & XENOLITH_BLK_F_INDIRECT);
    else if (strcmp(what, "persistent") == 0)
        got = !!(in.features & XENOLITH_BLK_F_PERSISTENT);
    else if (strcmp(what, "flush") == 0)
        got = !!(in.features & XENOLITH_BLK_F_FLUSH);
    else if (strcmp(what, "barrier") == 0)
        got = !!(in.features & XENOLITH_BLK_F_BARRIER);
    else if (strcmp(what, "discard") == 0)
        got = !!(in.features & XENOLITH_BLK_F_DISCARD);
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

/* Ring requests one ring page holds (__CONST_RING_SIZE(blkif, 4096)). */
#define ONE_PAGE_SLOTS 32

/* Whether the counters show feature `what` in use (1) or not (0); -1: no such feature. */
static int in_use(const char *what, const struct xenolith_blk_stats *st, char *how, size_t n)
{
    const struct {
        const char *name;
        uint64_t count;
    } simple[] = {{"indirect", st->indirect_requests},
                  {"flush", st->flush_requests},
                  {"barrier", st->barrier_requests},
                  {"discard", st->discard_requests}};
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (strcmp(what, simple[i].name) == 0) {
            snprintf(how, n, "%llu %s requests", (unsigned long long)simple[i].count, what);
            return simple[i].count > 0;
        }
    if (strcmp(what, "ring") == 0) {
        snprintf(how, n, "at most %llu ring requests in flight, one page holds %d",
                 (unsigned long long)st->max_in_flight, ONE_PAGE_SLOTS);
        return st->max_in_flight > ONE_PAGE_SLOTS;
    }
    if (strcmp(what, "persistent") == 0) {
        snprintf(how, n, "%llu grants for %llu pages sent", (unsigned long long)st->grants,
                 (unsigned long long)st->segments);
        return st->segments > 0 && st->grants < st->segments;
    }
    return -1;
}

static void step_usage(char *arg, int want)
{
    char *colon = strchr(arg, ':');
    if (!colon || !colon[1])
        FAIL("bad %s step '%s'", want ? "used" : "unused", arg);
    *colon = 0;
    struct xenolith_blk_dev *d = dev_named(arg);
    struct xenolith_blk_stats st;
    xenolith_blk_dev_stats(d, XENOLITH_BLK_STATS_ALL, &st);
    for (char *w = strtok(colon + 1, ","); w; w = strtok(NULL, ",")) {
        char how[96];
        int u = in_use(w, &st, how, sizeof(how));
        if (u < 0)
            FAIL("unknown feature '%s'", w);
        if (u != want)
            FAIL("%s: %s %s: %s", arg, w, want ? "not in use" : "in use", how);
        printf("blk-test: %s %s %s: %s\n", arg, w, want ? "in use" : "not in use", how);
    }
}

static void step_wait_go(void)
{
    char v[16];
    printf("blk-test: waiting for go\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++) {
        if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/blk-go", v, sizeof(v)) > 0)
            return;
        xenolith_thread_sleep_ns(100 * 1000 * 1000);
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
            int n = xenolith_blk_dev_count();
            printf("blk-test: %d disk(s), %d VCPU(s)\n", n, smp_num_online());
            for (int k = 0; k < n; k++) {
                char line[200];
                xenolith_blk_dev_describe(xenolith_blk_dev_get(k), line, sizeof(line));
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
        } else if ((strcmp(a, "used") == 0 || strcmp(a, "unused") == 0) && v) {
            step_usage(v, a[0] == 'u' && a[1] == 's');
        } else {
            FAIL("unknown step '%s'", argv[i]);
        }
        fflush(stdout);
    }
    printf("blk-test: all ok\n");
    return 0;
}
