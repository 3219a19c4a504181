/*
 * Ethernet frames as the netif glue needs them: where the L4 header is, and the
 * Internet checksum pieces for offloading (pseudo-header sums). Pure logic, no
 * lwIP, no hypercalls.
 */
#ifndef XENOLITH_NET_FRAME_H
#define XENOLITH_NET_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_ETH_HLEN 14

struct frame_l4 {
    int ipv6;             /* 0: IPv4, 1: IPv6 */
    int fragment;         /* an IP fragment: the L4 checksum cannot be done alone */
    uint8_t proto;        /* 6 TCP, 17 UDP, ... */
    uint16_t l4_offset;   /* from the start of the frame */
    uint16_t csum_offset; /* of the checksum field within the L4 header, 0 if none */
    uint32_t l4_len;      /* L4 header + payload, from the IP header's length */
    uint16_t pseudo;      /* folded pseudo-header sum (not complemented), memory order */
    uint16_t addr_sum;    /* folded sum of the two addresses: a flow hash */
};

/*
 * Parse the Ethernet/IP headers in hdr (hdr_len bytes available, of a frame of
 * frame_len bytes). Returns 0 with *l4 filled for IPv4/IPv6 packets whose L4
 * header starts within hdr, -1 otherwise (not IP, truncated, inconsistent).
 */
int frame_parse_l4(const uint8_t *hdr, size_t hdr_len, size_t frame_len, struct frame_l4 *l4);

/* Internet checksum pieces: sum 16-bit words in memory order; fold to 16 bits. */
uint32_t csum_partial(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);

#endif
