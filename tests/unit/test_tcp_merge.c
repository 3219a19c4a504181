// UNIT-SOURCES: net/tcp_merge.c net/frame.c
/* net/tcp_merge.c: joining lwIP's TCP segments into one frame for segmentation offload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "net/tcp_merge.h"

#define ACK 0x10
#define PSH 0x08
#define FIN 0x01

struct seg_spec {
    int ipv6;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    size_t optlen; /* TCP options, a multiple of 4 */
    size_t payload;
};

static void be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A frame as lwIP hands it to the netif; payload bytes are data[seq - base]. */
static size_t make_frame(uint8_t *f, const struct seg_spec *s, const uint8_t *data, uint32_t base)
{
    memset(f, 0, 14 + 40 + 60);
    memset(f, 0x02, 12); /* MACs */
    size_t t;
    size_t th = 20 + s->optlen;
    if (s->ipv6) {
        f[12] = 0x86, f[13] = 0xdd;
        uint8_t *ip = f + 14;
        ip[0] = 0x60;
        be16(ip + 4, (uint32_t)(th + s->payload));
        ip[6] = 6, ip[7] = 64;
        for (int i = 0; i < 16; i++)
            ip[8 + i] = (uint8_t)(0xfe + i), ip[24 + i] = (uint8_t)(0x20 + i);
        t = 54;
    } else {
        f[12] = 0x08, f[13] = 0x00;
        uint8_t *ip = f + 14;
        ip[0] = 0x45;
        be16(ip + 2, (uint32_t)(20 + th + s->payload));
        be16(ip + 4, s->seq & 0xffff); /* ids differ per segment */
        ip[6] = 0x40, ip[8] = 255, ip[9] = 6;
        be32(ip + 12, 0xa9fe0207), be32(ip + 16, 0xa9fe0201);
        uint16_t c = (uint16_t)~csum_fold(csum_partial(0, ip, 20));
        memcpy(ip + 10, &c, 2);
        t = 34;
    }
    uint8_t *tcp = f + t;
    be16(tcp, 5002), be16(tcp + 2, 40000);
    be32(tcp + 4, s->seq), be32(tcp + 8, s->ack);
    tcp[12] = (uint8_t)((th / 4) << 4);
    tcp[13] = s->flags;
    be16(tcp + 14, s->window);
    for (size_t i = 0; i < s->optlen; i++)
        tcp[20 + i] = i % 4 == 3 ? 0 : 1; /* NOPs and an end */
    memcpy(tcp + th, data + (s->seq - base), s->payload);
    return t + th + s->payload;
}

static size_t candidate(const uint8_t *f, size_t len)
{
    struct frame_l4 l4;
    if (frame_parse_l4(f, len < 128 ? len : 128, len, &l4) < 0)
        return 0;
    return tcp_merge_candidate(f, len < 128 ? len : 128, len, &l4);
}

static uint8_t data[200000];
static uint8_t frames[64][1600];

static void fill_data(void)
{
    srand(7);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rand();
}

/*
 * Join n segments and check the result as the backend would use it: valid IP
 * header, lengths, pseudo-header sum for the joined length, payload byte for byte.
 */
static void join_and_check(int ipv6, size_t optlen, unsigned int n, const size_t *sizes)
{
    const uint32_t base = 0xfffff000u; /* the sequence numbers wrap inside the run */
    struct tcp_merge m = {0};
    uint32_t seq = base;
    size_t want_payload = 0, max = 0;
    for (unsigned int i = 0; i < n; i++) {
        struct seg_spec s = {ipv6, seq,    0x1234,  (uint8_t)(ACK | (i == 1 ? PSH : 0)),
                             8192, optlen, sizes[i]};
        size_t len = make_frame(frames[i], &s, data, base);
        size_t h = candidate(frames[i], len);
        assert_int_equal(h, (ipv6 ? 54u : 34u) + 20 + optlen);
        if (i == 0)
            tcp_merge_start(&m, frames[i], h, len);
        else {
            assert_true(tcp_merge_fits(&m, frames[i], h, len));
            tcp_merge_add(&m, frames[i], len);
        }
        seq += (uint32_t)sizes[i];
        want_payload += sizes[i];
        if (sizes[i] > max)
            max = sizes[i];
    }
    assert_int_equal(m.segs, n);
    assert_int_equal(m.max_seg, max);
    size_t total = tcp_merge_finish(&m);
    assert_int_equal(total, m.hdr_len + want_payload);

    /* The joined frame, headers then every segment's payload. */
    static uint8_t joined[70000];
    memcpy(joined, m.hdr, m.hdr_len);
    size_t at = m.hdr_len;
    for (unsigned int i = 0; i < n; i++) {
        memcpy(joined + at, frames[i] + m.hdr_len, sizes[i]);
        at += sizes[i];
    }
    struct frame_l4 l4;
    assert_int_equal(frame_parse_l4(joined, m.hdr_len, total, &l4), 0);
    assert_int_equal(l4.l4_len, total - (ipv6 ? 54 : 34));
    size_t t = ipv6 ? 54 : 34;
    if (!ipv6)
        assert_int_equal(csum_fold(csum_partial(0, joined + 14, 20)), 0xffff);
    uint16_t field;
    memcpy(&field, joined + t + 16, 2);
    assert_int_equal(field, l4.pseudo);
    assert_true(joined[t + 13] & PSH); /* a middle segment had PSH */
    assert_int_equal(rd32(joined + t + 4), base);
    assert_memory_equal(joined + m.hdr_len, data, want_payload);
}

static void test_join_ipv4(void **state)
{
    size_t sizes[44];
    for (int i = 0; i < 44; i++)
        sizes[i] = 1460;
    sizes[43] = 333;
    join_and_check(0, 0, 44, sizes);
}

static void test_join_ipv6_with_options(void **state)
{
    size_t sizes[] = {1420, 1420, 100, 1420, 7};
    join_and_check(1, 12, 5, sizes);
}

static void test_never_beyond_64k(void **state)
{
    struct tcp_merge m = {0};
    uint32_t seq = 1;
    unsigned int joined = 0;
    for (unsigned int i = 0; i < 64; i++) {
        struct seg_spec s = {0, seq, 9, ACK, 100, 0, 1460};
        size_t len = make_frame(frames[i], &s, data, 1);
        size_t h = candidate(frames[i], len);
        if (i == 0)
            tcp_merge_start(&m, frames[i], h, len);
        else if (tcp_merge_fits(&m, frames[i], h, len))
            tcp_merge_add(&m, frames[i], len);
        else
            break;
        joined++;
        seq += 1460;
    }
    assert_int_equal(joined, (65535 - 54) / 1460);
    assert_true(tcp_merge_finish(&m) <= TCP_MERGE_MAX_FRAME);
}

/* What must not join: a gap, another ack or window, other options, FIN, no payload. */
static void test_what_does_not_join(void **state)
{
    struct seg_spec first = {0, 1000, 5, ACK, 100, 4, 500};
    size_t len = make_frame(frames[0], &first, data, 0);
    size_t h = candidate(frames[0], len);
    assert_true(h);
    struct tcp_merge m = {0};
    tcp_merge_start(&m, frames[0], h, len);

    struct seg_spec next = first;
    next.seq = 1500;
    len = make_frame(frames[1], &next, data, 0);
    assert_true(tcp_merge_fits(&m, frames[1], candidate(frames[1], len), len));

    struct seg_spec bad[] = {
        {0, 1501, 5, ACK, 100, 4, 500}, /* a gap */
        {0, 1500, 6, ACK, 100, 4, 500}, /* a newer ack */
        {0, 1500, 5, ACK, 101, 4, 500}, /* another window */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        len = make_frame(frames[2], &bad[i], data, 0);
        assert_false(tcp_merge_fits(&m, frames[2], candidate(frames[2], len), len));
    }
    struct seg_spec opts = {0, 1500, 5, ACK, 100, 8, 500}; /* longer options */
    len = make_frame(frames[2], &opts, data, 0);
    assert_false(tcp_merge_fits(&m, frames[2], candidate(frames[2], len), len));
    len = make_frame(frames[2], &next, data, 0);
    frames[2][34 + 21] = 3;
    assert_false(tcp_merge_fits(&m, frames[2], candidate(frames[2], len), len));

    struct seg_spec fin = {0, 1500, 5, ACK | FIN, 100, 0, 10};
    len = make_frame(frames[2], &fin, data, 0);
    assert_int_equal(candidate(frames[2], len), 0);
    struct seg_spec pure_ack = {0, 1500, 5, ACK, 100, 0, 0};
    len = make_frame(frames[2], &pure_ack, data, 0);
    assert_int_equal(candidate(frames[2], len), 0);

    /* Not TCP over plain IPv4: IP options. */
    len = make_frame(frames[2], &next, data, 0);
    frames[2][14] = 0x46;
    assert_int_equal(candidate(frames[2], len), 0);
}

int main(void)
{
    fill_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_ipv4),
        cmocka_unit_test(test_join_ipv6_with_options),
        cmocka_unit_test(test_never_beyond_64k),
        cmocka_unit_test(test_what_does_not_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
