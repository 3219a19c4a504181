/*
 * blkfront against tools/xen/hostile, a dom0 backend that breaks the protocol on
 * purpose (tests/xen/hostile.manifest). Before touching the disk the app fills free
 * pages with a poison (0xa5) and gives them back, so a page granted uncleared shows
 * up in the backend's leak check. Then, while a ticker thread counts, it writes and
 * reads back small and large (indirect) blocks until done or an error:
 *
 *   expect=ok      every I/O succeeds and reads back what was written
 *   expect=eio     I/O fails with EIO, and so does all I/O after it, quickly
 *   expect=enodev  the disk never appears (blk_dev_find gives NULL)
 *   seconds=N      keep doing I/O for N seconds (default: 12 rounds)
 *   idle=N         then do nothing but tick for N seconds
 *   net            no disk: vif0's backend breaks the rx protocol; the device must
 *                  go down within 10 s and net_tx then fail with ENETDOWN
 *   storm          the backend floods us with events: they must have been seen
 *                  (64 more events with no response than requests made)
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

#define ROUNDS    12
#define BIG       (64 * 1024 + 512) /* 17 pages, the last partly filled: indirect */
#define POISON    0xa5
#define TICK_NS   (10 * 1000 * 1000ULL)
#define MAX_PAGES 4096

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
        thread_sleep_ns(TICK_NS);
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
static int io_round(struct blk_dev *d, unsigned int round)
{
    static char wbuf[BIG], rbuf[BIG];
    uint64_t small_at = (uint64_t)(1 + round % 64) * 512, big_at = 1 << 20;
    fill(wbuf, 512, round, 0);
    int rc = blk_write(d, small_at, wbuf, 512);
    if (rc == 0)
        rc = blk_read(d, small_at, rbuf, 512);
    if (rc == 0 && memcmp(wbuf, rbuf, 512) != 0)
        FAIL("round %u: 512-byte block read back wrong", round);
    if (rc < 0)
        return rc;
    fill(wbuf, BIG, round, 1);
    rc = blk_write(d, big_at, wbuf, BIG);
    if (rc == 0)
        rc = blk_read(d, big_at, rbuf, BIG);
    if (rc == 0 && memcmp(wbuf, rbuf, BIG) != 0)
        FAIL("round %u: %u-byte block read back wrong", round, BIG);
    return rc;
}

static void on_frame(struct net_dev *d, unsigned int queue, const void *data, size_t len,
                     unsigned int flags, void *arg)
{
    printf("hostile-test: vif0: a %zu-byte frame came through\n", len);
}

/* vif0 against a netback that lies: it must be taken down, and say so. */
static int net_test(void)
{
    if (net_dev_count() < 1)
        FAIL("no vif");
    struct net_dev *d = net_dev_get(0);
    net_dev_set_rx(d, on_frame, NULL);
    uint64_t start = time_now_ns();
    while (net_dev_up(d) && time_now_ns() - start < 10000000000ULL)
        thread_sleep_ns(TICK_NS);
    if (net_dev_up(d))
        FAIL("vif0 still up 10 s after the backend broke the rx protocol");
    static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct net_frag fr = {frame, sizeof(frame)};
    int rc = net_tx(d, 0, &fr, 1, NULL);
    printf("hostile-test: vif0: down; net_tx says %s\n", rc == -ENETDOWN ? "ENETDOWN" : "?");
    if (rc != -ENETDOWN)
        FAIL("net_tx on a failed vif returned %d", rc);
    return 0;
}

/*
 * The backend answers our Closing with Closed once it has seen it (its log says so):
 * wait for that (up to 5 s), so the domain is not gone before the backend looked.
 */
static void wait_backend_closed(void)
{
    char be[128], path[160], st[8];
    if (xs_read(XS_NO_TX, "device/vbd/51712/backend", be, sizeof(be)) <= 0)
        return;
    snprintf(path, sizeof(path), "%s/state", be);
    for (int i = 0; i < 500; i++) {
        if (xs_read(XS_NO_TX, path, st, sizeof(st)) > 0 && atoi(st) == 6)
            return;
        thread_sleep_ns(10000000);
    }
    printf("hostile-test: xvda: the backend did not close within 5 s\n");
}

int main(int argc, char **argv)
{
    const char *expect = "ok";
    unsigned long seconds = 0;
    int storm = 0, net = 0;
    unsigned long idle = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "expect=", 7) == 0)
            expect = argv[i] + 7;
        else if (strcmp(argv[i], "net") == 0)
            net = 1;
        else if (strcmp(argv[i], "storm") == 0)
            storm = 1;
        else if (strncmp(argv[i], "idle=", 5) == 0)
            idle = strtoul(argv[i] + 5, NULL, 10);
        else if (strncmp(argv[i], "seconds=", 8) == 0)
            seconds = strtoul(argv[i] + 8, NULL, 10);
        else
            FAIL("unknown argument %s", argv[i]);
    }
    poison_free_pages();
    if (net) {
        net_test();
        printf("hostile-test: all ok\n");
        return 0;
    }
    struct thread *t = thread_create("ticker", ticker, NULL, 0, 0);
    if (!t)
        FAIL("no ticker thread");

    struct blk_dev *d = blk_dev_find("xvda");
    int rc = 0;
    unsigned int rounds = 0;
    uint64_t start = time_now_ns();
    unsigned long ticks0 = ticks;
    if (!d) {
        rc = -ENODEV;
        printf("hostile-test: xvda: no such device (ENODEV)\n");
    } else {
        struct blk_info in;
        blk_dev_info(d, &in);
        printf("hostile-test: xvda: %llu sectors of %u bytes, %u segments per request\n",
               (unsigned long long)in.sectors, in.sector_size, in.max_segments);
        for (;;) {
            if (seconds ? time_now_ns() - start >= seconds * 1000000000ULL : rounds == ROUNDS)
                break;
            rc = io_round(d, rounds);
            if (rc < 0)
                break;
            rounds++;
        }
        printf("hostile-test: xvda: %u rounds ok, then %s\n", rounds, errname(rc));
        if (rc < 0) {
            /* The device is failed for good: everything after fails too, at once. */
            char b[512] = {0};
            int again = blk_write(d, 0, b, sizeof(b)), again_r = blk_read(d, 0, b, sizeof(b));
            printf("hostile-test: xvda: after the failure, write %s, read %s\n", errname(again),
                   errname(again_r));
            if (again != rc || again_r != rc)
                FAIL("a failed device took I/O again");
            wait_backend_closed();
        }
        if (idle) {
            printf("hostile-test: xvda: idle for %lu s\n", idle);
            thread_sleep_ns(idle * 1000000000ULL);
        }
        struct blk_stats st;
        blk_dev_stats(d, -1, &st);
        printf("hostile-test: xvda: %llu ring requests, %llu indirect, %llu interrupts, %llu "
               "with no response\n",
               (unsigned long long)st.ring_requests, (unsigned long long)st.indirect_requests,
               (unsigned long long)st.interrupts, (unsigned long long)st.idle_events);
        if (storm && st.idle_events < st.ring_requests + 64)
            FAIL("no event storm was seen (%llu idle events)", (unsigned long long)st.idle_events);
        if (rc == 0 && st.indirect_requests == 0)
            FAIL("no indirect request was made: the partly filled indirect page went untested");
    }
    uint64_t ms = (time_now_ns() - start) / 1000000;
    unsigned long ran = ticks - ticks0;
    ticking = 0;
    thread_join(t);
    printf("hostile-test: ticker ran %lu ticks in %llu ms of I/O\n", ran, (unsigned long long)ms);
    if (ms >= 1000 && ran == 0)
        FAIL("the ticker thread never ran while the device was busy");

    const char *got = rc == 0 ? "ok" : rc == -EIO ? "eio" : rc == -ENODEV ? "enodev" : errname(rc);
    if (strcmp(got, expect) != 0)
        FAIL("expected %s, got %s", expect, got);
    printf("hostile-test: all ok\n");
    return 0;
}
