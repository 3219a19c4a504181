/*
 * Joining consecutive TCP segments of one flow into one frame for segmentation
 * offload. lwIP cuts its send queue into segments of at most the peer's MSS; when
 * several of them leave in one go, the netif glue gives the backend one large frame
 * instead and the backend cuts it again into segments no larger than the largest
 * one it was made of. Pure logic on header bytes: no lwIP, no hypercalls.
 */
#ifndef XENOLITH_NET_TCP_MERGE_H
#define XENOLITH_NET_TCP_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include "net/frame.h"

#define TCP_MERGE_HDR_MAX   128   /* Ethernet + IPv4 or IPv6 + TCP with options */
#define TCP_MERGE_MAX_FRAME 65535 /* the largest frame netfront takes (Ethernet included) */

struct tcp_merge {
    uint8_t hdr[TCP_MERGE_HDR_MAX]; /* the first segment's headers, rewritten by _finish */
    uint16_t hdr_len;               /* Ethernet + IP + TCP header with options */
    uint8_t ipv6;
    uint32_t next_seq; /* the sequence number a segment must start at to join */
    uint32_t payload;  /* TCP payload bytes so far */
    uint16_t max_seg;  /* the largest segment's payload: the size to cut into */
    uint8_t push;      /* some segment had PSH */
    unsigned int segs;
};

/*
 * Can this frame (hdr_len bytes of its start in hdr, frame_len in all, parsed into
 * *l4) begin a merge? IPv4 without options or IPv6 without extension headers, TCP
 * with only ACK and perhaps PSH set, not a fragment, a payload. Returns the header
 * length (where the payload starts) or 0.
 */
size_t tcp_merge_candidate(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
                           const struct frame_l4 *l4);

/* Start a merge with a candidate frame whose headers are hdr_len (from _candidate) bytes. */
void tcp_merge_start(struct tcp_merge *m, const uint8_t *hdr, size_t hdr_len, size_t frame_len);

/*
 * Does this candidate frame continue m: the same addresses, ports, acknowledgement,
 * window and options, the next sequence number, and the result still within
 * TCP_MERGE_MAX_FRAME? 1 or 0.
 */
int tcp_merge_fits(const struct tcp_merge *m, const uint8_t *hdr, size_t hdr_len, size_t frame_len);

/* Add a frame _fits accepted. */
void tcp_merge_add(struct tcp_merge *m, const uint8_t *hdr, size_t frame_len);

/*
 * Rewrite m->hdr for the joined frame: IP length (and IPv4 header checksum), PSH if
 * any segment had it, and the TCP checksum field holding the pseudo-header sum of
 * the joined length (for csum_blank). Returns the joined frame's length.
 */
size_t tcp_merge_finish(struct tcp_merge *m);

#endif
