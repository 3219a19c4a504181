/*
 * UDP over lwIP's loopback, no network device needed (QEMU without Xen): an echo
 * server thread answers datagrams of 1 byte to 64 KiB (fragmented and
 * reassembled), checked byte for byte, over 127.0.0.1 and ::1; connected
 * sockets, MSG_PEEK, MSG_TRUNC, SO_RCVTIMEO, poll; then small-datagram rates.
 * Ends with "udploop: N passed, 0 failed" and exit 0, or exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenolith/thread.h>

#include "tests/apps/check.h"

#define PORT   7001
#define MAX4   65507 /* largest UDP payload over IPv4 */
#define MAX6   65487 /* and over IPv6 with a fragment header */
#define RATE_N 2000  /* a rate to print, not a benchmark: 20000 took 75 s on a loaded host */

static void *echo_server(void *arg)
{
    int s = (int)(intptr_t)arg;
    uint8_t *buf = malloc(65536);
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s, buf, 65536, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            break;
        if (n == 4 && !memcmp(buf, "STOP", 4))
            break;
        sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
    free(buf);
    return NULL;
}

static socklen_t make_addr(struct sockaddr_storage *ss, int family, const char *host, int port)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &sin->sin_addr);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, host, &sin6->sin6_addr);
    return sizeof(*sin6);
}

static int start_server(int family, const char *host)
{
    struct sockaddr_storage ss;
    socklen_t len = make_addr(&ss, family, host, PORT);
    int s = socket(family, SOCK_DGRAM, 0);
    CHECK(s >= 3, "udp socket");
    CHECK(bind(s, (struct sockaddr *)&ss, len) == 0, "bind %s", host);
    xenolith_thread_detach(
        xenolith_thread_create("udpecho", echo_server, (void *)(intptr_t)s, -1, 0));
    return s;
}

static const size_t sizes[] = {1,    2,    63,   64,   512,   1400,  1472,  1473, 1500,
                               2000, 2960, 4000, 8192, 16384, 32768, 50000, 65000};

static void echo_sizes(int family, const char *host, size_t max)
{
    struct sockaddr_storage to;
    socklen_t tl = make_addr(&to, family, host, PORT);
    int s = socket(family, SOCK_DGRAM, 0);
    struct timeval tv = {2, 0};
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO");
    uint8_t *out = malloc(65536), *in = malloc(65536);
    int bad = 0, n = 0;
    uint64_t seed = 17;
    for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 100; i++) {
        size_t len = i < sizeof(sizes) / sizeof(sizes[0]) ? sizes[i] : 1 + rng_next(&seed) % max;
        if (i == 0)
            len = max;
        fill(out, len, len + i);
        ssize_t w = sendto(s, out, len, 0, (struct sockaddr *)&to, tl);
        ssize_t r = recv(s, in, 65536, 0);
        n++;
        if (w != (ssize_t)len || r != (ssize_t)len || memcmp(in, out, len) != 0) {
            printf("udploop: %s: %zu bytes: sent %zd, got %zd\n", host, len, w, r);
            bad++;
        }
    }
    CHECK(bad == 0, "%s: %d of %d datagrams wrong", host, bad, n);
    close(s);
    free(out);
    free(in);
}

static void connected_peek_trunc(void)
{
    struct sockaddr_storage to;
    socklen_t tl = make_addr(&to, AF_INET, "127.0.0.1", PORT);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(connect(s, (struct sockaddr *)&to, tl) == 0, "udp connect");
    CHECK(send(s, "hello world", 11, 0) == 11, "send on connected udp");
    struct pollfd p = {.fd = s, .events = POLLIN};
    CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN), "poll udp");
    char buf[32] = {0};
    CHECK(recv(s, buf, sizeof(buf), MSG_PEEK) == 11 && !memcmp(buf, "hello world", 11), "peek");
    memset(buf, 0, sizeof(buf));
    ssize_t r = recv(s, buf, 5, MSG_TRUNC);
    CHECK(r == 11 && !memcmp(buf, "hello", 5), "MSG_TRUNC gives the full length: %zd", r);
    struct timeval tv = {0, 100000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    CHECK(recv(s, buf, sizeof(buf), 0) < 0 && errno == EAGAIN, "timeout gives EAGAIN");
    CHECK(write(s, "abc", 3) == 3 && read(s, buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3),
          "read/write on a udp socket");
    close(s);
}

/* 64-byte datagrams: one way, and ping-pong. */
static void rates(void)
{
    struct sockaddr_storage to;
    socklen_t tl = make_addr(&to, AF_INET, "127.0.0.1", PORT);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    connect(s, (struct sockaddr *)&to, tl);
    char buf[64] = {1};
    uint64_t t0 = xenolith_time_now_ns();
    int ok = 0;
    for (int i = 0; i < RATE_N; i++)
        if (send(s, buf, 64, 0) == 64 && recv(s, buf, 64, 0) == 64)
            ok++;
    uint64_t ns = xenolith_time_now_ns() - t0;
    CHECK(ok == RATE_N, "ping-pong: %d of %d", ok, RATE_N);
    printf("udploop: 64-byte ping-pong %llu round trips/s (%llu us each)\n",
           (unsigned long long)(RATE_N * 1000000000ULL / ns),
           (unsigned long long)(ns / RATE_N / 1000));
    close(s);
}

int main(void)
{
    int s4 = start_server(AF_INET, "127.0.0.1");
    int s6 = start_server(AF_INET6, "::1");
    echo_sizes(AF_INET, "127.0.0.1", MAX4);
    echo_sizes(AF_INET6, "::1", MAX6);
    connected_peek_trunc();
    rates();

    struct sockaddr_storage to;
    socklen_t tl = make_addr(&to, AF_INET, "127.0.0.1", PORT);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(s, "STOP", 4, 0, (struct sockaddr *)&to, tl);
    tl = make_addr(&to, AF_INET6, "::1", PORT);
    int t = socket(AF_INET6, SOCK_DGRAM, 0);
    sendto(t, "STOP", 4, 0, (struct sockaddr *)&to, tl);
    close(s);
    close(t);
    (void)s4;
    (void)s6;

    printf("udploop: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
