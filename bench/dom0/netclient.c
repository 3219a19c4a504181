/*
 * netclient: dom0's side of bench/net.sh, the same command against xenolith and
 * against the Linux peer (both run bench/netbench/netbench.c). Built static on the
 * host and staged into dom0 as /xt/bin/netclient. Prints one "BENCH METRIC VALUE"
 * line per figure; exits 1 when the data did not arrive intact (either way) or the
 * guest broke the protocol, so a figure is only printed for a transfer that was right.
 *
 *   netclient HOST tx N          dom0 -> guest: N bytes of the stream, the guest checks them
 *   netclient HOST rx N          guest -> dom0: N bytes, checked here as they come
 *   netclient HOST rr K          K one-byte round trips, mean in microseconds
 *   netclient HOST udp M SIZE    M datagrams of SIZE bytes as fast as dom0 sends them;
 *                                the rate the guest received them at (datagrams/s)
 *   netclient HOST quit          ask the server to exit (the guest powers off)
 *
 * Times run from the request to the last byte checked: for tx that is the guest's
 * answer, sent once it has checked everything.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "../netbench/stream.h"

static uint8_t buf[NB_CHUNK];
static struct nb_check check;
static const char *host;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    printf("netclient: %s: %s\n", what, errno ? strerror(errno) : "protocol error");
    exit(1);
}

static int dial(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(NB_TCP_PORT)};
    struct timeval tv = {.tv_sec = 60};
    int c = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (c < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
        die("address");
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("connect");
    return c;
}

static void send_all(int c, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = send(c, q, n, MSG_NOSIGNAL);
        if (w <= 0)
            die("send");
        q += w;
        n -= (size_t)w;
    }
}

static void request(int c, const char *cmd, long long arg)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "%s %lld\n", cmd, arg);
    send_all(c, line, (size_t)n);
}

/* The guest's one-line answer (up to its newline). */
static void read_answer(int c, char *line, size_t size)
{
    size_t n = 0;
    errno = 0;
    while (n < size - 1 && recv(c, line + n, 1, 0) == 1 && line[n] != '\n')
        n++;
    if (n == 0)
        die("no answer");
    line[n] = '\0';
}

static void tx(long long n)
{
    struct nb_stream s;
    char line[96];
    long long got = -1, at = -1;
    int c = dial();
    nb_stream_init(&s);
    double t0 = now();
    request(c, "sink", n);
    for (long long sent = 0; sent < n;) {
        size_t k = n - sent < NB_CHUNK ? (size_t)(n - sent) : NB_CHUNK;
        nb_stream_fill(&s, buf, NB_CHUNK);
        send_all(c, buf, k);
        sent += (long long)k;
    }
    read_answer(c, line, sizeof(line));
    double t = now() - t0;
    close(c);
    if (sscanf(line, "ok %lld", &got) != 1 || got != n) {
        sscanf(line, "bad %lld %lld", &got, &at);
        printf("netclient: tx: the guest got %lld of %lld bytes, first wrong at %lld (\"%s\")\n",
               got, n, at, line);
        exit(1);
    }
    printf("netclient: tx %lld bytes in %.3f s, checked by the guest\n", n, t);
    printf("BENCH tcp_dom0_to_guest_mbit %.1f\n", (double)n * 8 / t / 1e6);
}

static void rx(long long n)
{
    long long got = 0;
    int c = dial();
    nb_check_init(&check);
    double t0 = now();
    request(c, "source", n);
    for (;;) {
        ssize_t r = recv(c, buf, nb_check_room(&check), 0);
        if (r < 0)
            die("recv");
        if (r == 0)
            break;
        nb_check_data(&check, buf, (size_t)r);
        got += r;
    }
    double t = now() - t0;
    close(c);
    if (check.bad || got != n) {
        printf("netclient: rx: got %lld of %lld bytes, first wrong at %lld\n", got, n,
               check.bad ? (long long)check.bad_at : got);
        exit(1);
    }
    printf("netclient: rx %lld bytes in %.3f s, checked here\n", n, t);
    printf("BENCH tcp_guest_to_dom0_mbit %.1f\n", (double)n * 8 / t / 1e6);
}

static void rr(long long k)
{
    int c = dial();
    request(c, "rr", k);
    double t0 = now();
    for (long long i = 0; i < k; i++) {
        uint8_t b = (uint8_t)i, e;
        send_all(c, &b, 1);
        errno = 0;
        if (recv(c, &e, 1, 0) != 1 || e != b) {
            printf("netclient: rr: no echo of round trip %lld of %lld after %.1f s: %s\n", i + 1, k,
                   now() - t0, errno ? strerror(errno) : "wrong byte or closed");
            exit(1);
        }
    }
    double t = now() - t0;
    close(c);
    printf("netclient: rr %lld round trips in %.3f s\n", k, t);
    printf("BENCH tcp_rr_us %.1f\n", t / (double)k * 1e6);
}

static void udp(long long m, long long size)
{
    char line[96];
    int c = dial();
    request(c, "udp", size);
    read_answer(c, line, sizeof(line));
    if (strcmp(line, "go") != 0)
        die("udp: no go");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(NB_UDP_PORT)};
    inet_pton(AF_INET, host, &a.sin_addr);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    if (u < 0 || connect(u, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("udp socket");
    long long sent = 0, errors = 0;
    double t0 = now();
    for (long long i = 0; i < m; i++) {
        nb_dgram_fill(buf, (size_t)size, (uint64_t)i);
        if (send(u, buf, (size_t)size, 0) == size)
            sent++;
        else
            errors++;
    }
    double t = now() - t0;
    send_all(c, "end\n", 4);
    read_answer(c, line, sizeof(line));
    close(c);
    close(u);
    long long n = -1, bytes = -1, bad = -1;
    if (sscanf(line, "%lld %lld %lld", &n, &bytes, &bad) != 3 || bad != 0 || n > sent) {
        printf("netclient: udp: guest answered \"%s\" for %lld sent\n", line, sent);
        exit(1);
    }
    printf("netclient: udp %lld of %lld datagrams of %lld bytes sent in %.3f s (%lld send "
           "errors), %lld received intact\n",
           sent, m, size, t, errors, n);
    printf("BENCH udp%lld_sent_pps %.0f\n", size, (double)sent / t);
    printf("BENCH udp%lld_received_pps %.0f\n", size, (double)n / t);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: netclient HOST tx|rx N | rr K | udp M SIZE | quit\n");
        return 2;
    }
    host = argv[1];
    const char *cmd = argv[2];
    long long a = argc > 3 ? atoll(argv[3]) : 0, b = argc > 4 ? atoll(argv[4]) : 64;
    if (!strcmp(cmd, "tx") && a > 0)
        tx(a);
    else if (!strcmp(cmd, "rx") && a > 0)
        rx(a);
    else if (!strcmp(cmd, "rr") && a > 0)
        rr(a);
    else if (!strcmp(cmd, "udp") && a > 0 && b >= 8 && b <= NB_DGRAM_MAX)
        udp(a, b);
    else if (!strcmp(cmd, "quit")) {
        char line[16];
        int c = dial();
        request(c, "quit", 0);
        read_answer(c, line, sizeof(line));
        close(c);
    } else {
        fprintf(stderr, "netclient: bad command\n");
        return 2;
    }
    return 0;
}
