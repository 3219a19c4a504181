/*
 * Bulk TCP for the nested Xen suite and the benchmarks: dom0 sends or fetches
 * large streams, both sides compare SHA-256 digests.
 *
 *   port 5001, sink:   the client sends "N\n" and N bytes; we answer "N HEX\n"
 *                      (the SHA-256 of what came) and close.
 *   port 5002, source: the client sends "N\n"; we send N bytes of a fixed
 *                      pseudo-random stream and close, printing its SHA-256.
 *   port 5003, UDP:    echo.
 *   port 5004, UDP:    counts datagrams; port 5005, TCP: answers "N BYTES\n", the
 *                      count since the last answer (the benchmark's packet rate).
 *
 * Each transfer is logged with its rate: "tcpbulk: received 67108864 bytes in 1234
 * ms (435 Mbit/s) sha256 ...", a received one over a vif also with how many frames
 * netfront took with GSO info ("tcpbulk: rx gso in use: N ..."), a sent one with how many
 * frames went out for the backend to segment ("tcpbulk: tx gso in use: N of M frames"): lwIP's
 * segments joined by net/netdev.c. Without an argument it also runs
 * both directions against itself over loopback and exits (the QEMU test).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <xenolith/net.h>
#include <xenolith/thread.h>

#define CHUNK (64 * 1024)

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += v[i];
}

static void sha256_init(struct sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof(h0));
    s->len = 0;
    s->fill = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->len += n;
    while (n) {
        if (s->fill == 0 && n >= 64) {
            sha256_block(s, p);
            p += 64;
            n -= 64;
            continue;
        }
        size_t k = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->buf + s->fill, p, k);
        s->fill += k;
        p += k;
        n -= k;
        if (s->fill == 64) {
            sha256_block(s, s->buf);
            s->fill = 0;
        }
    }
}

static void sha256_hex(struct sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha256_update(s, &pad, 1);
    while (s->fill != 56)
        sha256_update(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, len, 8);
    for (int i = 0; i < 8; i++)
        sprintf(out + 8 * i, "%08lx", (unsigned long)s->h[i]);
}

/* ---- the services ---- */

static void stream_fill(uint8_t *p, size_t n, uint64_t *x)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        memcpy(p + i, x, 8);
    }
}

/* "N\n" from the socket, or "N raw\n": no digest (benchmarks, without the hashing cost). */
static long long read_count(int c, int *raw)
{
    char line[32];
    size_t n = 0;
    while (n < sizeof(line) - 1 && recv(c, line + n, 1, 0) == 1 && line[n] != '\n')
        n++;
    line[n] = '\0';
    *raw = strstr(line, "raw") != NULL;
    return n ? atoll(line) : -1;
}

static void report(const char *what, long long n, uint64_t t0, const char *hex)
{
    uint64_t ns = xenolith_time_now_ns() - t0;
    printf("tcpbulk: %s %lld bytes in %llu ms (%llu Mbit/s) sha256 %s\n", what, n,
           (unsigned long long)(ns / 1000000),
           (unsigned long long)(ns ? (uint64_t)n * 8000 / ns : 0), hex);
}

/* netfront's counters summed over every vif. */
static struct xenolith_net_stats vif_stats(void)
{
    struct xenolith_net_stats all = {0};
    for (int i = 0; i < xenolith_net_dev_count(); i++) {
        struct xenolith_net_stats st;
        xenolith_net_dev_stats(xenolith_net_dev_get(i), XENOLITH_NET_STATS_ALL, &st);
        all.rx_gso_frames += st.rx_gso_frames;
        all.tx_gso_frames += st.tx_gso_frames;
        all.tx_frames += st.tx_frames;
        all.rx_frames += st.rx_frames;
        all.rx_direct += st.rx_direct;
    }
    return all;
}

static void sink(int c, uint8_t *buf)
{
    struct xenolith_net_stats st0 = vif_stats();
    int raw;
    long long want = read_count(c, &raw), got = 0;
    struct sha256 s;
    sha256_init(&s);
    uint64_t t0 = xenolith_time_now_ns();
    while (want > 0 && got < want) {
        ssize_t r = recv(c, buf, (size_t)(want - got < CHUNK ? want - got : CHUNK), 0);
        if (r <= 0)
            break;
        if (!raw)
            sha256_update(&s, buf, (size_t)r);
        got += r;
    }
    char hex[65] = "-", line[96];
    if (!raw)
        sha256_hex(&s, hex);
    report("received", got, t0, hex);
    struct xenolith_net_stats st = vif_stats();
    uint64_t gso = st.rx_gso_frames - st0.rx_gso_frames;
    if (gso)
        printf("tcpbulk: rx gso in use: %llu large frames with GSO info\n",
               (unsigned long long)gso);
    else if (xenolith_net_dev_count() > 0)
        printf("tcpbulk: rx gso not in use: no frame came with GSO info\n");
    if (xenolith_net_dev_count() > 0)
        printf("tcpbulk: rx %llu frames, %llu copied straight into the stack's buffers\n",
               (unsigned long long)(st.rx_frames - st0.rx_frames),
               (unsigned long long)(st.rx_direct - st0.rx_direct));
    int n = snprintf(line, sizeof(line), "%lld %s\n", got, hex);
    send(c, line, (size_t)n, 0);
}

static void source(int c, uint8_t *buf)
{
    struct xenolith_net_stats st0 = vif_stats();
    int raw;
    long long want = read_count(c, &raw), sent = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    struct sha256 s;
    sha256_init(&s);
    uint64_t t0 = xenolith_time_now_ns();
    while (sent < want) {
        size_t k = (size_t)(want - sent < CHUNK ? want - sent : CHUNK);
        if (!raw || sent == 0)
            stream_fill(buf, CHUNK, &x);
        if (!raw)
            sha256_update(&s, buf, k);
        size_t off = 0;
        while (off < k) {
            ssize_t w = send(c, buf + off, k - off, 0);
            if (w <= 0)
                goto out;
            off += (size_t)w;
        }
        sent += (long long)k;
    }
out:;
    char hex[65] = "-";
    if (!raw)
        sha256_hex(&s, hex);
    report("sent", sent, t0, hex);
    struct xenolith_net_stats st = vif_stats();
    uint64_t frames = st.tx_frames - st0.tx_frames, gso = st.tx_gso_frames - st0.tx_gso_frames;
    if (gso)
        printf("tcpbulk: tx gso in use: %llu of %llu frames for the backend to segment\n",
               (unsigned long long)gso, (unsigned long long)frames);
    else if (xenolith_net_dev_count() > 0)
        printf("tcpbulk: tx gso not in use: %llu frames, none for the backend to segment\n",
               (unsigned long long)frames);
}

struct service {
    int port;
    void (*fn)(int c, uint8_t *buf);
    int listener;
};

static void *serve(void *arg)
{
    struct service *sv = arg;
    uint8_t *buf = malloc(CHUNK);
    for (;;) {
        int c = accept(sv->listener, NULL, NULL);
        if (c < 0)
            continue;
        sv->fn(c, buf);
        close(c);
    }
    return NULL;
}

static void *udp_echo(void *arg)
{
    int s = (int)(intptr_t)arg;
    char buf[2048];
    for (;;) {
        struct sockaddr_in6 from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n >= 0)
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static unsigned long long udp_count, udp_bytes;

static void *udp_counter(void *arg)
{
    int s = (int)(intptr_t)arg;
    char buf[2048];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof(buf), 0);
        if (n >= 0) {
            __atomic_add_fetch(&udp_count, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&udp_bytes, (unsigned long long)n, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static void udp_report(int c, uint8_t *buf)
{
    unsigned long long n = __atomic_exchange_n(&udp_count, 0, __ATOMIC_RELAXED);
    unsigned long long b = __atomic_exchange_n(&udp_bytes, 0, __ATOMIC_RELAXED);
    char line[64];
    int k = snprintf(line, sizeof(line), "%llu %llu\n", n, b);
    printf("tcpbulk: udp counted %llu datagrams, %llu bytes\n", n, b);
    send(c, line, (size_t)k, 0);
}

static int open_socket(int type, int port)
{
    struct sockaddr_in6 a = {
        .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
    int s = socket(AF_INET6, type, 0), zero = 0, one = 1;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        (type == SOCK_STREAM && listen(s, 4) < 0)) {
        printf("tcpbulk: cannot open port %d: %s\n", port, strerror(errno));
        exit(1);
    }
    return s;
}

/* Loopback self-test: 8 MiB each way, digests compared. */
static int selftest(void)
{
    const long long n = 8 << 20;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    uint8_t *buf = malloc(CHUNK);
    char line[96], hex_in[65], hex_out[65];
    int fails = 0;

    /* Source: fetch and hash. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(5002);
    connect(c, (struct sockaddr *)&a, sizeof(a));
    int k = snprintf(line, sizeof(line), "%lld\n", n);
    send(c, line, (size_t)k, 0);
    struct sha256 s;
    sha256_init(&s);
    long long got = 0;
    ssize_t r;
    while ((r = recv(c, buf, CHUNK, 0)) > 0) {
        sha256_update(&s, buf, (size_t)r);
        got += r;
    }
    close(c);
    sha256_hex(&s, hex_in);
    fails += got != n;

    /* Sink: send the same stream back, compare the digest the server saw. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(5001);
    connect(c, (struct sockaddr *)&a, sizeof(a));
    send(c, line, (size_t)k, 0);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (long long sent = 0; sent < n; sent += CHUNK) {
        stream_fill(buf, CHUNK, &x);
        for (size_t off = 0; off < CHUNK;)
            off += (size_t)send(c, buf + off, CHUNK - off, 0);
    }
    size_t m = 0;
    while (m < sizeof(line) - 1 && (r = recv(c, line + m, sizeof(line) - 1 - m, 0)) > 0)
        m += (size_t)r;
    line[m] = '\0';
    close(c);
    fails +=
        sscanf(line, "%lld %64s", &got, hex_out) != 2 || got != n || strcmp(hex_in, hex_out) != 0;

    /* A known answer: SHA-256("abc"). */
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_hex(&s, hex_out);
    fails +=
        strcmp(hex_out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != 0;
    printf("tcpbulk: %d passed, %d failed\n", 3 - fails, fails);
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    static struct service sink_sv = {5001, sink, -1}, source_sv = {5002, source, -1},
                          report_sv = {5005, udp_report, -1};
    sink_sv.listener = open_socket(SOCK_STREAM, sink_sv.port);
    source_sv.listener = open_socket(SOCK_STREAM, source_sv.port);
    report_sv.listener = open_socket(SOCK_STREAM, report_sv.port);
    int u = open_socket(SOCK_DGRAM, 5003), uc = open_socket(SOCK_DGRAM, 5004);
    xenolith_thread_detach(xenolith_thread_create("report", serve, &report_sv, -1, 0));
    xenolith_thread_detach(
        xenolith_thread_create("udp-count", udp_counter, (void *)(intptr_t)uc, -1, 0));
    xenolith_thread_detach(xenolith_thread_create("sink", serve, &sink_sv, -1, 0));
    xenolith_thread_detach(xenolith_thread_create("source", serve, &source_sv, -1, 0));
    xenolith_thread_detach(
        xenolith_thread_create("udp-echo", udp_echo, (void *)(intptr_t)u, -1, 0));
    printf("tcpbulk: ready (sink 5001, source 5002, udp echo 5003, udp count 5004/5005)\n");
    if (argc > 1 && !strcmp(argv[1], "serve"))
        for (;;)
            xenolith_thread_sleep_ns(3600ULL * 1000000000);
    return selftest();
}
