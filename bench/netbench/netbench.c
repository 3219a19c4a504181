/*
 * netbench: the guest side of bench/net.sh. One C file, built twice: as a xenolith
 * app (make APP=bench/netbench: lwIP over netfront) and with the host's gcc -static
 * for the Linux peer (its kernel's TCP/IP over xen-netfront). Same socket calls,
 * same 64 KiB buffers, same checks on arrival, so the two differ only in what is
 * under the socket API.
 *
 * One connection at a time on TCP port 5001 (stream.h); the first line says what to do:
 *   sink N     receive N bytes, check each against the stream; answer "ok N" or
 *              "bad N AT" (AT: the first wrong byte)
 *   source N   send N bytes of the stream, then close (dom0 checks them)
 *   rr K       K round trips of one byte (echo each byte back)
 *   udp SIZE   answer "go", count datagrams on UDP port 5002 until the client sends
 *              "end" and no datagram came for 200 ms; answer "COUNT BYTES BAD" (BAD:
 *              datagrams of the wrong size or content)
 *   quit       answer "bye" and exit 0 (xenolith then powers off; the Linux peer's
 *              init too)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "stream.h"

static uint8_t buf[NB_CHUNK];
static struct nb_check check;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("netbench: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

static int send_all(int c, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = send(c, q, n, 0);
        if (w <= 0)
            return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

__attribute__((format(printf, 2, 3))) static int answer(int c, const char *fmt, ...)
{
    char line[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return send_all(c, line, (size_t)n);
}

/* One line from the socket, without its newline; -1 on EOF before one came. */
static int read_line(int c, char *line, size_t size)
{
    size_t n = 0;
    while (n < size - 1) {
        if (recv(c, line + n, 1, 0) != 1)
            return n ? 0 : -1;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    return 0;
}

static void sink(int c, long long want)
{
    long long got = 0;
    nb_check_init(&check);
    while (got < want) {
        size_t room = nb_check_room(&check);
        if ((long long)room > want - got)
            room = (size_t)(want - got);
        ssize_t r = recv(c, buf, room, 0);
        if (r <= 0)
            break;
        nb_check_data(&check, buf, (size_t)r);
        got += r;
    }
    if (check.bad || got != want) {
        say("sink: %lld bytes, first wrong at %lld", got,
            check.bad ? (long long)check.bad_at : got);
        answer(c, "bad %lld %lld\n", got, check.bad ? (long long)check.bad_at : got);
        return;
    }
    say("sink: %lld bytes, all as sent", got);
    answer(c, "ok %lld\n", got);
}

static void source(int c, long long want)
{
    struct nb_stream s;
    long long sent = 0;
    nb_stream_init(&s);
    while (sent < want) {
        size_t k = want - sent < NB_CHUNK ? (size_t)(want - sent) : NB_CHUNK;
        nb_stream_fill(&s, buf, NB_CHUNK);
        if (send_all(c, buf, k) < 0)
            break;
        sent += (long long)k;
    }
    say("source: %lld of %lld bytes sent", sent, want);
}

static void round_trips(int c, long long k)
{
    long long i = 0;
    for (; i < k; i++) {
        if (recv(c, buf, 1, 0) != 1 || send(c, buf, 1, 0) != 1)
            break;
    }
    say("rr: %lld of %lld round trips", i, k);
}

/* Datagrams waiting on u, counted (no wait). */
static void udp_drain(int u, size_t size, long long *n, long long *bytes, long long *bad)
{
    struct pollfd p = {.fd = u, .events = POLLIN};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        ssize_t r = recv(u, buf, sizeof(buf), 0);
        if (r < 0)
            break;
        if (nb_dgram_ok(buf, (size_t)r, size)) {
            (*n)++;
            *bytes += r;
        } else {
            (*bad)++;
        }
    }
}

static void udp_count(int c, int u, long long size)
{
    long long n = 0, bytes = 0, bad = 0, stale = 0, stale_bytes = 0, stale_bad = 0;
    udp_drain(u, (size_t)size, &stale, &stale_bytes, &stale_bad); /* from before: not ours */
    if (answer(c, "go\n") < 0)
        return;
    int ended = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = u, .events = POLLIN}, {.fd = c, .events = POLLIN}};
        int r = poll(p, ended ? 1 : 2, ended ? 200 : 30000);
        if (r <= 0)
            break; /* quiet for 200 ms after the end (or 30 s without it) */
        if (p[0].revents & POLLIN)
            udp_drain(u, (size_t)size, &n, &bytes, &bad);
        if (!ended && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            ended = 1; /* "end" (or the client gone): what is still coming is counted */
    }
    say("udp: %lld datagrams counted, %lld wrong", n, bad);
    answer(c, "%lld %lld %lld\n", n, bytes, bad);
}

static int listen_on(int type, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int s = socket(AF_INET, type, 0), one = 1;
    if (s < 0)
        return -1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || (type == SOCK_STREAM && listen(s, 4) < 0))
        return -1;
    return s;
}

int main(void)
{
    int ls = listen_on(SOCK_STREAM, NB_TCP_PORT), u = listen_on(SOCK_DGRAM, NB_UDP_PORT);
    if (ls < 0 || u < 0) {
        printf("netbench: cannot open the ports: %s\n", strerror(errno));
        return 1;
    }
    say("ready (tcp %d, udp %d)", NB_TCP_PORT, NB_UDP_PORT);
    for (int quit = 0; !quit;) {
        int c = accept(ls, NULL, NULL), one = 1;
        if (c < 0)
            continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char line[64], cmd[16];
        long long arg = 0;
        if (read_line(c, line, sizeof(line)) == 0 && sscanf(line, "%15s %lld", cmd, &arg) >= 1) {
            if (!strcmp(cmd, "sink"))
                sink(c, arg);
            else if (!strcmp(cmd, "source"))
                source(c, arg);
            else if (!strcmp(cmd, "rr"))
                round_trips(c, arg);
            else if (!strcmp(cmd, "udp") && arg >= 8 && arg <= NB_DGRAM_MAX)
                udp_count(c, u, arg);
            else if (!strcmp(cmd, "quit"))
                quit = 1;
            if (quit)
                answer(c, "bye\n");
        }
        close(c);
    }
    say("done");
    return 0;
}
