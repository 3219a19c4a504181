/*
 * Joining TCP segments for segmentation offload (see tcp_merge.h). Two segments
 * join when every header byte is the same but the IP length, the IPv4 id and
 * checksum, the sequence number, PSH and the TCP checksum, and the second starts
 * where the first ends. The backend then cuts the joined payload at max_seg bytes:
 * never a segment larger than one lwIP made, so the peer's MSS still holds.
 */
#include "net/tcp_merge.h"
#include <string.h>

#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Where the TCP header starts: IPv4 without options, IPv6 without extension headers. */
static size_t tcp_offset(int ipv6)
{
    return FRAME_ETH_HLEN + (ipv6 ? 40u : 20u);
}

size_t tcp_merge_candidate(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
                           const struct frame_l4 *l4)
{
    if (l4->proto != 6 || l4->fragment || frame_len > TCP_MERGE_MAX_FRAME)
        return 0;
    size_t t = tcp_offset(l4->ipv6);
    if (l4->l4_offset != t || hdr_len < t + 20 || hdr[12] != (l4->ipv6 ? 0x86 : 0x08) ||
        hdr[13] != (l4->ipv6 ? 0xdd : 0x00))
        return 0; /* VLAN-tagged, IP options or extension headers */
    if (!l4->ipv6 && hdr[FRAME_ETH_HLEN] != 0x45)
        return 0;
    size_t th = (size_t)(hdr[t + 12] >> 4) * 4;
    if (th < 20 || t + th > hdr_len || t + th > TCP_MERGE_HDR_MAX)
        return 0;
    if ((hdr[t + 13] & ~TCP_FLAG_PSH) != TCP_FLAG_ACK)
        return 0; /* SYN, FIN, RST, URG, ECE, CWR never join */
    /* The IP length must cover the frame exactly (no padding) and leave a payload. */
    if (t + l4->l4_len != frame_len || l4->l4_len <= th)
        return 0;
    return t + th;
}

void tcp_merge_start(struct tcp_merge *m, const uint8_t *hdr, size_t hdr_len, size_t frame_len)
{
    memcpy(m->hdr, hdr, hdr_len);
    m->hdr_len = (uint16_t)hdr_len;
    m->ipv6 = hdr[12] == 0x86;
    m->payload = 0;
    m->max_seg = 0;
    m->push = 0;
    m->segs = 0;
    m->next_seq = get_be32(hdr + tcp_offset(m->ipv6) + 4);
    tcp_merge_add(m, hdr, frame_len);
}

/* Is byte i of the headers one that may differ between segments that join? */
static int varies(const struct tcp_merge *m, size_t i)
{
    size_t t = tcp_offset(m->ipv6);
    if (i >= t)
        return (i >= t + 4 && i < t + 8) || (i >= t + 16 && i < t + 18); /* seq, checksum */
    if (m->ipv6)
        return i == 18 || i == 19;                    /* payload length */
    return (i >= 16 && i < 20) || i == 24 || i == 25; /* total length, id, header checksum */
}

int tcp_merge_fits(const struct tcp_merge *m, const uint8_t *hdr, size_t hdr_len, size_t frame_len)
{
    if (hdr_len != m->hdr_len || (hdr[12] == 0x86) != m->ipv6)
        return 0;
    size_t t = tcp_offset(m->ipv6);
    if (get_be32(hdr + t + 4) != m->next_seq)
        return 0;
    if ((size_t)m->hdr_len + m->payload + (frame_len - hdr_len) > TCP_MERGE_MAX_FRAME)
        return 0;
    for (size_t i = 0; i < hdr_len; i++) {
        uint8_t a = m->hdr[i], b = hdr[i];
        if (i == t + 13) {
            a &= (uint8_t)~TCP_FLAG_PSH;
            b &= (uint8_t)~TCP_FLAG_PSH;
        }
        if (a != b && !varies(m, i))
            return 0;
    }
    return 1;
}

void tcp_merge_add(struct tcp_merge *m, const uint8_t *hdr, size_t frame_len)
{
    uint32_t len = (uint32_t)(frame_len - m->hdr_len);
    m->payload += len;
    m->next_seq += len;
    if (len > m->max_seg)
        m->max_seg = (uint16_t)len;
    if (hdr[tcp_offset(m->ipv6) + 13] & TCP_FLAG_PSH)
        m->push = 1;
    m->segs++;
}

size_t tcp_merge_finish(struct tcp_merge *m)
{
    size_t total = (size_t)m->hdr_len + m->payload;
    size_t t = tcp_offset(m->ipv6);
    uint8_t *ip = m->hdr + FRAME_ETH_HLEN;
    if (m->ipv6) {
        put_be16(ip + 4, (uint32_t)(total - t));
    } else {
        put_be16(ip + 2, (uint32_t)(total - FRAME_ETH_HLEN));
        ip[10] = ip[11] = 0;
        uint16_t c = (uint16_t)~csum_fold(csum_partial(0, ip, 20));
        memcpy(ip + 10, &c, 2);
    }
    if (m->push)
        m->hdr[t + 13] |= TCP_FLAG_PSH;
    struct frame_l4 l4;
    if (frame_parse_l4(m->hdr, m->hdr_len, total, &l4) == 0)
        memcpy(m->hdr + t + 16, &l4.pseudo, 2);
    return total;
}
