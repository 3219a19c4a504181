/*
 * A minimal TCP peer for netraw, just enough to push the offloads through a real
 * backend and dom0's real TCP stack: one connection at a time, IPv4, no options but
 * MSS, no window scaling, go-back-N on a timeout. The byte stream is the pattern
 * `yes xenolith-tso` makes, so dom0 can produce or check it with busybox.
 *
 *   sender:   segments of up to 64 KiB with segmentation and checksum offload when
 *             the backend takes them (MSS-sized, checksummed here, otherwise);
 *   receiver: checks every byte in order and reports the largest segment seen
 *             (bigger than the MTU means the backend handed us GSO frames).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/thread.h>
#include "netraw.h"

#define SAY(...)                                                                                   \
    do {                                                                                           \
        printf("netraw: " __VA_ARGS__);                                                            \
        fflush(stdout);                                                                            \
    } while (0)

#define MS 1000000ULL

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static const char pattern[] = "xenolith-tso\n";
#define PATLEN (sizeof(pattern) - 1)

enum { T_CLOSED, T_SYN_SENT, T_LISTEN, T_SYN_RCVD, T_ESTABLISHED, T_DONE };

static struct {
    struct iface *f;
    volatile int state;
    uint8_t peer_ip[4], peer_mac[6];
    uint16_t lport, pport;
    uint32_t isn;
    volatile uint32_t snd_una, rcv_nxt, peer_wnd;
    uint32_t snd_nxt;
    uint16_t peer_mss;
    volatile int peer_fin;
    /* receiver */
    size_t want;
    volatile size_t rcvd;
    volatile int bad;
    uint64_t segs, max_seg, bad_csum, out_of_order;
    uint16_t ip_id;
    uint8_t *txbuf; /* the main thread's frames */
} tc;

/* ---- ARP cache ---- */

static struct {
    uint8_t ip[4], mac[6];
    volatile int valid;
} arp_cache[8];

void arp_learn(const uint8_t ip[4], const uint8_t mac[6])
{
    int slot = ip[3] % 8;
    memcpy(arp_cache[slot].mac, mac, 6);
    memcpy(arp_cache[slot].ip, ip, 4);
    arp_cache[slot].valid = 1;
}

int arp_resolve(struct iface *f, const uint8_t ip[4], uint8_t mac[6])
{
    uint8_t req[42];
    for (int tries = 0; tries < 20; tries++) {
        int slot = ip[3] % 8;
        if (arp_cache[slot].valid && !memcmp(arp_cache[slot].ip, ip, 4)) {
            memcpy(mac, arp_cache[slot].mac, 6);
            return 0;
        }
        memset(req, 0xff, 6);
        memcpy(req + 6, f->mac, 6);
        put16(req + 12, 0x0806);
        put16(req + 14, 1);
        put16(req + 16, 0x0800);
        req[18] = 6;
        req[19] = 4;
        put16(req + 20, 1);
        memcpy(req + 22, f->mac, 6);
        memcpy(req + 28, f->ip, 4);
        memset(req + 32, 0, 6);
        memcpy(req + 38, ip, 4);
        iface_send(f, 0, req, sizeof(req), NULL);
        xenolith_thread_sleep_ns(100 * MS);
    }
    return -ETIMEDOUT;
}

/* ---- segments ---- */

static uint32_t pseudo_tcp(const uint8_t *ip, uint32_t tcplen)
{
    return csum_add(0, ip + 12, 8) + 6 + tcplen;
}

/*
 * Build an IPv4 TCP segment into out, payload taken from the pattern at stream offset
 * `off`. With `offload`, leave the checksum to the backend (pseudo-header sum in the
 * field). Returns the frame length.
 */
static size_t build(uint8_t *out, uint32_t seq, uint8_t flags, int mss_opt, size_t off,
                    size_t paylen, int offload)
{
    size_t optlen = mss_opt ? 4 : 0, tcplen = 20 + optlen + paylen;
    memcpy(out, tc.peer_mac, 6);
    memcpy(out + 6, tc.f->mac, 6);
    put16(out + 12, 0x0800);
    uint8_t *ip = out + 14, *th = out + 34;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(20 + tcplen));
    put16(ip + 4, __atomic_fetch_add(&tc.ip_id, 1, __ATOMIC_RELAXED));
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    put16(ip + 10, 0);
    memcpy(ip + 12, tc.f->ip, 4);
    memcpy(ip + 16, tc.peer_ip, 4);
    put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
    put16(th, tc.lport);
    put16(th + 2, tc.pport);
    put32(th + 4, seq);
    put32(th + 8, (flags & TH_ACK) ? tc.rcv_nxt : 0);
    th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    th[13] = flags;
    put16(th + 14, 65535);
    put16(th + 16, 0);
    put16(th + 18, 0);
    if (mss_opt) {
        th[20] = 2;
        th[21] = 4;
        put16(th + 22, (uint16_t)(xenolith_net_dev_mtu(tc.f->d) - 40));
    }
    uint8_t *pay = th + 20 + optlen;
    for (size_t i = 0; i < paylen; i++)
        pay[i] = (uint8_t)pattern[(off + i) % PATLEN];
    uint32_t ps = pseudo_tcp(ip, (uint32_t)tcplen);
    if (offload)
        put16(th + 16, csum_fold(ps));
    else
        put16(th + 16, (uint16_t)~csum_fold(csum_add(ps, th, tcplen)));
    return 14 + 20 + tcplen;
}

/* A bare control segment (ACK, SYN-ACK, FIN) from whichever thread. */
static void send_ctl(uint8_t *buf, unsigned int queue, uint32_t seq, uint8_t flags, int mss_opt)
{
    size_t n = build(buf, seq, flags, mss_opt, 0, 0, 0);
    iface_send(tc.f, queue, buf, n, NULL);
}

static int tcp_csum_ok(const uint8_t *ip, const uint8_t *th, size_t tcplen)
{
    return csum_fold(csum_add(pseudo_tcp(ip, (uint32_t)tcplen), th, tcplen)) == 0xffff;
}

static void receive_data(struct iface *f, unsigned int queue, const uint8_t *th, size_t hlen,
                         size_t tcplen, uint32_t seq)
{
    size_t paylen = tcplen - hlen;
    const uint8_t *pay = th + hlen;
    if (paylen) {
        tc.segs++;
        if (paylen > tc.max_seg)
            tc.max_seg = paylen;
    }
    int ooo = seq != tc.rcv_nxt;
    if (ooo) {
        tc.out_of_order++;
    } else {
        size_t at = tc.rcvd;
        for (size_t i = 0; i < paylen && !tc.bad; i++)
            if (pay[i] != (uint8_t)pattern[(at + i) % PATLEN]) {
                SAY("FAILED: tcp-recv byte %zu is %#x, expected %#x\n", at + i, pay[i],
                    (uint8_t)pattern[(at + i) % PATLEN]);
                tc.bad = 1;
            }
        tc.rcvd = at + paylen;
        tc.rcv_nxt = seq + (uint32_t)paylen + ((th[13] & TH_FIN) ? 1 : 0);
        if (th[13] & TH_FIN)
            tc.peer_fin = 1;
    }
    if (paylen || (th[13] & TH_FIN) || ooo)
        send_ctl(f->scratch[queue % f->nq], queue, tc.snd_una, TH_ACK, 0);
}

int tcp_handle(struct iface *f, unsigned int queue, const uint8_t *frame, size_t len,
               unsigned int flags)
{
    const uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = get16(ip + 2);
    if (tc.f != f || tot < ihl + 20 || (get16(ip + 6) & 0x3fff))
        return -1; /* no test running, runt, or a fragment */
    const uint8_t *th = ip + ihl;
    size_t tcplen = tot - ihl, hlen = (size_t)(th[12] >> 4) * 4;
    if (hlen < 20 || hlen > tcplen || get16(th + 2) != tc.lport)
        return -1;
    if (!(flags & (XENOLITH_NET_RX_CSUM_VALID | XENOLITH_NET_RX_CSUM_BLANK)) &&
        !tcp_csum_ok(ip, th, tcplen)) {
        tc.bad_csum++;
        return -1;
    }
    uint32_t seq = get32(th + 4), ack = get32(th + 8);
    uint8_t fl = th[13];

    switch (tc.state) {
    case T_SYN_SENT:
        if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && ack == tc.isn + 1) {
            tc.rcv_nxt = seq + 1;
            tc.peer_mss = 536;
            for (size_t o = 20; o + 1 < hlen;) { /* options: find the MSS */
                uint8_t kind = th[o];
                if (kind == 0)
                    break;
                if (kind == 1) {
                    o++;
                    continue;
                }
                uint8_t olen = th[o + 1];
                if (olen < 2 || o + olen > hlen)
                    break;
                if (kind == 2 && olen == 4)
                    tc.peer_mss = get16(th + o + 2);
                o += olen;
            }
            tc.peer_wnd = get16(th + 14);
            tc.snd_una = ack;
            tc.state = T_ESTABLISHED;
        }
        break;
    case T_LISTEN:
        if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
            memcpy(tc.peer_ip, ip + 12, 4);
            memcpy(tc.peer_mac, frame + 6, 6);
            tc.pport = get16(th);
            tc.rcv_nxt = seq + 1;
            tc.snd_una = tc.isn + 1;
            tc.state = T_SYN_RCVD;
            send_ctl(f->scratch[queue % f->nq], queue, tc.isn, TH_SYN | TH_ACK, 1);
        }
        break;
    case T_SYN_RCVD:
    case T_ESTABLISHED:
        if (get16(th) != tc.pport || memcmp(ip + 12, tc.peer_ip, 4))
            break;
        if (fl & TH_RST) {
            SAY("tcp: reset by peer\n");
            tc.state = T_DONE;
            break;
        }
        if (tc.state == T_SYN_RCVD) {
            if (fl & TH_SYN) { /* our SYN-ACK was lost: again */
                send_ctl(f->scratch[queue % f->nq], queue, tc.isn, TH_SYN | TH_ACK, 1);
                break;
            }
            if (!(fl & TH_ACK) || ack != tc.isn + 1)
                break;
            tc.state = T_ESTABLISHED;
        }
        if (fl & TH_ACK) {
            if ((int32_t)(ack - tc.snd_una) > 0)
                tc.snd_una = ack;
            tc.peer_wnd = get16(th + 14);
        }
        receive_data(f, queue, th, hlen, tcplen, seq);
        break;
    }
    return 0;
}

/* Say where things stand when a test makes no progress: is the device still moving? */
static void report_stall(const char *what, size_t done)
{
    struct xenolith_net_stats st;
    xenolith_net_dev_stats(tc.f->d, XENOLITH_NET_STATS_ALL, &st);
    SAY("%s: no progress at %zu bytes (state %d, snd_una %u, rcv_nxt %u, %llu segments); "
        "device rx %llu tx %llu frames, %llu interrupts, %llu notifications, %s\n",
        what, done, tc.state, tc.snd_una, tc.rcv_nxt, (unsigned long long)tc.segs,
        (unsigned long long)st.rx_frames, (unsigned long long)st.tx_frames,
        (unsigned long long)st.interrupts, (unsigned long long)st.notifications_sent,
        xenolith_net_dev_connected(tc.f->d) ? "up" : "DOWN");
}

/* ---- the sender ---- */

int tcp_send_test(struct iface *f, const uint8_t peer_ip[4], uint16_t port, size_t bytes)
{
    uint8_t *buf = tc.txbuf ? tc.txbuf : (tc.txbuf = malloc(FRAME_MAX));
    if (!buf)
        return -ENOMEM;
    memcpy(tc.peer_ip, peer_ip, 4);
    if (arp_resolve(f, peer_ip, tc.peer_mac) < 0) {
        SAY("FAILED: tcp-send: no ARP answer from %u.%u.%u.%u\n", peer_ip[0], peer_ip[1],
            peer_ip[2], peer_ip[3]);
        return -1;
    }
    tc.lport = 40000 + (uint16_t)(xenolith_time_now_ns() % 20000);
    tc.pport = port;
    tc.isn = (uint32_t)xenolith_time_now_ns();
    tc.snd_nxt = tc.isn + 1;
    tc.snd_una = tc.isn;
    tc.state = T_SYN_SENT;
    tc.f = f;

    uint64_t t0 = xenolith_time_now_ns();
    for (int tries = 0; tc.state == T_SYN_SENT; tries++) {
        if (tries == 50) {
            SAY("FAILED: tcp-send: no SYN-ACK from port %u\n", port);
            return -1;
        }
        if (tries % 10 == 0)
            send_ctl(buf, 0, tc.isn, TH_SYN, 1);
        xenolith_thread_sleep_ns(100 * MS);
    }
    send_ctl(buf, 0, tc.snd_nxt, TH_ACK, 0);

    uint32_t feat = f->features;
    int tso = (feat & XENOLITH_NET_F_TSO4) != 0, csum = (feat & XENOLITH_NET_F_CSUM) != 0;
    size_t mss = tc.peer_mss < xenolith_net_dev_mtu(f->d) - 40 ? tc.peer_mss
                                                               : xenolith_net_dev_mtu(f->d) - 40;
    uint64_t frames = 0, big = 0, retrans = 0, last_progress = xenolith_time_now_ns();
    uint32_t last_una = tc.snd_una;
    uint32_t end = tc.isn + 1 + (uint32_t)bytes;

    while (tc.snd_una != end && tc.state == T_ESTABLISHED) {
        uint32_t una = tc.snd_una, inflight = tc.snd_nxt - una, wnd = tc.peer_wnd;
        if (una != last_una) {
            last_una = una;
            last_progress = xenolith_time_now_ns();
        }
        if (tc.snd_nxt != end && inflight < wnd) {
            size_t can = wnd - inflight, left = end - tc.snd_nxt;
            size_t seg = can < left ? can : left;
            size_t cap = tso ? 65535 - 14 - 40 - 14 : mss;
            if (seg > cap)
                seg = cap;
            if (tso && seg > mss)
                seg -= seg % mss; /* whole segments, except the last */
            int gso = tso && seg > mss;
            struct xenolith_net_tx_offload off = {0};
            size_t n =
                build(buf, tc.snd_nxt, TH_ACK | TH_PSH, 0, tc.snd_nxt - tc.isn - 1, seg, csum);
            if (csum) {
                off.csum_blank = 1;
                off.csum_start = 34;
                off.csum_offset = 16;
            }
            if (gso) {
                off.gso_type = XENOLITH_NET_GSO_TCPV4;
                off.gso_size = (uint16_t)mss;
                big++;
            }
            if (iface_send(f, 0, buf, n, &off) < 0)
                return -1;
            frames++;
            tc.snd_nxt += (uint32_t)seg;
            continue;
        }
        if (xenolith_time_now_ns() - last_progress > 400 * MS) {
            tc.snd_nxt = tc.snd_una; /* go back */
            if (++retrans % 10 == 0)
                report_stall("tcp-send", tc.snd_una - tc.isn - 1);
            last_progress = xenolith_time_now_ns();
        }
        if (xenolith_time_now_ns() - t0 > 60000 * MS) {
            SAY("FAILED: tcp-send: %u of %zu bytes acknowledged after 60 s\n",
                tc.snd_una - tc.isn - 1, bytes);
            return -1;
        }
        xenolith_thread_sleep_ns(MS / 4);
    }
    if (tc.state != T_ESTABLISHED) {
        SAY("FAILED: tcp-send: connection lost\n");
        return -1;
    }
    uint64_t ns = xenolith_time_now_ns() - t0;
    /* Close: FIN, wait for the peer's. */
    for (int tries = 0; tries < 30 && !tc.peer_fin; tries++) {
        if (tries % 10 == 0)
            send_ctl(buf, 0, tc.snd_nxt, TH_FIN | TH_ACK, 0);
        xenolith_thread_sleep_ns(100 * MS);
    }
    tc.snd_nxt++;
    send_ctl(buf, 0, tc.snd_nxt, TH_ACK, 0);
    tc.state = T_DONE;
    SAY("tcp-send: %zu bytes acknowledged in %llu ms (%llu KB/s); %llu frames, %llu with "
        "segmentation offload, mss %zu, %s checksums, %llu retransmits\n",
        bytes, (unsigned long long)(ns / MS),
        (unsigned long long)(ns ? bytes * 1000000ULL / (ns / 1000) / 1024 : 0),
        (unsigned long long)frames, (unsigned long long)big, mss, csum ? "offloaded" : "computed",
        (unsigned long long)retrans);
    SAY("tcp-send ok\n");
    return 0;
}

/* ---- the receiver ---- */

int tcp_recv_test(struct iface *f, uint16_t port, size_t bytes)
{
    uint8_t *buf = tc.txbuf ? tc.txbuf : (tc.txbuf = malloc(FRAME_MAX));
    if (!buf)
        return -ENOMEM;
    tc.lport = port;
    tc.isn = (uint32_t)xenolith_time_now_ns() ^ 0x5a5a5a5au;
    tc.snd_nxt = tc.isn + 1;
    tc.want = bytes;
    tc.rcvd = 0;
    tc.bad = 0;
    tc.peer_fin = 0;
    tc.f = f;
    tc.state = T_LISTEN;
    SAY("tcp-recv: listening on %u\n", port);
    uint64_t t0 = 0, deadline = xenolith_time_now_ns() + 120000 * MS, last = xenolith_time_now_ns();
    size_t seen = 0;
    while (tc.rcvd < bytes && !tc.bad && xenolith_time_now_ns() < deadline) {
        if (!t0 && tc.state == T_ESTABLISHED)
            t0 = xenolith_time_now_ns();
        if (tc.rcvd != seen) {
            seen = tc.rcvd;
            last = xenolith_time_now_ns();
        } else if (xenolith_time_now_ns() - last > 5000 * MS) {
            report_stall("tcp-recv", seen);
            last = xenolith_time_now_ns();
        }
        xenolith_thread_sleep_ns(MS);
    }
    uint64_t ns = t0 ? xenolith_time_now_ns() - t0 : 0;
    if (tc.bad || tc.rcvd != bytes) {
        SAY("FAILED: tcp-recv: %zu of %zu bytes%s\n", (size_t)tc.rcvd, bytes,
            tc.bad ? ", data mismatch" : "");
        return -1;
    }
    send_ctl(buf, 0, tc.snd_nxt, TH_FIN | TH_ACK, 0);
    tc.snd_nxt++;
    xenolith_thread_sleep_ns(200 * MS);
    tc.state = T_DONE;
    SAY("tcp-recv: %zu bytes in %llu ms (%llu KB/s), %llu segments, largest %llu bytes, %llu "
        "bad checksums, %llu out of order\n",
        bytes, (unsigned long long)(ns / MS),
        (unsigned long long)(ns ? bytes * 1000000ULL / (ns / 1000) / 1024 : 0),
        (unsigned long long)tc.segs, (unsigned long long)tc.max_seg,
        (unsigned long long)tc.bad_csum, (unsigned long long)tc.out_of_order);
    SAY("tcp-recv ok\n");
    return 0;
}
