/*
 * httpd: a small HTTP/1.1 server on BSD sockets. Serves
 *   GET /           a page about the domain
 *   GET /bytes/N    N bytes of "xenolith\n" repeated (for throughput: wget -O /dev/null
 *                   ...; the same bytes as `yes xenolith | head -c N`)
 *   PUT|POST /sink  reads the body and answers how many bytes came and their sum
 * with keep-alive, one thread per connection. Runs until xl shutdown.
 *
 *   xl: cmdline = "xenolith.ip=169.254.2.6/16 [PORT]"      (default port 80)
 *   dom0: wget -O - http://169.254.2.6/
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenolith/thread.h>

#define CHUNK   (64 * 1024)
#define REQ_MAX 4096

/* The body of /bytes/N, sent over and over: whole "xenolith\n" lines, so it joins up. */
#define PATTERN_LEN (9 * 7282)
static uint8_t pattern[PATTERN_LEN];
static volatile unsigned long served;

static int send_all(int c, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = send(c, p, n, 0);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int reply(int c, int status, const char *reason, const char *type, const char *body,
                 unsigned long long len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nServer: xenolith-httpd\r\nContent-Type: %s\r\n"
                     "Content-Length: %llu\r\n\r\n",
                     status, reason, type, len);
    if (send_all(c, head, (size_t)n) < 0)
        return -1;
    return body ? send_all(c, body, (size_t)len) : 0;
}

static int serve_bytes(int c, unsigned long long n)
{
    if (reply(c, 200, "OK", "application/octet-stream", NULL, n) < 0)
        return -1;
    while (n) {
        size_t k = n < PATTERN_LEN ? (size_t)n : PATTERN_LEN;
        if (send_all(c, pattern, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

/* The request body: `have` bytes of it already in buf. */
static int serve_sink(int c, char *buf, size_t have, unsigned long long len)
{
    unsigned long long got = 0, sum = 0;
    char *tmp = malloc(CHUNK);
    for (size_t i = 0; i < have && got < len; i++, got++)
        sum += (uint8_t)buf[i];
    while (tmp && got < len) {
        ssize_t r = recv(c, tmp, CHUNK, 0);
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            sum += (uint8_t)tmp[i];
        got += (unsigned long long)r;
    }
    free(tmp);
    char body[96];
    int n = snprintf(body, sizeof(body), "received %llu bytes, byte sum %llu\n", got, sum);
    return reply(c, got == len ? 200 : 400, got == len ? "OK" : "Bad Request", "text/plain", body,
                 (unsigned long long)n);
}

static int serve_index(int c)
{
    char page[512];
    struct sockaddr_storage me;
    socklen_t ml = sizeof(me);
    char addr[INET6_ADDRSTRLEN] = "?";
    if (getsockname(c, (struct sockaddr *)&me, &ml) == 0) {
        if (me.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, addr, sizeof(addr));
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, addr, sizeof(addr));
    }
    int n = snprintf(page, sizeof(page),
                     "<!DOCTYPE html>\n<html><head><title>xenolith</title></head><body>\n"
                     "<h1>Hello from xenolith</h1>\n<p>A Xen PVH unikernel serving this page "
                     "from %s with lwIP. Requests so far: %lu.</p>\n"
                     "<p>Try <a href=\"/bytes/1048576\">/bytes/N</a>.</p>\n</body></html>\n",
                     addr, served);
    return reply(c, 200, "OK", "text/html", page, (unsigned long long)n);
}

/* One request from buf[0 .. *len): handled and consumed; -1 ends the connection. */
static int handle(int c, char *buf, size_t *len, size_t head_len)
{
    char method[8] = "", path[256] = "";
    unsigned long long clen = 0;
    buf[head_len - 1] = '\0';
    if (sscanf(buf, "%7s %255s", method, path) != 2)
        return reply(c, 400, "Bad Request", "text/plain", "bad request\n", 12), -1;
    for (char *h = strstr(buf, "\r\n"); h; h = strstr(h + 2, "\r\n"))
        if (!strncasecmp(h + 2, "Content-Length:", 15))
            clen = strtoull(h + 17, NULL, 10);
    int close_after = strstr(buf, "HTTP/1.0") != NULL || strcasestr(buf, "Connection: close");
    size_t body_have = *len - head_len < clen ? *len - head_len : (size_t)clen;
    int rc;
    __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);

    if (!strcmp(method, "GET") && !strcmp(path, "/"))
        rc = serve_index(c);
    else if (!strcmp(method, "GET") && !strncmp(path, "/bytes/", 7))
        rc = serve_bytes(c, strtoull(path + 7, NULL, 10));
    else if ((!strcmp(method, "PUT") || !strcmp(method, "POST")) && !strcmp(path, "/sink"))
        rc = serve_sink(c, buf + head_len, body_have, clen);
    else
        rc = reply(c, 404, "Not Found", "text/plain", "not found\n", 10);

    /* Keep what follows this request (pipelining); a sink consumed its body. */
    size_t used = head_len + body_have;
    memmove(buf, buf + used, *len - used);
    *len -= used;
    return rc < 0 || close_after ? -1 : 0;
}

static void *conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char *buf = malloc(REQ_MAX + 1);
    size_t len = 0;
    while (buf) {
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            if (handle(c, buf, &len, (size_t)(end - buf) + 4) < 0)
                break;
            continue;
        }
        if (len == REQ_MAX) {
            reply(c, 431, "Request Header Fields Too Large", "text/plain", "too large\n", 10);
            break;
        }
        ssize_t r = recv(c, buf + len, REQ_MAX - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    free(buf);
    close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 80;
    for (size_t i = 0; i < PATTERN_LEN; i++)
        pattern[i] = (uint8_t)("xenolith\n"[i % 9]);

    struct sockaddr_in6 sin6 = {
        .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
    int ls = socket(AF_INET6, SOCK_STREAM, 0), zero = 0, one = 1;
    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ls < 0 || bind(ls, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(ls, 32) < 0) {
        printf("httpd: cannot listen on port %d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("httpd: listening on port %d\n", port);
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct xenolith_thread *t =
            xenolith_thread_create("httpd-conn", conn, (void *)(intptr_t)c, -1, 0);
        if (t)
            xenolith_thread_detach(t);
        else
            close(c);
    }
}
