// UNIT-SOURCES: net/frame.c
/* net/frame.c: frame parsing and Internet checksums for the lwIP netif glue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "net/frame.h"

/* A plain reference: big-endian 16-bit words, end-around carry. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t start)
{
    uint32_t s = start;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static uint16_t swap16(uint16_t x)
{
    return (uint16_t)(x >> 8 | x << 8);
}

static void test_rfc1071_example(void **state)
{
    /* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (big-endian). */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    uint16_t le = csum_fold(csum_partial(0, b, sizeof(b)));
    assert_int_equal(swap16(le), 0xddf2);
}

static void test_odd_lengths_match_reference(void **state)
{
    uint8_t buf[301];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(buf); n++)
        assert_int_equal(swap16(csum_fold(csum_partial(0, buf, n))), ref_sum(buf, n, 0));
}

/* Ethernet + IPv4 + TCP, 10 payload bytes. */
static size_t make_ipv4_tcp(uint8_t *f, int vlan, uint16_t frag)
{
    size_t o = 0;
    memset(f, 0, 128);
    o = 12;
    if (vlan) {
        f[o++] = 0x81, f[o++] = 0x00, f[o++] = 0, f[o++] = 5;
    }
    f[o++] = 0x08, f[o++] = 0x00;
    uint8_t *ip = f + o;
    ip[0] = 0x45;
    ip[3] = 20 + 20 + 10; /* total length */
    ip[6] = (uint8_t)(frag >> 8), ip[7] = (uint8_t)frag;
    ip[8] = 64, ip[9] = 6;
    ip[12] = 169, ip[13] = 254, ip[14] = 0, ip[15] = 1;
    ip[16] = 169, ip[17] = 254, ip[18] = 2, ip[19] = 5;
    uint8_t *tcp = ip + 20;
    tcp[0] = 0x1f, tcp[1] = 0x90, tcp[12] = 0x50;
    for (int i = 0; i < 10; i++)
        tcp[20 + i] = (uint8_t)('a' + i);
    return o + 50;
}

static void test_ipv4_tcp(void **state)
{
    uint8_t f[128];
    size_t len = make_ipv4_tcp(f, 0, 0x4000 /* DF */);
    struct frame_l4 l4;
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.ipv6, 0);
    assert_int_equal(l4.fragment, 0);
    assert_int_equal(l4.proto, 6);
    assert_int_equal(l4.l4_offset, 34);
    assert_int_equal(l4.csum_offset, 16);
    assert_int_equal(l4.l4_len, 30);
    /* Pseudo header: addresses, zero+proto, length. */
    uint8_t ph[12];
    memcpy(ph, f + 26, 8);
    ph[8] = 0, ph[9] = 6, ph[10] = 0, ph[11] = 30;
    assert_int_equal(swap16(l4.pseudo), ref_sum(ph, 12, 0));

    /* Offload arithmetic: the pseudo sum in the field, then the whole segment summed and
     * inverted, gives a checksum that verifies. */
    memcpy(f + 34 + 16, &l4.pseudo, 2);
    uint16_t c = (uint16_t)~csum_fold(csum_partial(0, f + 34, 30));
    memcpy(f + 34 + 16, &c, 2);
    uint16_t verify = csum_fold(csum_partial(0, ph, 12) + csum_partial(0, f + 34, 30));
    assert_int_equal(csum_fold(verify), 0xffff);
}

static void test_vlan_and_fragments(void **state)
{
    uint8_t f[128];
    struct frame_l4 l4;
    size_t len = make_ipv4_tcp(f, 1, 0);
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.l4_offset, 38);
    len = make_ipv4_tcp(f, 0, 0x2000 /* MF */);
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.fragment, 1);
    len = make_ipv4_tcp(f, 0, 0x0010 /* offset */);
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.fragment, 1);
}

static void test_truncated_and_bogus(void **state)
{
    uint8_t f[128];
    struct frame_l4 l4;
    size_t len = make_ipv4_tcp(f, 0, 0);
    assert_int_equal(frame_parse_l4(f, 13, 13, &l4), -1);
    assert_int_equal(frame_parse_l4(f, len, len - 1, &l4), -1); /* IP says longer */
    f[14] = 0x44;                                               /* IHL 16 bytes */
    assert_int_equal(frame_parse_l4(f, len, len, &l4), -1);
    f[14] = 0x45;
    f[12] = 0x08, f[13] = 0x06; /* ARP */
    assert_int_equal(frame_parse_l4(f, len, len, &l4), -1);
}

static void test_ipv6_ext_headers(void **state)
{
    uint8_t f[160];
    memset(f, 0, sizeof(f));
    f[12] = 0x86, f[13] = 0xdd;
    uint8_t *ip = f + 14;
    ip[0] = 0x60;
    ip[5] = 8 + 8; /* payload: hop-by-hop (8) + UDP (8) */
    ip[6] = 0;     /* hop-by-hop */
    ip[8] = 0xfe, ip[9] = 0x80, ip[23] = 1;
    ip[24] = 0xfe, ip[25] = 0x80, ip[39] = 2;
    ip[40] = 17; /* next: UDP, ext length 0 = 8 bytes */
    size_t len = 14 + 40 + 16;
    struct frame_l4 l4;
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.ipv6, 1);
    assert_int_equal(l4.proto, 17);
    assert_int_equal(l4.l4_offset, 14 + 48);
    assert_int_equal(l4.csum_offset, 6);
    assert_int_equal(l4.l4_len, 8);
    ip[6] = 44; /* a fragment header (8 bytes, next: UDP) instead */
    assert_int_equal(frame_parse_l4(f, len, len, &l4), 0);
    assert_int_equal(l4.fragment, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_odd_lengths_match_reference),
        cmocka_unit_test(test_ipv4_tcp),
        cmocka_unit_test(test_vlan_and_fragments),
        cmocka_unit_test(test_truncated_and_bogus),
        cmocka_unit_test(test_ipv6_ext_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
