/*
 * Bad input around a suspend (issue 11): what an app sees when the move goes
 * wrong. argv[1] says what the harness does to the domain:
 *
 *   gone    after a restore, the first disk's (xvda) backend is taken away before
 *           the domain runs: xvda must be disconnected with a console line, the
 *           requests that waited across the move complete with EIO (none hangs),
 *           a read and a write then fail with EIO, and the second disk (xvdb) and
 *           the network (when there is a vif) still work.
 *   netgone the same for vif0's backend: the device goes down, the disk still works.
 *   cancel  a migration that fails after the domain suspended: the suspend is
 *           cancelled, the same domain goes on, its disk and network still work.
 *   slowxs  after a restore xenstore does not answer for a while: the devices
 *           reconnect once it does, none is failed for it.
 *
 * All along: a writer keeps 8 asynchronous writes to xvda outstanding (each
 * completion submits the next), and a ticker counts every 20 ms; after the bad
 * move the ticker must go on. The app ends with "badresume: all ok" and returns 0
 * (the domain powers off), or prints "badresume: FAIL: ..." and returns 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/lifecycle.h>
#include <xenolith/net.h>
#include <xenolith/netstack.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>

#define MS    1000000ULL
#define BLOCK 4096
#define DEPTH 8

static volatile uint64_t ticks;
static volatile int resumes, last_new = -1;

static void *ticker(void *arg)
{
    for (;;) {
        xenolith_thread_sleep_ns(20 * MS);
        __atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void on_resume(int new_domain, void *arg)
{
    last_new = new_domain;
    __atomic_add_fetch(&resumes, 1, __ATOMIC_SEQ_CST);
}

/* ---- the writer: DEPTH writes to xvda outstanding all along ---- */

static struct xenolith_blk_dev *disk_a, *disk_b;
static struct xenolith_blk_request reqs[DEPTH];
static uint8_t bufs[DEPTH][BLOCK];
static uint64_t disk_blocks;
static volatile uint64_t submitted, completed, done_ok, done_eio, done_other, refused;
static volatile uint64_t outstanding_at_resume = ~0ULL, completed_at_resume, ok_at_resume;
static volatile uint64_t next_block;

static void write_done(struct xenolith_blk_request *r, int status);

static void submit(struct xenolith_blk_request *r)
{
    uint64_t n = __atomic_fetch_add(&next_block, 1, __ATOMIC_SEQ_CST) % disk_blocks;
    r->op = XENOLITH_BLK_WRITE;
    r->offset = n * BLOCK;
    r->len = BLOCK;
    r->done = write_done;
    __atomic_add_fetch(&submitted, 1, __ATOMIC_SEQ_CST);
    int rc = xenolith_blk_submit(disk_a, r);
    if (rc < 0) {
        __atomic_sub_fetch(&submitted, 1, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&refused, 1, __ATOMIC_SEQ_CST); /* the device is down: stop */
    }
}

static void write_done(struct xenolith_blk_request *r, int status)
{
    if (status == 0)
        __atomic_add_fetch(&done_ok, 1, __ATOMIC_SEQ_CST);
    else if (status == -EIO)
        __atomic_add_fetch(&done_eio, 1, __ATOMIC_SEQ_CST);
    else
        __atomic_add_fetch(&done_other, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&completed, 1, __ATOMIC_SEQ_CST);
    if (status == 0)
        submit(r); /* thread context: the queue's thread may submit more */
}

static void on_resume_writer(int new_domain, void *arg)
{
    /* The app's handlers run before the drivers': what waits now waited across the move. */
    completed_at_resume = completed;
    ok_at_resume = done_ok;
    outstanding_at_resume = submitted - completed;
}

static int fail(const char *what)
{
    printf("badresume: FAIL: %s\n", what);
    return 1;
}

static const char *err_name(int rc)
{
    return rc == 0 ? "ok" : rc == -EIO ? "EIO" : rc == -ETIMEDOUT ? "ETIMEDOUT" : "other";
}

/* A block written and read back byte for byte. 0 or a negative errno (-EILSEQ: it differs). */
static int disk_roundtrip(struct xenolith_blk_dev *d, uint64_t offset, uint8_t seed)
{
    static uint8_t out[BLOCK], in[BLOCK];
    for (int i = 0; i < BLOCK; i++)
        out[i] = (uint8_t)(seed + i * 7);
    int rc = xenolith_blk_write(d, offset, out, BLOCK);
    if (rc == 0)
        rc = xenolith_blk_read(d, offset, in, BLOCK);
    if (rc == 0 && memcmp(in, out, BLOCK) != 0)
        rc = -EILSEQ;
    return rc;
}

/* Waits (bounded) until every write submitted has completed. */
static int writer_drained(uint64_t secs)
{
    for (uint64_t i = 0; i < secs * 10; i++) {
        if (__atomic_load_n(&completed, __ATOMIC_SEQ_CST) ==
            __atomic_load_n(&submitted, __ATOMIC_SEQ_CST))
            return 1;
        xenolith_thread_sleep_ns(100 * MS);
    }
    return 0;
}

/* The writer's completions go on without errors: `more` within 20 s. */
static int writer_goes_on(uint64_t more)
{
    uint64_t w0 = done_ok;
    for (int i = 0; i < 200 && done_ok < w0 + more; i++)
        xenolith_thread_sleep_ns(100 * MS);
    printf("badresume: xvda: %lu writes completed since the resume, %lu failed\n",
           (unsigned long)(done_ok - ok_at_resume),
           (unsigned long)(done_eio + done_other + refused));
    return done_ok >= w0 + more && !done_eio && !done_other && !refused;
}

static int ticker_goes_on(const char *after)
{
    uint64_t t0 = ticks;
    xenolith_thread_sleep_ns(500 * MS);
    uint64_t n = ticks - t0;
    printf("badresume: ticker: %lu ticks in the 500 ms after %s\n", (unsigned long)n, after);
    return n >= 5;
}

static struct xenolith_net_dev *vif;

/* dom0 pings the guest after this line (the manifest's cue). */
static void net_cue(const char *when)
{
    if (!vif)
        return;
    printf("badresume: vif0 %s, ping me\n", when);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "gone";
    int gone = strcmp(mode, "gone") == 0, netgone = strcmp(mode, "netgone") == 0;
    int cancel = strcmp(mode, "cancel") == 0, slowxs = strcmp(mode, "slowxs") == 0;
    if (!gone && !netgone && !cancel && !slowxs)
        return fail("mode is gone, netgone, cancel or slowxs");
    if (xenolith_on_resume(on_resume, NULL) < 0 || xenolith_on_resume(on_resume_writer, NULL) < 0)
        return fail("cannot register the resume handlers");
    struct xenolith_thread *t = xenolith_thread_create("ticker", ticker, NULL, 0, 0);
    if (!t)
        return fail("cannot start the ticker");
    xenolith_thread_detach(t);

    if (xenolith_blk_dev_count() < 1 || !(disk_a = xenolith_blk_dev_find("xvda")))
        return fail("no xvda");
    disk_b = xenolith_blk_dev_find("xvdb");
    struct xenolith_blk_info info;
    xenolith_blk_dev_info(disk_a, &info);
    disk_blocks = info.sectors * info.sector_size / BLOCK;
    if (disk_blocks > 256)
        disk_blocks = 256;
    if (xenolith_net_dev_count() > 0) {
        vif = xenolith_net_dev_get(0);
        if (xenolith_netstack_init() < 0)
            return fail("the network stack does not start");
    }
    for (int i = 0; i < DEPTH; i++) {
        reqs[i].buf = bufs[i];
        memset(bufs[i], 'a' + i, BLOCK);
        submit(&reqs[i]);
    }
    while (done_ok < 50 && !refused)
        xenolith_thread_sleep_ns(10 * MS);
    if (refused || disk_roundtrip(disk_a, 511 * BLOCK, 1) < 0)
        return fail("xvda does not work before any suspend");
    if (disk_b && disk_roundtrip(disk_b, 0, 2) < 0)
        return fail("xvdb does not work before any suspend");
    long domid = -1;
    xenolith_xs_read_int(XENOLITH_XS_NO_TX, "domid", &domid);
    printf("badresume: ready: mode %s, domid %ld, xvda%s%s\n", mode, domid,
           disk_b ? " and xvdb" : "", vif ? " and vif0" : "");
    fflush(stdout);
    net_cue("up");

    while (!__atomic_load_n(&resumes, __ATOMIC_SEQ_CST))
        xenolith_thread_sleep_ns(20 * MS);
    long now_domid = -1;
    int xs_rc = xenolith_xs_read_int(XENOLITH_XS_NO_TX, "domid", &now_domid);
    printf("badresume: resumed (%s, domid %ld -> %ld), %lu writes waited across it\n",
           last_new ? "new domain" : "cancelled", domid, now_domid,
           (unsigned long)outstanding_at_resume);
    fflush(stdout);
    int bad = 0;
    if (last_new != !cancel)
        bad += fail(cancel ? "expected a cancelled suspend" : "expected a new domain");
    if (xs_rc < 0 || (now_domid != domid) != !cancel)
        bad += fail("xenstore's domid is not right after the resume");

    if (gone) {
        /* The backend went away: the driver says so and fails the device, never hangs. */
        int i;
        for (i = 0; i < 600 && xenolith_blk_dev_connected(disk_a); i++)
            xenolith_thread_sleep_ns(100 * MS);
        if (xenolith_blk_dev_connected(disk_a))
            return fail("xvda still connected 60 s after its backend went");
        if (!writer_drained(30))
            return fail("writes to xvda still outstanding 30 s after it was disconnected");
        printf("badresume: xvda: disconnected; the %lu writes waiting across the move completed: "
               "%lu with EIO, %lu ok, %lu otherwise\n",
               (unsigned long)outstanding_at_resume, (unsigned long)done_eio,
               (unsigned long)(done_ok - ok_at_resume), (unsigned long)done_other);
        if (outstanding_at_resume == 0 || done_eio != outstanding_at_resume || done_other ||
            done_ok != ok_at_resume)
            bad += fail("the writes that waited across the move did not all fail with EIO");
        static uint8_t buf[BLOCK];
        int rrc = xenolith_blk_read(disk_a, 0, buf, BLOCK);
        int wrc = xenolith_blk_write(disk_a, 0, buf, BLOCK);
        printf("badresume: xvda: read after the failure: %d (%s), write: %d (%s)\n", rrc,
               err_name(rrc), wrc, err_name(wrc));
        if (rrc != -EIO || wrc != -EIO)
            bad += fail("xvda's read and write did not fail with EIO");
        if (disk_b) {
            int rc = disk_roundtrip(disk_b, 8 * BLOCK, 3);
            printf("badresume: xvdb: written and read back after the failure: %d\n", rc);
            if (rc < 0)
                bad += fail("xvdb does not work after xvda failed");
        }
        net_cue("still up");
        if (!ticker_goes_on("the failure"))
            bad += fail("the ticker stopped");
    } else {
        /* Nothing was taken away: the disk goes on, with every write completed. */
        if (!writer_goes_on(100))
            bad += fail("xvda's writes did not go on without errors after the resume");
        int rc = disk_roundtrip(disk_a, 511 * BLOCK, 4);
        if (rc < 0)
            bad += fail("xvda does not work after the resume");
        if (disk_b && disk_roundtrip(disk_b, 8 * BLOCK, 5) < 0)
            bad += fail("xvdb does not work after the resume");
        if (netgone && vif) {
            int i;
            for (i = 0; i < 600 && xenolith_net_dev_connected(vif); i++)
                xenolith_thread_sleep_ns(100 * MS);
            printf("badresume: vif0: %s after its backend went\n",
                   xenolith_net_dev_connected(vif) ? "still connected" : "down");
            if (xenolith_net_dev_connected(vif))
                bad += fail("vif0 still connected 60 s after its backend went");
        } else {
            net_cue("back");
        }
        if (!ticker_goes_on("the resume"))
            bad += fail("the ticker stopped");
    }
    if (vif && !netgone) {
        /* dom0 pinged us and says so on xenstore (data/pinged), or the test fails there. */
        char v[8] = "";
        int i;
        for (i = 0; i < 300; i++) {
            if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/pinged", v, sizeof(v)) >= 0 && v[0])
                break;
            xenolith_thread_sleep_ns(100 * MS);
        }
        printf("badresume: dom0 %s\n", v[0] ? "pinged us after the move" : "never said it pinged");
        if (!v[0])
            bad += fail("no word from dom0's ping");
    }
    if (bad)
        return 1;
    printf("badresume: all ok\n");
    return 0;
}
