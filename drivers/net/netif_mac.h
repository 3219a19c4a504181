/* Parsing what the toolstack wrote about a vif. Pure; tests/unit/test_netfront_mac.c. */
#ifndef XENOLITH_NETIF_MAC_H
#define XENOLITH_NETIF_MAC_H

#include <stdint.h>

/*
 * "00:16:3e:5a:01:02" (exactly six two-digit hex groups, either case) into mac.
 * Returns 0, or -EINVAL for anything else, including a multicast or all-zero
 * address, which no NIC may have.
 */
int netif_parse_mac(const char *s, uint8_t mac[6]);

#endif
