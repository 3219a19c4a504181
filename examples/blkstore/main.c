/*
 * blkstore: a key-value store that survives reboots, on the first disk (or the
 * one named by dev=NAME). Each boot counts itself in the key "boots", checks
 * every key written so far, then writes more keys (each durable before it is
 * reported as "committed") until the domain is rebooted under it, or until
 * boot number `boots=N` (default 3), where it reports and powers off.
 *
 *   xl create blkstore.cfg   with   disk = ["...,vdev=xvda,access=rw,target=store.img"]
 *                                   on_reboot = "restart"
 *   xl reboot blkstore       (twice; the third boot checks everything and exits)
 *
 * Values are derived from their key, so any boot can check any key alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/thread.h>
#include "store.h"

#define MAX_KEYS 4000

static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (; *key; key++)
        h = (h ^ (uint8_t)*key) * 16777619u;
    return h;
}

/* The value of a key: its length and bytes follow from the key alone. */
static uint32_t value_of(const char *key, uint8_t *buf)
{
    uint32_t h = key_hash(key), len = 100 + h % 12000;
    for (uint32_t i = 0; i < len; i++) {
        h = h * 1103515245u + 12345u;
        buf[i] = (uint8_t)(h >> 16);
    }
    return len;
}

int main(int argc, char **argv)
{
    const char *devname = NULL;
    long boots = 3;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "dev=", 4) == 0)
            devname = argv[i] + 4;
        else if (strncmp(argv[i], "boots=", 6) == 0)
            boots = strtol(argv[i] + 6, NULL, 10);
    }
    struct xenolith_blk_dev *d = devname ? xenolith_blk_dev_find(devname) : xenolith_blk_dev_get(0);
    if (!d) {
        printf("blkstore: no disk (%d found)\n", xenolith_blk_dev_count());
        return 1;
    }
    struct xenolith_blk_info info;
    xenolith_blk_dev_info(d, &info);

    static struct store st;
    int formatted, rc = store_open(&st, d, 1, &formatted);
    if (rc < 0) {
        printf("blkstore: cannot open the store on %s: %s\n", info.name, strerror(-rc));
        return 1;
    }
    printf("blkstore: %s on %s: %zu keys, log %llu bytes, generation %llu\n",
           formatted ? "formatted a new store" : "opened the store", info.name, st.nkeys,
           (unsigned long long)st.end, (unsigned long long)st.gen);

    long boot = 1;
    char text[32];
    rc = store_get(&st, "boots", text, sizeof(text) - 1);
    if (rc > 0) {
        text[rc] = 0;
        boot = strtol(text, NULL, 10) + 1;
    }
    snprintf(text, sizeof(text), "%ld", boot);
    rc = store_put(&st, "boots", text, (uint32_t)strlen(text));
    if (rc < 0) {
        printf("blkstore: put boots: %s\n", strerror(-rc));
        return 1;
    }

    /* Every key-N from 0 up must be there, whole, with no gap. */
    static uint8_t want[STORE_MAX_VALUE], got[STORE_MAX_VALUE];
    int n = 0;
    for (;; n++) {
        char key[32];
        snprintf(key, sizeof(key), "key-%d", n);
        rc = store_get(&st, key, got, sizeof(got));
        if (rc == -ENOENT)
            break;
        uint32_t len = value_of(key, want);
        if (rc != (int)len || memcmp(got, want, len) != 0) {
            printf("blkstore: %s is wrong (%d bytes, want %u)\n", key, rc, len);
            return 1;
        }
    }
    for (size_t i = 0; i < st.nkeys; i++) {
        int k;
        if (sscanf(st.index[i].key, "key-%d", &k) == 1 && k >= n) {
            printf("blkstore: %s present but key-%d missing\n", st.index[i].key, n);
            return 1;
        }
    }
    printf("blkstore: boot %ld verified %d keys (highest key-%d)\n", boot, n, n - 1);
    if (boot >= boots) {
        printf("blkstore: done after %ld boots\n", boot);
        return 0;
    }

    /* Write until rebooted; each key is durable before it is reported. */
    for (int k = n; k < n + MAX_KEYS; k++) {
        char key[32];
        snprintf(key, sizeof(key), "key-%d", k);
        uint32_t len = value_of(key, want);
        rc = store_put(&st, key, want, len);
        if (rc < 0) {
            printf("blkstore: put %s: %s\n", key, strerror(-rc));
            return 1;
        }
        printf("blkstore: committed %s\n", key);
        if (k == n + 10)
            printf("blkstore: boot %ld writing\n", boot);
    }
    printf("blkstore: boot %ld idle, waiting to be rebooted\n", boot);
    for (;;)
        xenolith_thread_sleep_ns(1000ULL * 1000 * 1000);
}
