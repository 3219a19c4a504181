/*
 * NICs that come and go (tests/xen/hotplug.manifest, tests/xen/hotplug/net-cycles):
 * the domain boots with vif0; dom0 then attaches a second vif (xl network-attach,
 * on xenbr1, its address from the vif's ip=), sends it pings and UDP and TCP
 * payloads that this app echoes (sockets on port 7, over lwIP's interface for the
 * new vif), and detaches it again (xl network-detach). For each cycle the app
 * prints that device's rx/tx counters, which must show the echoed bytes both ways;
 * a thread keeps sending raw frames on it meanwhile, so frames are in flight when
 * the detach comes, and xenolith_net_tx must say -ENETDOWN once it has. The same struct
 * net_dev must come back in the same slot each time; grants in use at the start
 * and the end must be equal, and the pages held outside the heap, stacks and page
 * tables (the drivers' rings and buffers) after each detach exactly as many as
 * after the first.
 *
 *   nethotplug [CYCLES]      (default 10)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenolith/net.h>
#include <xenolith/netstack.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/mm.h"
#include "drivers/xen/gnttab.h"

#define MS         1000000ULL
#define PORT       7
#define ECHO_BYTES 100000 /* dom0 sends at least this much each cycle (net-cycles) */
#define RAW_LEN    60

static struct xenolith_net_dev *volatile dev;
static volatile int attaches, detaches;
static volatile int blasting;                    /* the raw sender's cycle is open */
static uint64_t raw_bytes, raw_frames, raw_down; /* this cycle's, atomics */

static void on_hotplug(struct xenolith_net_dev *d, int attached, void *arg)
{
    if (attached) {
        dev = d;
        attaches++;
    } else if (d == dev) {
        detaches++;
    }
}

/* ---- echo servers ---- */

static void *udp_echo(void *arg)
{
    int s = (int)(intptr_t)arg;
    static char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
        if (n >= 0)
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    }
    return NULL;
}

static void *tcp_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char *buf = malloc(16384);
    ssize_t n;
    while (buf && (n = recv(c, buf, 16384, 0)) > 0)
        for (ssize_t off = 0; off < n;) {
            ssize_t w = send(c, buf + off, (size_t)(n - off), 0);
            if (w <= 0)
                goto out;
            off += w;
        }
out:
    free(buf);
    close(c);
    return NULL;
}

static void *tcp_echo(void *arg)
{
    int ls = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            xenolith_thread_sleep_ns(100 * MS);
            continue;
        }
        struct xenolith_thread *t =
            xenolith_thread_create("echo-tcp", tcp_conn, (void *)(intptr_t)c, -1, 0);
        if (t)
            xenolith_thread_detach(t);
        else
            close(c);
    }
    return NULL;
}

static int serve(int type, void *(*fn)(void *))
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
    int s = socket(AF_INET, type, 0), one = 1;
    if (s < 0)
        return -1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        (type == SOCK_STREAM && listen(s, 8) < 0))
        return -1;
    struct xenolith_thread *t = xenolith_thread_create("echo", fn, (void *)(intptr_t)s, -1, 0);
    if (!t)
        return -1;
    xenolith_thread_detach(t);
    return 0;
}

/* ---- raw frames in flight ---- */

/* Broadcast frames of the local experimental ethertype: the bridge floods, dom0 drops. */
static void *raw_sender(void *arg)
{
    uint8_t frame[RAW_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (;;) {
        xenolith_thread_sleep_ns(10 * MS);
        struct xenolith_net_dev *d = dev;
        if (!d || !__atomic_load_n(&blasting, __ATOMIC_ACQUIRE))
            continue;
        xenolith_net_dev_mac(d, frame + 6);
        struct xenolith_net_frag f = {frame, sizeof(frame)};
        int rc = xenolith_net_tx(d, 0, &f, 1, NULL);
        if (rc == 0) {
            __atomic_add_fetch(&raw_frames, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&raw_bytes, RAW_LEN, __ATOMIC_RELAXED);
        } else if (rc == -ENETDOWN) {
            __atomic_add_fetch(&raw_down, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

/* ---- the cycles ---- */

static int wait_for(volatile int *counter, int want, int seconds)
{
    for (int i = 0; i < seconds * 100 && *counter < want; i++)
        xenolith_thread_sleep_ns(10 * MS);
    return *counter >= want;
}

static struct xenolith_net_dev *first_dev;
static int first_slot = -1;
static uint64_t pages_after_first;

/* Frames in use that are not the image, page tables, stacks or heap: drivers' pages. */
static uint64_t driver_pages(struct mm_usage *u)
{
    mm_usage(u);
    return mm_total_pages() - mm_absent_pages() - u->kernel - u->pagetables - u->stacks - u->heap -
           u->free;
}

static int cycle(int c)
{
    if (!wait_for(&attaches, c, 90)) {
        printf("nethotplug-test: FAIL cycle %d: no attach\n", c);
        return -1;
    }
    struct xenolith_net_dev *d = dev;
    int slot = xenolith_net_dev_index(d);
    if (c == 1) {
        first_dev = d;
        first_slot = slot;
    }
    if (d != first_dev || slot != first_slot || slot < 0 || !xenolith_net_dev_connected(d)) {
        printf("nethotplug-test: FAIL cycle %d: %s in slot %d (first: slot %d), up %d\n", c,
               xenolith_net_dev_name(d), slot, first_slot, xenolith_net_dev_connected(d));
        return -1;
    }
    __atomic_store_n(&raw_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&raw_frames, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&raw_down, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&blasting, 1, __ATOMIC_RELEASE);
    printf("nethotplug-test: cycle %d: %s up in slot %d, %u grants in use\n", c,
           xenolith_net_dev_name(d), slot, gnttab_in_use());
    fflush(stdout);

    if (!wait_for(&detaches, c, 90)) {
        printf("nethotplug-test: FAIL cycle %d: never detached\n", c);
        return -1;
    }
    uint8_t frame[RAW_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x88, 0xb5};
    struct xenolith_net_frag f = {frame, sizeof(frame)};
    int tx_after = xenolith_net_tx(d, 0, &f, 1, NULL);
    xenolith_thread_sleep_ns(30 * MS); /* the raw sender's last try is over */
    __atomic_store_n(&blasting, 0, __ATOMIC_RELEASE);
    xenolith_thread_sleep_ns(20 * MS);
    struct xenolith_net_stats st;
    xenolith_net_dev_stats(d, XENOLITH_NET_STATS_ALL, &st);
    uint64_t raw = __atomic_load_n(&raw_bytes, __ATOMIC_RELAXED);
    uint64_t echo_tx = st.tx_bytes > raw ? st.tx_bytes - raw : 0;
    struct mm_usage u;
    uint64_t pages = driver_pages(&u);
    if (c == 1)
        pages_after_first = pages;
    printf("nethotplug-test: cycle %d: detached; %s rx %llu frames %llu bytes, tx %llu frames "
           "%llu bytes (%llu raw frames of ours, %llu sends said ENETDOWN); xenolith_net_tx now "
           "%d, up %d; "
           "%u grants in use, %llu driver pages (heap %llu)\n",
           c, xenolith_net_dev_name(d), (unsigned long long)st.rx_frames,
           (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_frames,
           (unsigned long long)st.tx_bytes, (unsigned long long)raw_frames,
           (unsigned long long)raw_down, tx_after, xenolith_net_dev_connected(d), gnttab_in_use(),
           (unsigned long long)pages, (unsigned long long)u.heap);
    int ok = 1;
    if (st.rx_bytes < ECHO_BYTES || echo_tx < ECHO_BYTES) {
        printf("nethotplug-test: FAIL cycle %d: the vif carried %llu bytes in and %llu echoed out, "
               "not %d each way\n",
               c, (unsigned long long)st.rx_bytes, (unsigned long long)echo_tx, ECHO_BYTES);
        ok = 0;
    }
    if (tx_after != -ENETDOWN || xenolith_net_dev_connected(d)) {
        printf("nethotplug-test: FAIL cycle %d: after the detach xenolith_net_tx says %d, up %d\n",
               c, tx_after, xenolith_net_dev_connected(d));
        ok = 0;
    }
    if (pages != pages_after_first) {
        printf("nethotplug-test: FAIL cycle %d: drivers hold %llu pages, %llu after the first "
               "detach\n",
               c, (unsigned long long)pages, (unsigned long long)pages_after_first);
        ok = 0;
    }
    fflush(stdout);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    int cycles = argc > 1 ? atoi(argv[1]) : 10;
    if (cycles < 1)
        cycles = 10;
    if (xenolith_netstack_init() < 0 || serve(SOCK_DGRAM, udp_echo) < 0 ||
        serve(SOCK_STREAM, tcp_echo) < 0) {
        printf("nethotplug-test: FAIL: no network stack or echo servers\n");
        return 1;
    }
    int before = xenolith_net_dev_count();
    unsigned int grants_start = gnttab_in_use();
    if (xenolith_net_on_hotplug(on_hotplug, NULL) < 0)
        return 1;
    struct xenolith_thread *t = xenolith_thread_create("raw-sender", raw_sender, NULL, -1, 0);
    if (!t)
        return 1;
    xenolith_thread_detach(t);
    printf("nethotplug-test: ready: %d device(s), %u grants in use, %d cycles\n", before,
           grants_start, cycles);
    fflush(stdout);
    for (int c = 1; c <= cycles; c++)
        if (cycle(c) < 0)
            return 1;
    unsigned int grants_end = gnttab_in_use();
    int after = xenolith_net_dev_count();
    printf("nethotplug-test: %d attaches, %d detaches, devices %d -> %d, grants in use %u at "
           "start, %u at end\n",
           attaches, detaches, before, after, grants_start, grants_end);
    if (grants_end != grants_start || after != before + 1 || attaches != cycles ||
        detaches != cycles) {
        printf("nethotplug-test: FAIL\n");
        return 1;
    }
    /* vif0, there from the boot, still answers: dom0 pings it, then says so here. */
    printf("nethotplug-test: cycles done\n");
    fflush(stdout);
    char word[16] = "";
    for (int i = 0; i < 600 && strcmp(word, "done") != 0; i++) {
        xenolith_thread_sleep_ns(100 * MS);
        if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/nethotplug", word, sizeof(word)) < 0)
            word[0] = '\0';
    }
    if (strcmp(word, "done") != 0) {
        printf("nethotplug-test: FAIL: dom0 never said done\n");
        return 1;
    }
    printf("nethotplug-test: all ok\n");
    return 0;
}
