/*
 * netraw: the raw-frame test app of the nested Xen suite (tests/xen/netfront.manifest).
 * No TCP/IP stack: it answers, on each vif, ARP for its IPv4 address, ICMP echo, IPv6
 * neighbour solicitations and ICMPv6 echo for its link-local address, and echoes UDP
 * port 7 by swapping addresses (fragments too: dom0 reassembles the echo). tcp.c adds
 * a minimal TCP sender and receiver to exercise checksum and segmentation offload.
 *
 *   netraw [OPTIONS] IPV4 [IPV4 ...]    one address per vif, in vif order
 *     --wait-go            wait for xenstore data/netraw-go before touching the network
 *     --expect-queues=N    fail unless every vif has N queues
 *     --tcp-send=IP:PORT:BYTES   connect to IP:PORT and send BYTES of the test pattern
 *     --tcp-recv=PORT:BYTES      accept one connection on PORT, check BYTES of it
 *     --udp-blast=IP:PORT:COUNT  send COUNT 64-byte UDP datagrams as fast as xenolith_net_tx
 *                                takes them, then print frames per second (a benchmark)
 *     --disk=DEV           keep writing and checking disk DEV meanwhile (disk.c)
 *     --expect-tso         fail unless tcp-send had netfront send frames for the backend
 *                          to segment (its tx_gso_frames counter)
 *     --expect-rx-gso      fail unless tcp-recv got frames with GSO info, larger than
 *                          the MTU (netfront's rx_gso_frames counter)
 *
 * Prints "netraw: ready" once every vif answers; on xl shutdown, the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/lifecycle.h>
#include <xenolith/net.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "netraw.h"

const char xenolith_app_name[] = "netraw";

static struct iface ifaces[MAX_IFACES];
static int nifaces;

#define SAY(...)                                                                                   \
    do {                                                                                           \
        printf("netraw: " __VA_ARGS__);                                                            \
        fflush(stdout);                                                                            \
    } while (0)

/* ---- checksums ---- */

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    for (; len > 1; len -= 2, p += 2)
        s += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        s += (uint32_t)p[0] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* RFC 1624: the checksum after one 16-bit word of the summed data changed. */
static uint16_t csum_update(uint16_t old, uint16_t from, uint16_t to)
{
    uint32_t s = (uint16_t)~old + (uint32_t)(uint16_t)~from + to;
    return (uint16_t)~csum_fold(s);
}

/* Pseudo-header sums (not folded, not inverted). */
static uint32_t pseudo4(const uint8_t *ip, uint8_t proto, uint32_t l4len)
{
    uint32_t s = csum_add(0, ip + 12, 8);
    return s + proto + l4len;
}

static uint32_t pseudo6(const uint8_t *ip6, uint8_t nh, uint32_t l4len)
{
    uint32_t s = csum_add(0, ip6 + 8, 32);
    return s + (l4len >> 16) + (l4len & 0xffff) + nh;
}

/* ---- sending ---- */

int iface_send(struct iface *f, unsigned int queue, const void *frame, size_t len,
               const struct xenolith_net_tx_offload *off)
{
    struct xenolith_net_frag fr = {frame, len};
    int rc = xenolith_net_tx(f->d, queue, &fr, 1, off);
    if (rc < 0 && f->tx_fail++ < 5)
        SAY("vif%d: xenolith_net_tx of %zu bytes failed: %d\n", f->index, len, rc);
    return rc;
}

static uint8_t *reply_of(struct iface *f, unsigned int queue, const uint8_t *in, size_t len)
{
    uint8_t *out = f->scratch[queue % f->nq];
    memcpy(out, in, len);
    memcpy(out, in + 6, 6); /* back to the sender */
    memcpy(out + 6, f->mac, 6);
    return out;
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

/* ---- ARP ---- */

static void on_arp(struct iface *f, unsigned int queue, const uint8_t *in, size_t len)
{
    if (len < 42 || get16(in + 14) != 1 || get16(in + 16) != 0x0800 || in[18] != 6 || in[19] != 4)
        return;
    f->arp++;
    arp_learn(in + 28, in + 22);
    if (get16(in + 20) != 1 || memcmp(in + 38, f->ip, 4) != 0)
        return;
    uint8_t *out = reply_of(f, queue, in, 42);
    put16(out + 20, 2);
    memcpy(out + 32, in + 22, 10); /* target: the asker */
    memcpy(out + 22, f->mac, 6);
    memcpy(out + 28, f->ip, 4);
    iface_send(f, queue, out, 42, NULL);
}

/* ---- IPv4 ---- */

/* UDP echo reply checksum: the swap keeps a full or partial sum valid. */
static void udp_reply_csum(struct iface *f, uint8_t *out, size_t l4, size_t udplen,
                           unsigned int flags, int v6, struct xenolith_net_tx_offload *off)
{
    if (!(flags & XENOLITH_NET_RX_CSUM_BLANK))
        return;
    if (f->features & (v6 ? XENOLITH_NET_F_CSUM6 : XENOLITH_NET_F_CSUM)) {
        off->csum_blank = 1;
        off->csum_start = (uint16_t)l4;
        off->csum_offset = 6;
        return;
    }
    /* The backend cannot finish it for us: compute it. */
    put16(out + l4 + 6, 0);
    uint32_t s =
        v6 ? pseudo6(out + 14, 17, (uint32_t)udplen) : pseudo4(out + 14, 17, (uint32_t)udplen);
    uint16_t c = (uint16_t)~csum_fold(csum_add(s, out + l4, udplen));
    put16(out + l4 + 6, c ? c : 0xffff);
}

static void on_ipv4(struct iface *f, unsigned int queue, const uint8_t *in, size_t len,
                    unsigned int flags)
{
    if (len < 34 || (in[14] >> 4) != 4)
        return;
    size_t ihl = (size_t)(in[14] & 15) * 4, tot = get16(in + 16);
    if (ihl < 20 || tot < ihl || 14 + tot > len || memcmp(in + 30, f->ip, 4) != 0)
        return;
    size_t l4 = 14 + ihl;
    int first = (get16(in + 20) & 0x1fff) == 0;
    uint8_t proto = in[23];
    struct xenolith_net_tx_offload off = {0};

    if (proto == 6) {
        f->tcp++;
        tcp_handle(f, queue, in, 14 + tot, flags);
        return;
    }
    if (proto == 1) {
        if (first && (tot < ihl + 8 || in[l4] != 8))
            return;
        f->icmp++;
        uint8_t *out = reply_of(f, queue, in, 14 + tot);
        swap_bytes(out + 26, out + 30, 4);
        if (first) {
            out[l4] = 0;
            put16(out + l4 + 2, csum_update(get16(out + l4 + 2), 0x0800, 0x0000));
        }
        iface_send(f, queue, out, 14 + tot, NULL);
        return;
    }
    if (proto == 17) {
        if (first && (tot < ihl + 8 || get16(in + l4 + 2) != 7))
            return;
        f->udp++;
        uint8_t *out = reply_of(f, queue, in, 14 + tot);
        swap_bytes(out + 26, out + 30, 4);
        if (first) {
            swap_bytes(out + l4, out + l4 + 2, 2);
            udp_reply_csum(f, out, l4, tot - ihl, flags, 0, &off);
        }
        iface_send(f, queue, out, 14 + tot, &off);
        return;
    }
    f->other++;
}

/* ---- IPv6 ---- */

static void send_na(struct iface *f, unsigned int queue, const uint8_t *ns)
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    static const uint8_t unspecified[16];
    uint8_t *out = f->scratch[queue % f->nq];
    int dad = memcmp(ns + 22, unspecified, 16) == 0;
    memset(out, 0, 86);
    if (dad) {
        const uint8_t mc[6] = {0x33, 0x33, 0, 0, 0, 1};
        memcpy(out, mc, 6);
    } else {
        memcpy(out, ns + 6, 6);
    }
    memcpy(out + 6, f->mac, 6);
    put16(out + 12, 0x86dd);
    out[14] = 0x60;
    put16(out + 18, 32);
    out[20] = 58;
    out[21] = 255;
    memcpy(out + 22, f->ll6, 16);
    memcpy(out + 38, dad ? all_nodes : ns + 22, 16);
    uint8_t *na = out + 54;
    na[0] = 136;
    put32(na + 4, dad ? 0x20000000u : 0x60000000u); /* (solicited,) override */
    memcpy(na + 8, f->ll6, 16);
    na[24] = 2; /* target link-layer address */
    na[25] = 1;
    memcpy(na + 26, f->mac, 6);
    put16(na + 2, (uint16_t)~csum_fold(csum_add(pseudo6(out + 14, 58, 32), na, 32)));
    iface_send(f, queue, out, 86, NULL);
}

static void on_ipv6(struct iface *f, unsigned int queue, const uint8_t *in, size_t len,
                    unsigned int flags)
{
    if (len < 54 || (in[14] >> 4) != 6)
        return;
    size_t plen = get16(in + 18), l4 = 54;
    if (54 + plen > len)
        return;
    uint8_t nh = in[20];
    int first = 1, to_us = memcmp(in + 38, f->ll6, 16) == 0;
    if (nh == 44) { /* a fragment header */
        if (plen < 8)
            return;
        first = (get16(in + 56) >> 3) == 0;
        nh = in[54];
        l4 = 62;
    }
    struct xenolith_net_tx_offload off = {0};
    if (nh == 58 && first) {
        if (54 + plen < l4 + 8)
            return;
        uint8_t type = in[l4];
        if (type == 135 && 54 + plen >= l4 + 24 && memcmp(in + l4 + 8, f->ll6, 16) == 0) {
            f->ns++;
            send_na(f, queue, in);
            return;
        }
        if (type != 128 || !to_us)
            return;
    } else if (nh == 17 && first) {
        if (!to_us || 54 + plen < l4 + 8 || get16(in + l4 + 2) != 7)
            return;
    } else if (!(nh == 58 || nh == 17) || !to_us) {
        return;
    }
    uint8_t *out = reply_of(f, queue, in, 54 + plen);
    swap_bytes(out + 22, out + 38, 16);
    if (nh == 58) {
        f->icmp6++;
        if (first) {
            out[l4] = 129;
            put16(out + l4 + 2, csum_update(get16(out + l4 + 2), 0x8000, 0x8100));
        }
    } else {
        f->udp++;
        if (first) {
            swap_bytes(out + l4, out + l4 + 2, 2);
            udp_reply_csum(f, out, l4, 54 + plen - l4, flags, 1, &off);
        }
    }
    iface_send(f, queue, out, 54 + plen, &off);
}

static void on_frame(struct xenolith_net_dev *d, unsigned int queue, const void *data, size_t len,
                     unsigned int flags, void *arg)
{
    struct iface *f = arg;
    const uint8_t *in = data;
    if (queue < MAX_QUEUES)
        f->rxq[queue]++;
    switch (get16(in + 12)) {
    case 0x0806:
        on_arp(f, queue, in, len);
        break;
    case 0x0800:
        on_ipv4(f, queue, in, len, flags);
        break;
    case 0x86dd:
        on_ipv6(f, queue, in, len, flags);
        break;
    default:
        f->other++;
    }
}

/* ---- set-up and reporting ---- */

static int parse_ip(const char *s, uint8_t ip[4])
{
    unsigned int a, b, c, d;
    char tail;
    if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 || c > 255 ||
        d > 255)
        return -1;
    ip[0] = (uint8_t)a;
    ip[1] = (uint8_t)b;
    ip[2] = (uint8_t)c;
    ip[3] = (uint8_t)d;
    return 0;
}

static void features_text(uint32_t feat, char *buf, size_t n)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{XENOLITH_NET_F_SG, "sg"},       {XENOLITH_NET_F_CSUM, "csum"},
                 {XENOLITH_NET_F_CSUM6, "csum6"}, {XENOLITH_NET_F_TSO4, "tso4"},
                 {XENOLITH_NET_F_TSO6, "tso6"},   {XENOLITH_NET_F_RX_GSO, "rx-gso"}};
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (feat & names[i].bit)
            used += (size_t)snprintf(buf + used, n - used, " %s", names[i].name);
    if (!used)
        snprintf(buf, n, " none");
}

static void print_stats(void)
{
    for (int i = 0; i < nifaces; i++) {
        struct iface *f = &ifaces[i];
        struct xenolith_net_stats st;
        xenolith_net_dev_stats(f->d, XENOLITH_NET_STATS_ALL, &st);
        SAY("vif%d: rx %llu frames %llu bytes (%llu gso), tx %llu frames %llu bytes (%llu gso), rx "
            "dropped %llu, tx errors %llu, notifications %llu, interrupts %llu, %s\n",
            i, (unsigned long long)st.rx_frames, (unsigned long long)st.rx_bytes,
            (unsigned long long)st.rx_gso_frames, (unsigned long long)st.tx_frames,
            (unsigned long long)st.tx_bytes, (unsigned long long)st.tx_gso_frames,
            (unsigned long long)st.rx_dropped, (unsigned long long)st.tx_errors,
            (unsigned long long)st.notifications_sent, (unsigned long long)st.interrupts,
            xenolith_net_dev_connected(f->d) ? "up" : "DOWN");
        SAY("vif%d: answered arp %llu icmp %llu udp %llu ns %llu icmp6 %llu tcp %llu; other %llu, "
            "tx failures %llu\n",
            i, (unsigned long long)f->arp, (unsigned long long)f->icmp, (unsigned long long)f->udp,
            (unsigned long long)f->ns, (unsigned long long)f->icmp6, (unsigned long long)f->tcp,
            (unsigned long long)f->other, (unsigned long long)f->tx_fail);
        unsigned int busy = 0;
        for (unsigned int q = 0; q < f->nq; q++) {
            xenolith_net_dev_stats(f->d, q, &st);
            SAY("vif%d queue %u: rx %llu tx %llu interrupts %llu\n", i, q,
                (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames,
                (unsigned long long)st.interrupts);
            busy += st.rx_frames > 0 && st.tx_frames > 0;
        }
        SAY("vif%d queues with traffic both ways: %u/%u\n", i, busy, f->nq);
    }
}

/* 64-byte UDP payloads to ip:port, back to back; the tx path's frames per second. */
static int udp_blast(struct iface *f, const char *spec)
{
    char ipbuf[20];
    unsigned int port;
    unsigned long count;
    uint8_t ip[4], mac[6], frame[14 + 20 + 8 + 64];
    if (sscanf(spec, "%19[0-9.]:%u:%lu", ipbuf, &port, &count) != 3 || parse_ip(ipbuf, ip) < 0) {
        SAY("FAILED: bad --udp-blast\n");
        return -1;
    }
    if (arp_resolve(f, ip, mac) < 0) {
        SAY("FAILED: udp-blast: no ARP answer\n");
        return -1;
    }
    memset(frame, 0, sizeof(frame));
    memcpy(frame, mac, 6);
    memcpy(frame + 6, f->mac, 6);
    put16(frame + 12, 0x0800);
    uint8_t *iph = frame + 14, *udp = frame + 34;
    iph[0] = 0x45;
    put16(iph + 2, 20 + 8 + 64);
    iph[8] = 64;
    iph[9] = 17;
    memcpy(iph + 12, f->ip, 4);
    memcpy(iph + 16, ip, 4);
    put16(iph + 10, (uint16_t)~csum_fold(csum_add(0, iph, 20)));
    put16(udp, 9);
    put16(udp + 2, (uint16_t)port);
    put16(udp + 4, 8 + 64);
    struct xenolith_net_stats before, after;
    xenolith_net_dev_stats(f->d, XENOLITH_NET_STATS_ALL, &before);
    uint64_t t0 = xenolith_time_now_ns();
    for (unsigned long i = 0; i < count; i++)
        if (iface_send(f, 0, frame, sizeof(frame), NULL) < 0)
            return -1;
    uint64_t ns = xenolith_time_now_ns() - t0;
    xenolith_net_dev_stats(f->d, XENOLITH_NET_STATS_ALL, &after);
    SAY("udp-blast: %lu frames of %zu bytes in %llu ms: %llu frames/s; %llu notifications, %llu "
        "interrupts\n",
        count, sizeof(frame), (unsigned long long)(ns / 1000000),
        (unsigned long long)(ns ? count * 1000000000ULL / ns : 0),
        (unsigned long long)(after.notifications_sent - before.notifications_sent),
        (unsigned long long)(after.interrupts - before.interrupts));
    SAY("udp-blast ok\n");
    return 0;
}

/* A netfront counter grew during a test (or, unless it must, need not have). */
static int offload_used(struct iface *f, int must, const char *what, uint64_t before,
                        uint64_t after)
{
    if (after > before) {
        SAY("vif%d: %s in use: %llu frames\n", f->index, what,
            (unsigned long long)(after - before));
        return 0;
    }
    if (!must)
        return 0;
    SAY("FAILED: vif%d: %s not in use (netfront counted none)\n", f->index, what);
    return -1;
}

static void on_shutdown(enum xenolith_shutdown_reason reason, void *arg)
{
    print_stats();
    disk_report();
}

static void wait_go(void)
{
    char v[8];
    SAY("waiting for data/netraw-go\n");
    while (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/netraw-go", v, sizeof(v)) < 0)
        xenolith_thread_sleep_ns(50 * 1000 * 1000);
    SAY("go\n");
}

int main(int argc, char **argv)
{
    int expect_queues = 0, go = 0, expect_tso = 0, expect_rx_gso = 0;
    const char *tcp_send = NULL, *tcp_recv = NULL, *blast = NULL, *disk = NULL;
    uint8_t addrs[MAX_IFACES][4];
    int naddrs = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--wait-go"))
            go = 1;
        else if (!strncmp(argv[i], "--expect-queues=", 16))
            expect_queues = atoi(argv[i] + 16);
        else if (!strncmp(argv[i], "--disk=", 7))
            disk = argv[i] + 7;
        else if (!strcmp(argv[i], "--expect-tso"))
            expect_tso = 1;
        else if (!strcmp(argv[i], "--expect-rx-gso"))
            expect_rx_gso = 1;
        else if (!strncmp(argv[i], "--tcp-send=", 11))
            tcp_send = argv[i] + 11;
        else if (!strncmp(argv[i], "--tcp-recv=", 11))
            tcp_recv = argv[i] + 11;
        else if (!strncmp(argv[i], "--udp-blast=", 12))
            blast = argv[i] + 12;
        else if (naddrs < MAX_IFACES && parse_ip(argv[i], addrs[naddrs]) == 0)
            naddrs++;
        else {
            SAY("FAILED: bad argument '%s'\n", argv[i]);
            return 1;
        }
    }
    if (xenolith_on_shutdown(on_shutdown, NULL) < 0)
        return 1;
    if (go)
        wait_go();
    if (disk && disk_start(disk) < 0)
        return 1;

    int n = xenolith_net_dev_count();
    SAY("%d network device%s\n", n, n == 1 ? "" : "s");
    if (n < naddrs) {
        SAY("FAILED: %d addresses given, %d devices\n", naddrs, n);
        return 1;
    }
    for (int i = 0; i < naddrs; i++) {
        struct iface *f = &ifaces[i];
        char feat[64];
        f->d = xenolith_net_dev_get(i);
        f->index = i;
        memcpy(f->ip, addrs[i], 4);
        struct xenolith_net_info info;
        xenolith_net_dev_info(f->d, &info);
        memcpy(f->mac, info.mac, 6);
        f->features = info.features;
        f->nq = info.queues;
        f->ll6[0] = 0xfe;
        f->ll6[1] = 0x80;
        f->ll6[8] = f->mac[0] ^ 2;
        f->ll6[9] = f->mac[1];
        f->ll6[10] = f->mac[2];
        f->ll6[11] = 0xff;
        f->ll6[12] = 0xfe;
        f->ll6[13] = f->mac[3];
        f->ll6[14] = f->mac[4];
        f->ll6[15] = f->mac[5];
        for (unsigned int q = 0; q < f->nq && q < MAX_QUEUES; q++) {
            f->scratch[q] = malloc(FRAME_MAX);
            if (!f->scratch[q]) {
                SAY("FAILED: out of memory\n");
                return 1;
            }
        }
        features_text(f->features, feat, sizeof(feat));
        SAY("%s: %u.%u.%u.%u fe80::%x:%x:%x:%x mtu %u queues %u\n", info.name, f->ip[0], f->ip[1],
            f->ip[2], f->ip[3], get16(f->ll6 + 8), get16(f->ll6 + 10), get16(f->ll6 + 12),
            get16(f->ll6 + 14), info.mtu, f->nq);
        SAY("%s features:%s\n", xenolith_net_dev_name(f->d), feat);
        if (expect_queues && f->nq != (unsigned int)expect_queues) {
            SAY("FAILED: %s has %u queues, expected %d\n", xenolith_net_dev_name(f->d), f->nq,
                expect_queues);
            return 1;
        }
        nifaces++;
        xenolith_net_dev_set_rx(f->d, on_frame, f);
    }
    SAY("ready\n");

    if (tcp_send) {
        uint8_t ip[4];
        char ipbuf[20];
        unsigned int port;
        size_t bytes;
        if (sscanf(tcp_send, "%19[0-9.]:%u:%zu", ipbuf, &port, &bytes) != 3 ||
            parse_ip(ipbuf, ip) < 0) {
            SAY("FAILED: bad --tcp-send\n");
            return 1;
        }
        struct xenolith_net_stats a, b;
        xenolith_net_dev_stats(ifaces[0].d, XENOLITH_NET_STATS_ALL, &a);
        if (tcp_send_test(&ifaces[0], ip, (uint16_t)port, bytes) < 0)
            return 1;
        xenolith_net_dev_stats(ifaces[0].d, XENOLITH_NET_STATS_ALL, &b);
        if (offload_used(&ifaces[0], expect_tso, "tso (frames sent for the backend to segment)",
                         a.tx_gso_frames, b.tx_gso_frames) < 0)
            return 1;
    }
    if (tcp_recv) {
        unsigned int port;
        size_t bytes;
        if (sscanf(tcp_recv, "%u:%zu", &port, &bytes) != 2) {
            SAY("FAILED: bad --tcp-recv\n");
            return 1;
        }
        struct xenolith_net_stats a, b;
        xenolith_net_dev_stats(ifaces[0].d, XENOLITH_NET_STATS_ALL, &a);
        if (tcp_recv_test(&ifaces[0], (uint16_t)port, bytes) < 0)
            return 1;
        xenolith_net_dev_stats(ifaces[0].d, XENOLITH_NET_STATS_ALL, &b);
        if (offload_used(&ifaces[0], expect_rx_gso, "rx gso (large frames received with GSO info)",
                         a.rx_gso_frames, b.rx_gso_frames) < 0)
            return 1;
    }
    if (blast && udp_blast(&ifaces[0], blast) < 0)
        return 1;
    for (;;)
        xenolith_thread_sleep_ns(1000ULL * 1000 * 1000);
}
