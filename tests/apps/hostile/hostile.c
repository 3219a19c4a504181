/*
 * blkfront against tools/xen/hostile, a dom0 backend that breaks the protocol on
 * purpose (tests/xen/hostile.manifest). Before touching the disk the app fills free
 * pages with a poison (0xa5) and gives them back, so a page granted uncleared shows
 * up in the backend's leak check. Then, while a ticker thread counts, it writes and
 * reads back small and large (indirect) blocks until done or an error:
 *
 *   expect=ok      every I/O succeeds and reads back what was written
 *   expect=eio     I/O fails with EIO, and so does all I/O after it, quickly
 *   expect=enodev  the disk never appears (xenolith_blk_dev_find gives NULL)
 *   seconds=N      keep doing I/O for N seconds (default: 12 rounds)
 *   idle=N         then do nothing but tick for N seconds
 *   large          then a 1 MiB write and read back
 *   queues=N, ring=N, segs=N
 *                  the disk must use N queues, N-page rings, N segments per request
 *   indirect=0     no indirect request may be made (else one must be)
 *   net            no disk: vif0's backend breaks the rx protocol; the device must
 *                  go down within 10 s and xenolith_net_tx then fail with ENETDOWN
 *   net-ok         no disk: vif0 must work: a frame in and a frame out on each queue
 *   storm          the backend floods us with events: they must have been seen
 *                  (64 more events with no response than requests made)
 *   keep           the backend keeps some of our granted pages mapped after we are
 *                  done with them and writes a marker into them: scan all free memory
 *                  for it after every round and until every deferred grant is let go;
 *                  a grant must have been deferred, and the marker never be seen
 *   detach         after the rounds, say io-done (data/hostile-app): the backend closes
 *                  the disk; wait until it is torn down, and say detached
 *   revoked        then take most free memory (the disk's old pages among it), fill it
 *                  with a pattern, say armed, and once the backend has tried every
 *                  grant ref it was ever given (data/hostile-backend), check that not
 *                  one byte of it changed
 *
 * Ends with "hostile-test: all ok", or "hostile-test: FAILED ..." and exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/net.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/mm.h"
#include "drivers/xen/gnttab.h"

#define ROUNDS    12
#define BIG       (64 * 1024 + 512) /* 17 pages, the last partly filled: indirect */
#define POISON    0xa5
#define TICK_NS   (10 * 1000 * 1000ULL)
#define MAX_PAGES 4096
#define SCAN_MAX  16384
#define LARGE     (1024 * 1024)
#define MARKER    "XENOLITH-HOSTILE" /* what tools/xen/hostile writes into pages it keeps */
#define SEC       1000000000ULL

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("hostile-test: FAILED: " __VA_ARGS__);                                              \
        printf("\n");                                                                              \
        exit(1);                                                                                   \
    } while (0)

static volatile int ticking = 1;
static volatile unsigned long ticks;

static void *ticker(void *arg)
{
    while (ticking) {
        xenolith_thread_sleep_ns(TICK_NS);
        ticks++;
    }
    return NULL;
}

/* Leave freed frames full of poison for whoever allocates next. */
static void poison_free_pages(void)
{
    static void *pages[MAX_PAGES];
    unsigned int n = 0;
    while (n < MAX_PAGES && mm_free_pages() > 1024 && (pages[n] = pages_alloc(1)))
        memset(pages[n++], POISON, 4096);
    for (unsigned int i = n; i > 0; i--)
        pages_free(pages[i - 1], 1);
    printf("hostile-test: poisoned %u free pages\n", n);
}

/* ---- memory the backend must not reach ---- */

static void *held[SCAN_MAX];

/* Take every free page but `spare` into held[]; how many. */
static unsigned int take_free_pages(uint64_t spare)
{
    unsigned int n = 0;
    while (n < SCAN_MAX && mm_free_pages() > spare && (held[n] = pages_alloc(1)))
        n++;
    return n;
}

static void give_back(unsigned int n)
{
    while (n > 0)
        pages_free(held[--n], 1);
}

static int has_marker(const uint8_t *p)
{
    for (unsigned int i = 0; i < 4096; i += 16)
        if (memcmp(p + i, MARKER, 16) == 0)
            return 1;
    return 0;
}

/* Does any page that could be handed out next carry the backend's marker? */
static unsigned int scan_free_memory(void)
{
    unsigned int n = take_free_pages(64), found = 0;
    for (unsigned int i = 0; i < n; i++)
        found += (unsigned int)has_marker(held[i]);
    give_back(n);
    return found;
}

static int backend_says(const char *what)
{
    char v[32];
    return xenolith_xs_read(XENOLITH_XS_NO_TX, "data/hostile-backend", v, sizeof(v)) > 0 &&
           strncmp(v, what, strlen(what)) == 0;
}

/*
 * The backend keeps pages of ours mapped and writes its marker into them. Each must
 * be set aside (deferred), never handed out, and freed once the backend lets go:
 * scan free memory until then, and until the backend says it has let go (so the
 * scans cover all its writing, even if we had wrongly freed the pages at once).
 */
static void watch_deferred(uint64_t deferred0)
{
    uint64_t start = xenolith_time_now_ns(), total;
    unsigned int waiting, scans = 0;
    for (;;) {
        if (scan_free_memory())
            FAIL("a free page carries the backend's marker: a page it maps was freed");
        scans++;
        gnttab_deferred_stats(&waiting, &total);
        if (total > deferred0 && waiting == 0 && backend_says("unmapped"))
            break;
        if (xenolith_time_now_ns() - start > 20 * SEC)
            FAIL("after 20 s: %llu grant(s) deferred, %u still waiting; the backend %s",
                 (unsigned long long)(total - deferred0), waiting,
                 backend_says("unmapped") ? "let go" : "never said it let go");
        xenolith_thread_sleep_ns(100 * 1000 * 1000ULL);
    }
    if (scan_free_memory())
        FAIL("a freed page carries the backend's marker: it was not cleared");
    printf("hostile-test: %llu grant(s) deferred while the backend mapped them, all let go; "
           "the marker never showed in free memory (%u scans)\n",
           (unsigned long long)(total - deferred0), scans + 1);
}

static uint64_t pattern(unsigned int page, unsigned int word)
{
    return 0x9e3779b97f4a7c15ULL * ((uint64_t)page * 512 + word + 1);
}

/*
 * The disk is gone and its pages freed: hold most free memory (those pages among
 * it), fill it with a pattern, let the backend try every grant ref it was given,
 * then check each word. A grant still usable would have changed some.
 */
static void revoked_test(void)
{
    unsigned int n = take_free_pages(32);
    for (unsigned int i = 0; i < n; i++)
        for (unsigned int w = 0; w < 512; w++)
            ((uint64_t *)held[i])[w] = pattern(i, w);
    printf("hostile-test: %u free pages filled; the backend may try its old grants now\n", n);
    xenolith_xs_write(XENOLITH_XS_NO_TX, "data/hostile-app", "armed");
    uint64_t start = xenolith_time_now_ns();
    while (!backend_says("probed") && xenolith_time_now_ns() - start < 30 * SEC)
        xenolith_thread_sleep_ns(20 * 1000 * 1000ULL);
    char v[32] = "";
    xenolith_xs_read(XENOLITH_XS_NO_TX, "data/hostile-backend", v, sizeof(v));
    unsigned int changed = 0;
    for (unsigned int i = 0; i < n; i++)
        for (unsigned int w = 0; w < 512; w++)
            if (((uint64_t *)held[i])[w] != pattern(i, w)) {
                changed++;
                break;
            }
    give_back(n);
    if (strncmp(v, "probed", 6) != 0)
        FAIL("the backend never said it had tried its grants");
    if (changed)
        FAIL("%u of %u pages changed while the backend tried grants we had revoked", changed, n);
    printf("hostile-test: the backend %s; none of our %u pages changed\n", v, n);
}

/* ---- the disk ---- */

static volatile int detached;

static void on_hotplug(struct xenolith_blk_dev *d, int attached, void *arg)
{
    if (!attached)
        detached = 1;
}

/* Tell the backend the I/O is done; it closes the disk. Wait until it is torn down. */
static void detach_disk(void)
{
    xenolith_blk_on_hotplug(on_hotplug, NULL);
    xenolith_xs_write(XENOLITH_XS_NO_TX, "data/hostile-app", "io-done");
    uint64_t start = xenolith_time_now_ns();
    while (!detached && xenolith_time_now_ns() - start < 15 * SEC)
        xenolith_thread_sleep_ns(10 * 1000 * 1000ULL);
    if (!detached)
        FAIL("xvda was not torn down within 15 s of the backend closing it");
    printf("hostile-test: xvda: detached\n");
}

static const char *errname(int rc)
{
    switch (rc) {
    case 0:
        return "ok";
    case -EIO:
        return "EIO";
    case -ENODEV:
        return "ENODEV";
    case -ETIMEDOUT:
        return "ETIMEDOUT";
    case -EINVAL:
        return "EINVAL";
    }
    return "other error";
}

static void fill(char *buf, size_t len, unsigned int round, unsigned int which)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (i + round * 7 + which * 3) % 26);
}

/* One round: a 512-byte and a large write, each read back. 0 or the first error. */
static int io_round(struct xenolith_blk_dev *d, unsigned int round)
{
    static char wbuf[BIG], rbuf[BIG];
    uint64_t small_at = (uint64_t)(1 + round % 64) * 512, big_at = 1 << 20;
    fill(wbuf, 512, round, 0);
    int rc = xenolith_blk_write(d, small_at, wbuf, 512);
    if (rc == 0)
        rc = xenolith_blk_read(d, small_at, rbuf, 512);
    if (rc == 0 && memcmp(wbuf, rbuf, 512) != 0)
        FAIL("round %u: 512-byte block read back wrong", round);
    if (rc < 0)
        return rc;
    fill(wbuf, BIG, round, 1);
    rc = xenolith_blk_write(d, big_at, wbuf, BIG);
    if (rc == 0)
        rc = xenolith_blk_read(d, big_at, rbuf, BIG);
    if (rc == 0 && memcmp(wbuf, rbuf, BIG) != 0)
        FAIL("round %u: %u-byte block read back wrong", round, BIG);
    return rc;
}

static void on_frame(struct xenolith_net_dev *d, unsigned int queue, const void *data, size_t len,
                     unsigned int flags, void *arg)
{
    printf("hostile-test: vif0: a %zu-byte frame came through\n", len);
}

/* vif0 against a netback that lies: it must be taken down, and say so. */
static uint64_t free_while_up; /* free pages while vif0 was connected */

static int net_test(void)
{
    if (xenolith_net_dev_count() < 1)
        FAIL("no vif");
    struct xenolith_net_dev *d = xenolith_net_dev_get(0);
    free_while_up = mm_free_pages();
    xenolith_net_dev_set_rx(d, on_frame, NULL);
    uint64_t start = xenolith_time_now_ns();
    while (xenolith_net_dev_connected(d) && xenolith_time_now_ns() - start < 10000000000ULL)
        xenolith_thread_sleep_ns(TICK_NS);
    if (xenolith_net_dev_connected(d))
        FAIL("vif0 still up 10 s after the backend broke the rx protocol");
    static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct xenolith_net_frag fr = {frame, sizeof(frame)};
    int rc = xenolith_net_tx(d, 0, &fr, 1, NULL);
    printf("hostile-test: vif0: down; xenolith_net_tx says %s\n",
           rc == -ENETDOWN ? "ENETDOWN" : "?");
    if (rc != -ENETDOWN)
        FAIL("xenolith_net_tx on a failed vif returned %d", rc);
    return 0;
}

/* 1 MiB at 2 MiB, written and read back: with indirect-huge, requests of 256 segments. */
static int io_large(struct xenolith_blk_dev *d)
{
    static char wbuf[LARGE], rbuf[LARGE];
    fill(wbuf, LARGE, 5, 2);
    int rc = xenolith_blk_write(d, 2 << 20, wbuf, LARGE);
    if (rc == 0)
        rc = xenolith_blk_read(d, 2 << 20, rbuf, LARGE);
    if (rc == 0 && memcmp(wbuf, rbuf, LARGE) != 0)
        FAIL("the 1 MiB block read back wrong");
    if (rc == 0)
        printf("hostile-test: xvda: 1 MiB written and read back\n");
    return rc;
}

static volatile unsigned int frames_on[16];

static void count_frame(struct xenolith_net_dev *d, unsigned int queue, const void *data,
                        size_t len, unsigned int flags, void *arg)
{
    if (queue < 16)
        frames_on[queue]++;
}

/* vif0 against a backend that offers absurdly many queues: it must work on what we use. */
static void net_ok_test(unsigned int want_queues)
{
    if (xenolith_net_dev_count() < 1)
        FAIL("no vif");
    struct xenolith_net_dev *d = xenolith_net_dev_get(0);
    unsigned int nq = xenolith_net_dev_queues(d);
    if (want_queues && nq != want_queues)
        FAIL("vif0 uses %u queues, not %u", nq, want_queues);
    xenolith_net_dev_set_rx(d, count_frame, NULL);
    static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x16, 0x3e};
    struct xenolith_net_frag fr = {frame, sizeof(frame)};
    for (unsigned int q = 0; q < nq; q++) {
        int rc = xenolith_net_tx(d, q, &fr, 1, NULL);
        if (rc < 0)
            FAIL("xenolith_net_tx on queue %u: %d", q, rc);
    }
    uint64_t start = xenolith_time_now_ns();
    unsigned int got = 0;
    while (got < nq && xenolith_time_now_ns() - start < 10 * SEC) {
        got = 0;
        for (unsigned int q = 0; q < nq && q < 16; q++)
            got += frames_on[q] > 0;
        xenolith_thread_sleep_ns(TICK_NS);
    }
    if (got < nq || !xenolith_net_dev_connected(d))
        FAIL("frames came in on %u of %u queues; vif0 %s", got, nq,
             xenolith_net_dev_connected(d) ? "up" : "down");
    printf("hostile-test: vif0: %u queues, a frame in on each, one out on each\n", nq);
}

/*
 * The backend answers our Closing with Closed once it has seen it (its log says so):
 * wait for that (up to 5 s), so the domain is not gone before the backend looked.
 */
/* The backend logs what it saw of us until it closes: do not end before it has. */
static void wait_backend_closed(const char *dev)
{
    char be[128], path[160], st[8];
    snprintf(path, sizeof(path), "%s/backend", dev);
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, path, be, sizeof(be)) <= 0)
        return;
    snprintf(path, sizeof(path), "%s/state", be);
    for (int i = 0; i < 500; i++) {
        int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, path, st, sizeof(st));
        if ((rc > 0 && atoi(st) == 6) || rc == -ENOENT || rc == -EACCES)
            return; /* closed, or already gone (it removes its directory when done) */
        xenolith_thread_sleep_ns(10000000);
    }
    printf("hostile-test: %s: the backend did not close within 5 s\n", dev);
}

int main(int argc, char **argv)
{
    const char *expect = "ok";
    unsigned long seconds = 0, idle = 0, want_queues = 0, want_ring = 0, want_segs = 0;
    int storm = 0, net = 0, net_ok = 0, keep = 0, detach = 0, revoked = 0, large = 0;
    int no_indirect = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "expect=", 7) == 0)
            expect = argv[i] + 7;
        else if (strcmp(argv[i], "net") == 0)
            net = 1;
        else if (strcmp(argv[i], "net-ok") == 0)
            net_ok = 1;
        else if (strcmp(argv[i], "storm") == 0)
            storm = 1;
        else if (strcmp(argv[i], "keep") == 0)
            keep = 1;
        else if (strcmp(argv[i], "detach") == 0)
            detach = 1;
        else if (strcmp(argv[i], "revoked") == 0)
            revoked = detach = 1;
        else if (strcmp(argv[i], "large") == 0)
            large = 1;
        else if (strcmp(argv[i], "indirect=0") == 0)
            no_indirect = 1;
        else if (strncmp(argv[i], "idle=", 5) == 0)
            idle = strtoul(argv[i] + 5, NULL, 10);
        else if (strncmp(argv[i], "seconds=", 8) == 0)
            seconds = strtoul(argv[i] + 8, NULL, 10);
        else if (strncmp(argv[i], "queues=", 7) == 0)
            want_queues = strtoul(argv[i] + 7, NULL, 10);
        else if (strncmp(argv[i], "ring=", 5) == 0)
            want_ring = strtoul(argv[i] + 5, NULL, 10);
        else if (strncmp(argv[i], "segs=", 5) == 0)
            want_segs = strtoul(argv[i] + 5, NULL, 10);
        else
            FAIL("unknown argument %s", argv[i]);
    }
    poison_free_pages();
    unsigned int waiting;
    uint64_t deferred0;
    gnttab_deferred_stats(&waiting, &deferred0);
    if (net || net_ok) {
        if (net_ok)
            net_ok_test((unsigned int)want_queues);
        else
            net_test();
        if (!net_ok)
            wait_backend_closed("device/vif/0"); /* it closes once it has seen us close */
        if (keep) {
            watch_deferred(deferred0);
            /* Its rings and buffers (two pools of 256 pages) are back in the allocator (less
             * what the kernel took meanwhile: the retry thread's stack, ...). */
            uint64_t back = mm_free_pages() - free_while_up;
            printf("hostile-test: vif0: %llu pages back in the allocator since it was up\n",
                   (unsigned long long)back);
            if (mm_free_pages() < free_while_up + 400)
                FAIL("vif0's pages were not freed after the disconnect");
        }
        printf("hostile-test: all ok\n");
        return 0;
    }
    struct xenolith_thread *t = xenolith_thread_create("ticker", ticker, NULL, 0, 0);
    if (!t)
        FAIL("no ticker thread");

    struct xenolith_blk_dev *d = xenolith_blk_dev_find("xvda");
    int rc = 0;
    unsigned int rounds = 0;
    uint64_t start = xenolith_time_now_ns();
    unsigned long ticks0 = ticks;
    if (!d) {
        rc = -ENODEV;
        printf("hostile-test: xvda: no such device (ENODEV)\n");
    } else {
        struct xenolith_blk_info in;
        xenolith_blk_dev_info(d, &in);
        printf("hostile-test: xvda: %llu sectors of %u bytes, %u queue(s) of %u-page rings, %u "
               "segments per request\n",
               (unsigned long long)in.sectors, in.sector_size, in.queues, in.ring_pages,
               in.max_segments);
        if ((want_queues && in.queues != want_queues) ||
            (want_ring && in.ring_pages != want_ring) ||
            (want_segs && in.max_segments != want_segs))
            FAIL("xvda does not use %lu queue(s), %lu-page rings, %lu segments as it should",
                 want_queues, want_ring, want_segs);
        for (;;) {
            if (seconds ? xenolith_time_now_ns() - start >= seconds * SEC : rounds == ROUNDS)
                break;
            rc = io_round(d, rounds);
            if (rc < 0)
                break;
            if (keep && scan_free_memory())
                FAIL("round %u: a free page carries the backend's marker", rounds);
            rounds++;
        }
        if (rc == 0 && large)
            rc = io_large(d);
        printf("hostile-test: xvda: %u rounds ok, then %s\n", rounds, errname(rc));
        if (rc < 0) {
            /* The device is failed for good: everything after fails too, at once. */
            char b[512] = {0};
            int again = xenolith_blk_write(d, 0, b, sizeof(b)),
                again_r = xenolith_blk_read(d, 0, b, sizeof(b));
            printf("hostile-test: xvda: after the failure, write %s, read %s\n", errname(again),
                   errname(again_r));
            if (again != rc || again_r != rc)
                FAIL("a failed device took I/O again");
            wait_backend_closed("device/vbd/51712");
        }
        if (idle) {
            printf("hostile-test: xvda: idle for %lu s\n", idle);
            xenolith_thread_sleep_ns(idle * SEC);
        }
        struct xenolith_blk_stats st;
        xenolith_blk_dev_stats(d, XENOLITH_BLK_STATS_ALL, &st);
        printf("hostile-test: xvda: %llu ring requests, %llu indirect, %llu interrupts, %llu "
               "with no response, %llu pages the backend held on to\n",
               (unsigned long long)st.ring_requests, (unsigned long long)st.indirect_requests,
               (unsigned long long)st.interrupts, (unsigned long long)st.idle_events,
               (unsigned long long)st.grants_leaked);
        if (storm && st.idle_events < st.ring_requests + 64)
            FAIL("no event storm was seen (%llu idle events)", (unsigned long long)st.idle_events);
        if (rc == 0 && !no_indirect && st.indirect_requests == 0)
            FAIL("no indirect request was made: the partly filled indirect page went untested");
        if (no_indirect && st.indirect_requests != 0)
            FAIL("%llu indirect requests to a backend that takes none",
                 (unsigned long long)st.indirect_requests);
        if (rc == 0 && detach)
            detach_disk();
        if (detach && keep)
            xenolith_xs_write(XENOLITH_XS_NO_TX, "data/hostile-app", "detached");
        if (keep)
            watch_deferred(deferred0);
        if (revoked)
            revoked_test();
    }
    uint64_t ms = (xenolith_time_now_ns() - start) / 1000000;
    unsigned long ran = ticks - ticks0;
    ticking = 0;
    xenolith_thread_join(t);
    printf("hostile-test: ticker ran %lu ticks in %llu ms of I/O\n", ran, (unsigned long long)ms);
    if (ms >= 1000 && ran == 0)
        FAIL("the ticker thread never ran while the device was busy");

    const char *got = rc == 0 ? "ok" : rc == -EIO ? "eio" : rc == -ENODEV ? "enodev" : errname(rc);
    if (strcmp(got, expect) != 0)
        FAIL("expected %s, got %s", expect, got);
    printf("hostile-test: all ok\n");
    return 0;
}
