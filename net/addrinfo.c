/*
 * Address text <-> binary (<arpa/inet.h>) and getaddrinfo/getnameinfo for
 * numeric hosts and services (<netdb.h>); there is no resolver. None of this
 * needs the stack running.
 */
#include "lwip/ip6_addr.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

/* Strict dotted decimal: four parts 0..255, no leading zeros beyond "0". */
static int pton4(const char *s, uint8_t out[4])
{
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned int v = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned int)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return 0;
        }
        if (digits > 1 && s[-(int)digits] == '0')
            return 0;
        out[part] = (uint8_t)v;
        if (part < 3 && *s++ != '.')
            return 0;
    }
    return *s == '\0';
}

int inet_pton(int af, const char *src, void *dst)
{
    if (af == AF_INET) {
        uint8_t a[4];
        if (!pton4(src, a))
            return 0;
        memcpy(dst, a, 4);
        return 1;
    }
    if (af == AF_INET6) {
        ip6_addr_t a;
        if (strchr(src, '%') || !ip6addr_aton(src, &a))
            return 0;
        memcpy(dst, a.addr, 16);
        return 1;
    }
    errno = EAFNOSUPPORT;
    return -1;
}

const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
    char buf[INET6_ADDRSTRLEN];
    if (af == AF_INET) {
        const uint8_t *a = src;
        snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    } else if (af == AF_INET6) {
        ip6_addr_t a;
        memcpy(a.addr, src, 16);
        ip6_addr_clear_zone(&a);
        if (!ip6addr_ntoa_r(&a, buf, sizeof(buf)))
            return errno = ENOSPC, NULL;
        for (char *c = buf; *c; c++) /* lwIP writes upper case; RFC 5952 says lower */
            if (*c >= 'A' && *c <= 'F')
                *c = (char)(*c - 'A' + 'a');
    } else {
        return errno = EAFNOSUPPORT, NULL;
    }
    if (strlen(buf) >= size)
        return errno = ENOSPC, NULL;
    return strcpy(dst, buf);
}

int inet_aton(const char *cp, struct in_addr *inp)
{
    return inet_pton(AF_INET, cp, &inp->s_addr) == 1;
}

in_addr_t inet_addr(const char *cp)
{
    struct in_addr a;
    return inet_aton(cp, &a) ? a.s_addr : INADDR_NONE;
}

char *inet_ntoa(struct in_addr in)
{
    static char buf[INET_ADDRSTRLEN];
    return (char *)inet_ntop(AF_INET, &in.s_addr, buf, sizeof(buf));
}

/* ---- getaddrinfo ---- */

struct addrinfo_block {
    struct addrinfo ai;
    struct sockaddr_storage sa;
};

static int parse_port(const char *service, uint16_t *port)
{
    *port = 0;
    if (!service || !*service)
        return 0;
    char *end;
    unsigned long v = strtoul(service, &end, 10);
    if (*end || v > 65535)
        return EAI_SERVICE; /* no services database */
    *port = (uint16_t)v;
    return 0;
}

/* Append entries for one address (family af, bytes addr) to *tail. */
static int add_address(struct addrinfo ***tail, int af, const void *addr, uint32_t scope,
                       uint16_t port, const struct addrinfo *hints, const char *canon)
{
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    for (unsigned int i = 0; i < 2; i++) {
        int type = hints && hints->ai_socktype ? hints->ai_socktype : types[i];
        if (hints && hints->ai_socktype && i > 0)
            break;
        struct addrinfo_block *b = calloc(1, sizeof(*b));
        if (!b)
            return EAI_MEMORY;
        b->ai.ai_family = af;
        b->ai.ai_socktype = type;
        b->ai.ai_protocol = hints && hints->ai_protocol ? hints->ai_protocol
                            : type == SOCK_STREAM       ? IPPROTO_TCP
                            : type == SOCK_DGRAM        ? IPPROTO_UDP
                                                        : 0;
        b->ai.ai_addr = (struct sockaddr *)&b->sa;
        if (af == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&b->sa;
            sin->sin_family = AF_INET;
            sin->sin_port = htons(port);
            memcpy(&sin->sin_addr, addr, 4);
            b->ai.ai_addrlen = sizeof(*sin);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&b->sa;
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons(port);
            memcpy(&sin6->sin6_addr, addr, 16);
            sin6->sin6_scope_id = scope;
            b->ai.ai_addrlen = sizeof(*sin6);
        }
        if (canon) {
            b->ai.ai_canonname = strdup(canon);
            canon = NULL; /* only the first entry carries it */
        }
        **tail = &b->ai;
        *tail = &b->ai.ai_next;
    }
    return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    int family = hints ? hints->ai_family : AF_UNSPEC;
    int flags = hints ? hints->ai_flags : 0;
    uint16_t port;
    *res = NULL;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return EAI_FAMILY;
    if (hints && hints->ai_socktype && hints->ai_socktype != SOCK_STREAM &&
        hints->ai_socktype != SOCK_DGRAM && hints->ai_socktype != SOCK_RAW)
        return EAI_SOCKTYPE;
    if (!node && !service)
        return EAI_NONAME;
    int rc = parse_port(service, &port);
    if (rc)
        return rc;

    uint8_t a4[4], a6[16];
    int have4 = 0, have6 = 0;
    uint32_t scope = 0;
    if (!node || !strcmp(node, "localhost")) {
        int passive = !node && (flags & AI_PASSIVE);
        uint32_t v4 = passive ? INADDR_ANY : htonl(INADDR_LOOPBACK);
        memcpy(a4, &v4, 4);
        memcpy(a6, passive ? &in6addr_any : &in6addr_loopback, 16);
        have4 = family != AF_INET6;
        have6 = family != AF_INET;
    } else if (pton4(node, a4)) {
        have4 = family != AF_INET6;
        if (family == AF_INET6 && (flags & AI_V4MAPPED)) {
            memset(a6, 0, 10);
            a6[10] = a6[11] = 0xff;
            memcpy(a6 + 12, a4, 4);
            have6 = 1;
        }
    } else {
        char host[INET6_ADDRSTRLEN + IF_NAMESIZE];
        const char *pct = strchr(node, '%');
        size_t n = pct ? (size_t)(pct - node) : strlen(node);
        if (n >= sizeof(host))
            return EAI_NONAME;
        memcpy(host, node, n);
        host[n] = '\0';
        if (inet_pton(AF_INET6, host, a6) != 1)
            return EAI_NONAME; /* not numeric: there is no resolver */
        if (pct) {
            char *end;
            scope = (uint32_t)strtoul(pct + 1, &end, 10);
            if (*end)
                scope = if_nametoindex(pct + 1);
            if (!scope)
                return EAI_NONAME;
        }
        have6 = family != AF_INET;
    }
    if (!have4 && !have6)
        return EAI_FAMILY;

    struct addrinfo **tail = res;
    const char *canon = (flags & AI_CANONNAME) ? (node ? node : "localhost") : NULL;
    if (have4)
        rc = add_address(&tail, AF_INET, a4, 0, port, hints, canon);
    if (!rc && have6)
        rc = add_address(&tail, AF_INET6, a6, scope, port, hints, have4 ? NULL : canon);
    if (rc) {
        freeaddrinfo(*res);
        *res = NULL;
    }
    return rc;
}

void freeaddrinfo(struct addrinfo *ai)
{
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai->ai_canonname);
        free(ai); /* the block: ai is its first member */
        ai = next;
    }
}

const char *gai_strerror(int err)
{
    switch (err) {
    case 0:
        return "Success";
    case EAI_BADFLAGS:
        return "Bad value for ai_flags";
    case EAI_NONAME:
        return "Name unknown (only numeric addresses: there is no resolver)";
    case EAI_AGAIN:
        return "Temporary failure in name resolution";
    case EAI_FAIL:
        return "Non-recoverable failure in name resolution";
    case EAI_FAMILY:
        return "Address family not supported";
    case EAI_SOCKTYPE:
        return "Socket type not supported";
    case EAI_SERVICE:
        return "Service unknown (only numeric ports)";
    case EAI_MEMORY:
        return "Out of memory";
    case EAI_SYSTEM:
        return "System error";
    case EAI_OVERFLOW:
        return "Buffer too small";
    default:
        return "Unknown error";
    }
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
    const void *addr;
    uint16_t port;
    if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        addr = &sin->sin_addr;
        port = ntohs(sin->sin_port);
    } else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        addr = &sin6->sin6_addr;
        port = ntohs(sin6->sin6_port);
    } else {
        return EAI_FAMILY;
    }
    if (flags & NI_NAMEREQD)
        return EAI_NONAME;
    if (host && hostlen && !inet_ntop(sa->sa_family, addr, host, hostlen))
        return EAI_OVERFLOW;
    if (serv && servlen && (socklen_t)snprintf(serv, servlen, "%u", port) >= servlen)
        return EAI_OVERFLOW;
    return 0;
}
