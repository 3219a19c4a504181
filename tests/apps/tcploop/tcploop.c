/*
 * TCP over lwIP's loopback, no network device needed (QEMU without Xen): an echo
 * server thread and a client exchanging payloads of 1 byte to 64 KiB, checked
 * byte for byte, over 127.0.0.1 and ::1; several clients at once; poll, select,
 * non-blocking connect, read/write/close on socket descriptors, getaddrinfo and
 * inet_pton/ntop; then a bulk transfer for a loopback throughput figure.
 * Ends with "tcploop: N passed, 0 failed" and exit 0, or exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenolith/thread.h>

#include "tests/apps/check.h"

#define PORT    7000
#define MAX_LEN (64 * 1024)
#define CLIENTS 4
#define BULK_MB 32

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- the server: a listening socket per family, a thread per connection ---- */

/* Each message: 4-byte length (network order), then that many bytes, echoed back.
 * Length 0xffffffff asks for a bulk sink: read until EOF, answer the byte count. */
static void *serve_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    uint8_t *buf = malloc(MAX_LEN);
    uint32_t len;
    while (buf && read_all(c, &len, 4) == 0) {
        len = ntohl(len);
        if (len == 0xffffffffu) {
            uint64_t total = 0;
            ssize_t r;
            while ((r = recv(c, buf, MAX_LEN, 0)) > 0)
                total += (uint64_t)r;
            write_all(c, &total, sizeof(total));
            break;
        }
        if (len > MAX_LEN || read_all(c, buf, len) < 0 || write_all(c, buf, len) < 0)
            break;
    }
    free(buf);
    close(c);
    return NULL;
}

static void *server(void *arg)
{
    int ls = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            printf("tcploop: accept: errno %d\n", errno);
            return NULL;
        }
        struct xenolith_thread *t =
            xenolith_thread_create("conn", serve_conn, (void *)(intptr_t)c, -1, 0);
        if (t)
            xenolith_thread_detach(t);
        else
            close(c);
    }
}

static int listen_on(const char *host, int family)
{
    struct addrinfo hints = {
        .ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai;
    int rc = getaddrinfo(host, "7000", &hints, &ai);
    CHECK(rc == 0, "getaddrinfo(%s): %s", host, gai_strerror(rc));
    if (rc)
        return -1;
    int s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int one = 1;
    CHECK(s >= 3, "socket for %s", host);
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "SO_REUSEADDR");
    if (family == AF_INET6)
        CHECK(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0, "IPV6_V6ONLY");
    CHECK(bind(s, ai->ai_addr, ai->ai_addrlen) == 0, "bind %s", host);
    CHECK(listen(s, 8) == 0, "listen %s", host);
    freeaddrinfo(ai);
    return s;
}

/* ---- the client side ---- */

static int connect_to(const char *host)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai;
    if (getaddrinfo(host, "7000", &hints, &ai) != 0)
        return -1;
    int s = socket(ai->ai_family, SOCK_STREAM, 0);
    if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(s);
        s = -1;
    }
    freeaddrinfo(ai);
    return s;
}

/* Send len bytes of pattern `seed`, get them back, compare. */
static int echo_once(int s, size_t len, uint64_t seed, uint8_t *out, uint8_t *in)
{
    uint32_t hdr = htonl((uint32_t)len);
    fill(out, len, seed);
    memset(in, 0, len);
    if (write_all(s, &hdr, 4) < 0 || write_all(s, out, len) < 0 || read_all(s, in, len) < 0)
        return -1;
    return memcmp(in, out, len) == 0 ? 0 : -2;
}

static const size_t sizes[] = {1,    2,    3,    7,    64,    100,   536,   1000,  1459, 1460,
                               1461, 2920, 4096, 8192, 16383, 32768, 65000, 65535, 65536};

static void echo_sizes(const char *host)
{
    uint8_t *out = malloc(MAX_LEN), *in = malloc(MAX_LEN);
    int s = connect_to(host);
    CHECK(s >= 3, "connect %s", host);
    if (s < 0 || !out || !in)
        return;
    int one = 1;
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0, "TCP_NODELAY");
    int bad = 0;
    for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (echo_once(s, sizes[i], sizes[i] * 31 + 7, out, in) != 0) {
            printf("tcploop: %s: echo of %zu bytes wrong\n", host, sizes[i]);
            bad++;
        }
    uint64_t seed = 99;
    for (int i = 0; i < 200; i++) {
        size_t len = 1 + rng_next(&seed) % MAX_LEN;
        if (echo_once(s, len, seed, out, in) != 0) {
            printf("tcploop: %s: echo of %zu random bytes wrong\n", host, len);
            bad++;
        }
    }
    CHECK(bad == 0, "%s: %d echoes wrong", host, bad);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char name[INET6_ADDRSTRLEN];
    CHECK(getpeername(s, (struct sockaddr *)&ss, &sl) == 0, "getpeername");
    const void *a = ss.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
                                            : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    CHECK(inet_ntop(ss.ss_family, a, name, sizeof(name)) && strcmp(name, host) == 0,
          "peer name %s, want %s", name, host);
    CHECK(close(s) == 0, "close");
    free(out);
    free(in);
}

static void *client_thread(void *arg)
{
    uintptr_t id = (uintptr_t)arg;
    uint8_t *out = malloc(MAX_LEN), *in = malloc(MAX_LEN);
    int s = connect_to(id & 1 ? "::1" : "127.0.0.1");
    uintptr_t bad = s < 0 || !out || !in;
    uint64_t seed = id * 1000;
    for (int i = 0; !bad && i < 50; i++) {
        size_t len = 1 + rng_next(&seed) % MAX_LEN;
        bad = echo_once(s, len, seed + id, out, in) != 0;
    }
    close(s);
    free(out);
    free(in);
    return (void *)bad;
}

static void concurrent_clients(void)
{
    struct xenolith_thread *t[CLIENTS];
    for (uintptr_t i = 0; i < CLIENTS; i++)
        t[i] = xenolith_thread_create("client", client_thread, (void *)i, -1, 0);
    int bad = 0;
    for (int i = 0; i < CLIENTS; i++)
        bad += t[i] ? (int)(uintptr_t)xenolith_thread_join(t[i]) : 1;
    CHECK(bad == 0, "%d of %d concurrent clients failed", bad, CLIENTS);
}

static void poll_and_select(int listener)
{
    /* Non-blocking connect, completed through poll(POLLOUT). */
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
    CHECK(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr) == 1, "inet_pton");
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "SOCK_NONBLOCK");
    int rc = connect(s, (struct sockaddr *)&sin, sizeof(sin));
    CHECK(rc == 0 || errno == EINPROGRESS, "non-blocking connect: %d", rc);
    struct pollfd p = {.fd = s, .events = POLLOUT};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT), "poll POLLOUT: %#x", p.revents);
    int err = -1;
    socklen_t el = sizeof(err);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0, "SO_ERROR %d", err);

    /* Nothing to read yet: EAGAIN, and poll times out. */
    char c;
    CHECK(recv(s, &c, 1, 0) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "EAGAIN");
    p.events = POLLIN;
    CHECK(poll(&p, 1, 50) == 0, "poll timeout");

    /* A message and its echo; select sees it readable. */
    uint32_t hdr = htonl(1);
    CHECK(send(s, &hdr, 4, 0) == 4 && send(s, "x", 1, 0) == 1, "send");
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {5, 0};
    CHECK(select(s + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(s, &rd), "select readable");
    CHECK(recv(s, &c, 1, 0) == 1 && c == 'x', "echo after select");
    close(s);

    /* The listener is not readable while nobody connects. */
    FD_ZERO(&rd);
    FD_SET(listener, &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    CHECK(select(listener + 1, &rd, NULL, NULL, &tv) == 0, "idle listener not readable");

    /* Refused: nobody listens on PORT+1. */
    int r = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = htons(PORT + 1);
    CHECK(connect(r, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == ECONNREFUSED,
          "ECONNREFUSED");
    close(r);
    CHECK(close(r) < 0 && errno == EBADF, "double close gives EBADF");
}

static void bulk(const char *host)
{
    size_t chunk = 64 * 1024;
    uint8_t *buf = malloc(chunk);
    int s = connect_to(host);
    CHECK(s >= 0 && buf, "bulk connect");
    if (s < 0 || !buf)
        return;
    fill(buf, chunk, 5);
    uint32_t hdr = 0xffffffffu;
    uint64_t t0 = xenolith_time_now_ns(), total = (uint64_t)BULK_MB << 20, got = 0;
    write_all(s, &hdr, 4);
    for (uint64_t sent = 0; sent < total; sent += chunk)
        if (write_all(s, buf, chunk) < 0)
            break;
    shutdown(s, SHUT_WR);
    CHECK(read_all(s, &got, sizeof(got)) == 0 && got == total, "bulk: server got %llu of %llu",
          (unsigned long long)got, (unsigned long long)total);
    uint64_t ns = xenolith_time_now_ns() - t0;
    printf("tcploop: bulk %d MiB over %s in %llu ms: %llu Mbit/s\n", BULK_MB, host,
           (unsigned long long)(ns / 1000000), (unsigned long long)(total * 8 * 1000 / ns));
    close(s);
    free(buf);
}

int main(void)
{
    int l4 = listen_on("127.0.0.1", AF_INET);
    int l6 = listen_on("::", AF_INET6);
    if (l4 < 0 || l6 < 0)
        return 1;
    xenolith_thread_detach(xenolith_thread_create("server4", server, (void *)(intptr_t)l4, -1, 0));
    xenolith_thread_detach(xenolith_thread_create("server6", server, (void *)(intptr_t)l6, -1, 0));

    echo_sizes("127.0.0.1");
    echo_sizes("::1");
    concurrent_clients();
    poll_and_select(l4);
    bulk("127.0.0.1");

    printf("tcploop: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
