/*
 * xenstore from an application: write/read/directory/rm under data/, a watch
 * fired by dom0 (checked value), and a transaction that conflicts with dom0 and
 * must be retried before it commits. The suite plays dom0's part
 * (tests/xen/manifest, guest "xenstore").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "drivers/xen/xenstore_internal.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("xs-test: FAILED: " __VA_ARGS__);                                               \
            printf("\n");                                                                          \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static volatile int watch_fired;
static char watch_value[64];

static void on_dom0_write(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    char v[64];
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/from-dom0", v, sizeof(v)) > 0) {
        strcpy(watch_value, v);
        watch_fired = 1;
    }
}

static volatile int counter_changed;

static void on_counter(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    counter_changed++;
}

struct tx_state {
    int attempts;
};

/* Read the counter, let dom0 change it under us on the first attempt, then add one. */
/* A slow callback: xenolith_xs_unwatch from elsewhere must wait for it to end. */
static volatile int slow_calls, slow_inside, slow_done;
static void on_flood(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    slow_calls++;
    slow_inside = 1;
    xenolith_thread_sleep_ns(300 * 1000 * 1000);
    slow_inside = 0;
    slow_done++;
}

static int bump_counter(xenolith_xs_tx_t tx, void *arg)
{
    struct tx_state *st = arg;
    long v;
    int rc = xenolith_xs_read_int(tx, "data/counter", &v);
    if (rc < 0)
        return rc;
    if (st->attempts++ == 0) {
        int seen = counter_changed;
        printf("xs-test: in transaction, counter=%ld\n", v);
        fflush(stdout);
        for (int i = 0; i < 3000 && counter_changed == seen; i++)
            xenolith_thread_sleep_ns(10 * 1000 * 1000);
        CHECK(counter_changed != seen, "dom0 never changed data/counter");
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", v + 1);
    return xenolith_xs_write(tx, "data/counter", buf);
}

int main(void)
{
    char buf[128];
    int domid = xenolith_xs_domid();
    CHECK(domid > 0, "domid %d", domid);
    printf("xs-test: domid %d\n", domid);

    CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/a", "alpha") == 0, "write data/a");
    CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/b", "beta") == 0, "write data/b");
    CHECK(xenolith_xs_read(XENOLITH_XS_NO_TX, "data/a", buf, sizeof(buf)) == 5 &&
              !strcmp(buf, "alpha"),
          "read a");
    snprintf(buf, sizeof(buf), "/local/domain/%d/data/b", domid);
    char *b = xenolith_xs_read_alloc(XENOLITH_XS_NO_TX, buf);
    CHECK(b && !strcmp(b, "beta"), "absolute read of b");
    free(b);
    CHECK(xenolith_xs_read(XENOLITH_XS_NO_TX, "data/a", buf, 3) == -ERANGE,
          "short buffer gives -ERANGE");
    CHECK(xenolith_xs_read(XENOLITH_XS_NO_TX, "data/nonexistent", buf, sizeof(buf)) == -ENOENT,
          "ENOENT");

    char **names;
    int n = xenolith_xs_directory(XENOLITH_XS_NO_TX, "data", &names);
    int have_a = 0, have_b = 0;
    for (int i = 0; i < n; i++) {
        have_a |= !strcmp(names[i], "a");
        have_b |= !strcmp(names[i], "b");
    }
    free(names);
    CHECK(n >= 2 && have_a && have_b, "directory data: %d entries", n);
    CHECK(xenolith_xs_rm(XENOLITH_XS_NO_TX, "data/a") == 0, "rm data/a");
    CHECK(xenolith_xs_read(XENOLITH_XS_NO_TX, "data/a", buf, sizeof(buf)) == -ENOENT,
          "a gone after rm");
    struct xenolith_xs_perm perms[4];
    CHECK(xenolith_xs_get_perms(XENOLITH_XS_NO_TX, "data/b", perms, 4) >= 1 &&
              perms[0].domid == domid,
          "perms of data/b owned by us");
    struct xenolith_xs_perm set[2] = {{XENOLITH_XS_PERM_NONE, (uint16_t)domid},
                                      {XENOLITH_XS_PERM_READ, 0}};
    CHECK(xenolith_xs_set_perms(XENOLITH_XS_NO_TX, "data/b", set, 2) == 0, "set perms");
    CHECK(xenolith_xs_get_perms(XENOLITH_XS_NO_TX, "data/b", perms, 4) == 2 &&
              perms[1].domid == 0 && perms[1].perm == XENOLITH_XS_PERM_READ,
          "perms read back");
    printf("xs-test: basic ok\n");

    /* A watch that dom0 fires. */
    static struct xenolith_xs_watch w;
    CHECK(xenolith_xs_watch(&w, "data/from-dom0", on_dom0_write, NULL) == 0, "watch");
    printf("xs-test: watching data/from-dom0\n");
    fflush(stdout);
    for (int i = 0; i < 3000 && !watch_fired; i++)
        xenolith_thread_sleep_ns(10 * 1000 * 1000);
    CHECK(watch_fired, "watch never fired");
    CHECK(!strcmp(watch_value, "hello-from-dom0"), "watch value '%s'", watch_value);
    xenolith_xs_unwatch(&w);
    printf("xs-test: watch ok value=%s\n", watch_value);

    /* A transaction dom0 conflicts with: the first commit must fail and be retried. */
    static struct xenolith_xs_watch cw;
    CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/counter", "10") == 0, "init counter");
    CHECK(xenolith_xs_watch(&cw, "data/counter", on_counter, NULL) == 0, "watch counter");
    xenolith_thread_sleep_ns(100 * 1000 * 1000); /* let the initial watch event pass */
    struct tx_state st = {0};
    int rc = xenolith_xs_transaction(bump_counter, &st);
    CHECK(rc == 0, "transaction: %d", rc);
    long v;
    CHECK(xenolith_xs_read_int(XENOLITH_XS_NO_TX, "data/counter", &v) == 0, "read counter");
    CHECK(st.attempts >= 2, "transaction committed without a retry (%d attempts)", st.attempts);
    CHECK(v == 101, "counter %ld, expected 101 (dom0 wrote 100, we added 1)", v);
    printf("xs-test: transaction retried, %d attempts, counter=%ld\n", st.attempts, v);

    /* Reset the ring with xenstored (as after a resume): data stays, watches come back.
     * Only when xenstored offers it (XENSTORE_SERVER_FEATURE_RECONNECTION). */
    static struct xenolith_xs_watch again;
    CHECK(xenolith_xs_watch(&again, "data/from-dom0", on_dom0_write, NULL) == 0, "watch again");
    xenolith_thread_sleep_ns(100 * 1000 * 1000);
    rc = xenstore_reconnect();
    if (rc == -ENOTSUP) {
        printf("xs-test: xenstored offers no ring reconnection; reconnect not tested\n");
    } else {
        CHECK(rc == 0, "reconnect: %d", rc);
        CHECK(xenolith_xs_read(XENOLITH_XS_NO_TX, "data/b", buf, sizeof(buf)) == 4 &&
                  !strcmp(buf, "beta"),
              "data after reconnect");
        watch_fired = 0;
        CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/from-dom0", "after-reconnect") == 0,
              "write");
        for (int i = 0; i < 3000 && strcmp(watch_value, "after-reconnect"); i++)
            xenolith_thread_sleep_ns(10 * 1000 * 1000);
        CHECK(!strcmp(watch_value, "after-reconnect"), "watch after reconnect: '%s'", watch_value);
        printf("xs-test: watch after reconnect ok\n");
    }
    /*
     * 2000 quick writes to a watched node whose callback takes 300 ms: events for the
     * same path merge, so once the writes are done at most one more callback is due
     * and all is quiet within 2 s (2000 separate events would take 10 minutes). Then
     * xenolith_xs_unwatch, called while a callback runs, returns only once it has ended.
     */
    static struct xenolith_xs_watch flood;
    CHECK(xenolith_xs_watch(&flood, "data/flood", on_flood, NULL) == 0, "watch flood");
    for (int i = 0; i < 2000; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/flood", buf) == 0, "flood write %d", i);
    }
    int calls = -1;
    for (int i = 0; i < 20 && calls != slow_calls; i++) {
        calls = slow_calls;
        xenolith_thread_sleep_ns(700 * 1000 * 1000);
    }
    CHECK(calls == slow_calls && !slow_inside, "callbacks still coming after the writes (%d)",
          slow_calls);
    CHECK(calls >= 1 && calls < 150, "2000 writes gave %d callbacks", calls);
    CHECK(xenolith_xs_write(XENOLITH_XS_NO_TX, "data/flood", "last") == 0, "write last");
    for (int i = 0; i < 3000 && !slow_inside; i++)
        xenolith_thread_sleep_ns(1000 * 1000);
    CHECK(slow_inside, "no callback for the last write");
    int before = slow_done;
    CHECK(xenolith_xs_unwatch(&flood) == 0, "unwatch flood");
    CHECK(!slow_inside && slow_done == before + 1,
          "xenolith_xs_unwatch returned while its callback ran");
    xenolith_thread_sleep_ns(500 * 1000 * 1000);
    CHECK(slow_calls == calls + 1, "a callback ran after xenolith_xs_unwatch");
    printf("xs-test: 2000 writes, %d callbacks; unwatch waited for the running one\n", calls);

    printf("xs-test: all ok\n");
    return 0;
}
