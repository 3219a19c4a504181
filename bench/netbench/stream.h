/*
 * What both ends of bench/net.sh agree on: the ports, the byte stream a TCP transfer
 * carries and how the receiver checks it on arrival, and the content of a UDP
 * datagram. Included by the guest server (netbench.c, the same file on xenolith and
 * on Linux) and by dom0's client (bench/dom0/netclient.c); header-only because
 * xenolith's app rule compiles one directory.
 *
 * The stream is xorshift64 words from a fixed seed, little-endian, so any length
 * and any split into reads checks the same way: the receiver regenerates it in
 * NB_CHUNK blocks and compares what came against the next bytes of the block.
 */
#ifndef NETBENCH_STREAM_H
#define NETBENCH_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NB_TCP_PORT  5001
#define NB_UDP_PORT  5002
#define NB_CHUNK     (64 * 1024) /* the send and receive buffer of every transfer */
#define NB_DGRAM_MAX 1472

struct nb_stream {
    uint64_t x;
};

static inline void nb_stream_init(struct nb_stream *s)
{
    s->x = 0x9e3779b97f4a7c15ULL;
}

/* The next n bytes of the stream (n a multiple of 8). */
static inline void nb_stream_fill(struct nb_stream *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        s->x ^= s->x << 13;
        s->x ^= s->x >> 7;
        s->x ^= s->x << 17;
        memcpy(p + i, &s->x, 8);
    }
}

/* Checks a received stream: feed it at most nb_check_room() bytes at a time. */
struct nb_check {
    struct nb_stream s;
    uint64_t pos;    /* bytes checked */
    uint64_t bad_at; /* offset of the first wrong byte, if bad */
    int bad;
    size_t off; /* into want */
    uint8_t want[NB_CHUNK];
};

static inline void nb_check_init(struct nb_check *c)
{
    nb_stream_init(&c->s);
    nb_stream_fill(&c->s, c->want, NB_CHUNK);
    c->pos = c->bad_at = 0;
    c->bad = 0;
    c->off = 0;
}

static inline size_t nb_check_room(const struct nb_check *c)
{
    return NB_CHUNK - c->off;
}

/* Compares n (<= nb_check_room) received bytes; returns 0, or -1 once any was wrong. */
static inline int nb_check_data(struct nb_check *c, const uint8_t *p, size_t n)
{
    if (!c->bad && memcmp(p, c->want + c->off, n) != 0) {
        size_t i = 0;
        while (p[i] == c->want[c->off + i])
            i++;
        c->bad = 1;
        c->bad_at = c->pos + i;
    }
    c->pos += n;
    c->off += n;
    if (c->off == NB_CHUNK) {
        nb_stream_fill(&c->s, c->want, NB_CHUNK);
        c->off = 0;
    }
    return c->bad ? -1 : 0;
}

/* A datagram: its sequence number, then bytes that depend on it and their place. */
static inline void nb_dgram_fill(uint8_t *p, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        p[i] = i < 8 ? (uint8_t)(seq >> (8 * i)) : (uint8_t)(seq * 31 + i);
}

static inline int nb_dgram_ok(const uint8_t *p, size_t n, size_t want)
{
    if (n != want || n < 8)
        return 0;
    uint64_t seq = 0;
    for (size_t i = 0; i < 8; i++)
        seq |= (uint64_t)p[i] << (8 * i);
    for (size_t i = 8; i < n; i++)
        if (p[i] != (uint8_t)(seq * 31 + i))
            return 0;
    return 1;
}

#endif
