/*
 * Disks that come and go: dom0 attaches xvdb (xl block-attach), the app writes
 * 1 MiB of that cycle's data, reads it back, prints its sha256 (dom0 checks the
 * image against it after the detach), then reads in a loop until dom0 detaches
 * the disk and a read fails with EIO. 10 cycles (tests/xen/hotplug.manifest; argv[1]
 * sets another count, as make soak-hotplug does);
 * grants in use at the start and the end must be equal, and xenolith_blk_dev_count
 * must have grown by one (the same device comes back on each re-attach).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/blk.h>
#include <xenolith/thread.h>
#include "drivers/xen/gnttab.h"
#include "tests/apps/blk/sha256.h"

#define MS   1000000ULL
#define DATA (1024 * 1024)

static struct xenolith_blk_dev *volatile dev;
static volatile int attaches, detaches;

static void on_hotplug(struct xenolith_blk_dev *d, int attached, void *arg)
{
    if (attached) {
        dev = d;
        attaches++;
    } else {
        detaches++;
    }
}

static void fill(uint8_t *buf, int cycle)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(cycle + 1);
    for (size_t i = 0; i < DATA; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
}

static int wait_for(volatile int *counter, int want, int seconds)
{
    for (int i = 0; i < seconds * 100 && *counter < want; i++)
        xenolith_thread_sleep_ns(10 * MS);
    return *counter >= want;
}

static int cycle(int c, uint8_t *buf, uint8_t *back)
{
    if (!wait_for(&attaches, c, 60)) {
        printf("hotplug-test: FAIL cycle %d: no attach\n", c);
        return -1;
    }
    struct xenolith_blk_info info;
    xenolith_blk_dev_info(dev, &info);
    fill(buf, c);
    int rc = xenolith_blk_write(dev, 0, buf, DATA);
    if (rc == 0 && (info.features & XENOLITH_BLK_F_FLUSH))
        rc = xenolith_blk_flush(dev);
    if (rc == 0)
        rc = xenolith_blk_read(dev, 0, back, DATA);
    if (rc < 0 || memcmp(buf, back, DATA)) {
        printf("hotplug-test: FAIL cycle %d: write/read back %d\n", c, rc);
        return -1;
    }
    struct sha256 s;
    uint8_t digest[32];
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, buf, DATA);
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
    unsigned int grants = gnttab_in_use();
    printf("hotplug-test: cycle %d: wrote 1 MiB to %s, sha256 %s; %u grants in use\n", c, info.name,
           hex, grants);
    if (grants == 0) {
        printf("hotplug-test: FAIL cycle %d: a connected disk with no grants\n", c);
        return -1;
    }
    /* Keep reads going until the detach fails one. */
    unsigned long reads = 0;
    for (;;) {
        rc = xenolith_blk_read(dev, (reads % 256) * 4096, back, 4096);
        if (rc < 0)
            break;
        reads++;
    }
    if (rc != -EIO) {
        printf("hotplug-test: FAIL cycle %d: a read failed with %d, not EIO\n", c, rc);
        return -1;
    }
    if (!wait_for(&detaches, c, 30)) {
        printf("hotplug-test: FAIL cycle %d: never released\n", c);
        return -1;
    }
    /* Released: no queues left, and a read must still fail cleanly rather than fault. */
    rc = xenolith_blk_read(dev, 0, back, 4096);
    if (rc != -EIO) {
        printf("hotplug-test: FAIL cycle %d: a read after the release gave %d, not EIO\n", c, rc);
        return -1;
    }
    printf("hotplug-test: cycle %d: detached after %lu reads, I/O failed with EIO, connected %d\n",
           c, reads, xenolith_blk_dev_connected(dev));
    return xenolith_blk_dev_connected(dev) ? -1 : 0;
}

int main(int argc, char **argv)
{
    int cycles = argc > 1 && atoi(argv[1]) > 0 ? atoi(argv[1]) : 10;
    int before = xenolith_blk_dev_count();
    unsigned int grants_start = gnttab_in_use();
    if (xenolith_blk_on_hotplug(on_hotplug, NULL) < 0)
        return 1;
    uint8_t *buf = malloc(DATA), *back = malloc(DATA);
    if (!buf || !back)
        return 1;
    printf("hotplug-test: ready: %d disk(s), %u grants in use\n", before, grants_start);
    for (int c = 1; c <= cycles; c++)
        if (cycle(c, buf, back) < 0)
            return 1;
    unsigned int grants_end = gnttab_in_use();
    int after = xenolith_blk_dev_count();
    printf("hotplug-test: %d attaches, %d detaches, disks %d -> %d, grants in use %u at start, %u "
           "at end\n",
           attaches, detaches, before, after, grants_start, grants_end);
    if (grants_end != grants_start || after != before + 1 || attaches != cycles) {
        printf("hotplug-test: FAIL\n");
        return 1;
    }
    printf("hotplug-test: all ok\n");
    return 0;
}
