/*
 * Frame parsing and Internet checksums (RFC 1071) for the netif glue. The sums
 * are kept in memory order, so they are stored back without byte swapping.
 */
#include "net/frame.h"
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t csum_partial(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    while (len >= 8) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + 4, 4);
        s += (uint64_t)a + b;
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        s += w;
        p += 2;
        len -= 2;
    }
    if (len) /* the last odd byte is the first byte of a zero-padded word */
        s += *p;
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Pseudo-header sum: addresses as they are in memory, protocol and length as
 * network-order words. */
static void pseudo_sum(struct frame_l4 *l4, const uint8_t *src, const uint8_t *dst, size_t alen)
{
    uint8_t tail[8] = {(uint8_t)(l4->l4_len >> 24),
                       (uint8_t)(l4->l4_len >> 16),
                       (uint8_t)(l4->l4_len >> 8),
                       (uint8_t)l4->l4_len,
                       0,
                       0,
                       0,
                       l4->proto};
    uint32_t sum = csum_partial(0, src, alen);
    sum = csum_partial(sum, dst, alen);
    l4->addr_sum = csum_fold(sum);
    l4->pseudo = csum_fold(csum_partial(sum, tail, sizeof(tail)));
}

/* Where TCP and UDP keep their checksum; 0 for protocols we do not offload. */
static uint16_t csum_field(uint8_t proto)
{
    switch (proto) {
    case 6:
        return 16; /* TCP */
    case 17:
        return 6; /* UDP */
    default:
        return 0;
    }
}

static int parse_ipv4(const uint8_t *ip, size_t avail, size_t l3_off, size_t frame_len,
                      struct frame_l4 *l4)
{
    if (avail < 20 || (ip[0] >> 4) != 4)
        return -1;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4;
    size_t total = get_be16(ip + 2);
    if (ihl < 20 || total < ihl || l3_off + total > frame_len || ihl > avail)
        return -1;
    uint16_t frag = get_be16(ip + 6);
    l4->ipv6 = 0;
    l4->fragment = (frag & 0x3fff) != 0; /* MF, or an offset */
    l4->proto = ip[9];
    l4->l4_offset = (uint16_t)(l3_off + ihl);
    l4->l4_len = (uint32_t)(total - ihl);
    l4->csum_offset = csum_field(l4->proto);
    pseudo_sum(l4, ip + 12, ip + 16, 4);
    return 0;
}

static int parse_ipv6(const uint8_t *ip, size_t avail, size_t l3_off, size_t frame_len,
                      struct frame_l4 *l4)
{
    if (avail < 40 || (ip[0] >> 4) != 6)
        return -1;
    size_t payload = get_be16(ip + 4);
    if (l3_off + 40 + payload > frame_len)
        return -1;
    uint8_t next = ip[6];
    size_t off = 40;
    l4->fragment = 0;
    /* Extension headers: hop-by-hop, routing, destination options, fragment. */
    for (int n = 0; n < 8; n++) {
        if (next != 0 && next != 43 && next != 60 && next != 44)
            break;
        if (off + 8 > avail)
            return -1;
        if (next == 44) {
            l4->fragment = 1;
            next = ip[off];
            off += 8;
            continue;
        }
        size_t len = ((size_t)ip[off + 1] + 1) * 8;
        next = ip[off];
        off += len;
    }
    if (off > 40 + payload || off > avail)
        return -1;
    l4->ipv6 = 1;
    l4->proto = next;
    l4->l4_offset = (uint16_t)(l3_off + off);
    l4->l4_len = (uint32_t)(40 + payload - off);
    l4->csum_offset = csum_field(next);
    pseudo_sum(l4, ip + 8, ip + 24, 16);
    return 0;
}

int frame_parse_l4(const uint8_t *hdr, size_t hdr_len, size_t frame_len, struct frame_l4 *l4)
{
    if (hdr_len > frame_len)
        hdr_len = frame_len;
    if (hdr_len < FRAME_ETH_HLEN)
        return -1;
    size_t off = 12;
    uint16_t type = get_be16(hdr + off);
    if (type == ETHERTYPE_VLAN) {
        if (hdr_len < FRAME_ETH_HLEN + 4)
            return -1;
        off += 4;
        type = get_be16(hdr + off);
    }
    off += 2;
    int rc;
    if (type == ETHERTYPE_IPV4)
        rc = parse_ipv4(hdr + off, hdr_len - off, off, frame_len, l4);
    else if (type == ETHERTYPE_IPV6)
        rc = parse_ipv6(hdr + off, hdr_len - off, off, frame_len, l4);
    else
        return -1;
    if (rc < 0 || l4->l4_offset > hdr_len)
        return -1;
    return 0;
}
