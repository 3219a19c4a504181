/*
 * echo: the RFC 862 echo service over TCP and UDP, IPv4 and IPv6, with plain BSD
 * sockets. One thread per TCP connection, one for UDP. Runs until the domain is
 * shut down (xl shutdown).
 *
 *   xl: cmdline = "xenolith.ip=169.254.2.5/16 [PORT]"      (default port 7)
 *   dom0: echo hi | nc 169.254.2.5 7
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenolith/netstack.h>
#include <xenolith/thread.h>

#define UDP_BUF_SIZE (64 * 1024) /* the largest datagram */
#define TCP_BUF_SIZE (16 * 1024) /* a stream goes through in pieces: small fits small domains */

/* A socket on [::]:port taking IPv4 too (IPV6_V6ONLY off). */
static int open_socket(int type, int port)
{
    struct sockaddr_in6 sin6 = {
        .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
    int s = socket(AF_INET6, type, 0), zero = 0, one = 1;
    if (s < 0)
        return -1;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ||
        (type == SOCK_STREAM && listen(s, 16) < 0)) {
        printf("echo: cannot listen on port %d: %s\n", port, strerror(errno));
        close(s);
        return -1;
    }
    return s;
}

static void *tcp_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char *buf = malloc(TCP_BUF_SIZE);
    ssize_t n;
    if (!buf)
        printf("echo: no memory for a %d KiB buffer; closing the connection\n", TCP_BUF_SIZE >> 10);
    while (buf && (n = recv(c, buf, TCP_BUF_SIZE, 0)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = send(c, buf + off, (size_t)(n - off), 0);
            if (w <= 0)
                goto out;
            off += w;
        }
    }
out:
    free(buf);
    close(c);
    return NULL;
}

static void *tcp_server(void *arg)
{
    int ls = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            printf("echo: accept: %s\n", strerror(errno));
            xenolith_thread_sleep_ns(100 * 1000 * 1000);
            continue;
        }
        struct xenolith_thread *t =
            xenolith_thread_create("echo-tcp", tcp_conn, (void *)(intptr_t)c, -1, 0);
        if (t) {
            xenolith_thread_detach(t);
        } else {
            printf("echo: no memory for a connection's thread; closing the connection\n");
            close(c);
        }
    }
    return NULL;
}

static void *udp_server(void *arg)
{
    int s = (int)(intptr_t)arg;
    char *buf = malloc(UDP_BUF_SIZE);
    if (!buf) {
        printf("echo: no memory for a %d KiB buffer; no UDP echo\n", UDP_BUF_SIZE >> 10);
        return NULL;
    }
    for (;;) {
        struct sockaddr_in6 from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s, buf, UDP_BUF_SIZE, 0, (struct sockaddr *)&from, &fl);
        if (n >= 0)
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7;
    int t = open_socket(SOCK_STREAM, port), u = open_socket(SOCK_DGRAM, port);
    if (t < 0 || u < 0)
        return 1;
    xenolith_thread_detach(
        xenolith_thread_create("echo-udp", udp_server, (void *)(intptr_t)u, -1, 0));
    printf("echo: ready on port %d (tcp and udp, IPv4 and IPv6)\n", port);
    tcp_server((void *)(intptr_t)t);
    return 0;
}
