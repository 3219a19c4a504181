/*
 * What lwIP's own lwip/inet.h would define, over our POSIX headers
 * (LWIP_SOCKET_EXTERNAL_HEADER_INET_H): conversions between the socket address
 * types of <netinet/in.h> and lwIP's ip4_addr_t / ip6_addr_t.
 */
#ifndef XENOLITH_LWIP_INET_EXT_H
#define XENOLITH_LWIP_INET_EXT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <fcntl.h>

#define inet_addr_from_ip4addr(in, ip) ((in)->s_addr = ip4_addr_get_u32(ip))
#define inet_addr_to_ip4addr(ip, in)   ip4_addr_set_u32(ip, (in)->s_addr)

#define inet6_addr_from_ip6addr(in6, ip6)                                                          \
    do {                                                                                           \
        for (int i_ = 0; i_ < 4; i_++)                                                             \
            (in6)->s6_addr32[i_] = (ip6)->addr[i_];                                                \
    } while (0)
#define inet6_addr_to_ip6addr(ip6, in6)                                                            \
    do {                                                                                           \
        for (int i_ = 0; i_ < 4; i_++)                                                             \
            (ip6)->addr[i_] = (in6)->s6_addr32[i_];                                                \
        ip6_addr_clear_zone(ip6);                                                                  \
    } while (0)

#endif
