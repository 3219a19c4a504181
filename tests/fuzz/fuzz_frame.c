// libFuzzer target for net/frame.c: a received (or about to be sent) Ethernet frame whose
// headers the netif glue parses for checksum offload. A parse that succeeds must point
// inside the bytes it was given (the L4 header starts within hdr, the L4 data ends within
// the frame), name the checksum field of the protocol it found, and give the pseudo-header
// sums an independent byte-by-byte computation gives. The Internet checksum helpers must
// agree with a plain one's-complement sum, also when the data is summed in pieces.
// FUZZ-SOURCES: net/frame.c
#include "tests/fuzz/fuzz.h"

#include "net/frame.h"

/* One's-complement sum of 16-bit words in memory order (little-endian host), folded. */
static uint16_t ref_sum(uint32_t start, const uint8_t *p, size_t len)
{
    uint64_t s = start;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint16_t)(p[i] | p[i + 1] << 8);
    if (len & 1)
        s += p[len - 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static void check_l4(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
                     const struct frame_l4 *l4)
{
    size_t l3 = (hdr[12] == 0x81 && hdr[13] == 0x00) ? 18 : 14;
    CHECK(l4->l4_offset <= hdr_len && l4->l4_offset <= frame_len);
    CHECK(l4->l4_offset >= l3 + (l4->ipv6 ? 40u : 20u));
    CHECK((size_t)l4->l4_offset + l4->l4_len <= frame_len);
    CHECK(l4->csum_offset == (l4->proto == 6 ? 16 : l4->proto == 17 ? 6 : 0));

    /* The pseudo header, built byte by byte: addresses, zero, protocol, length. */
    const uint8_t *ip = hdr + l3;
    size_t alen = l4->ipv6 ? 16 : 4;
    const uint8_t *src = ip + (l4->ipv6 ? 8 : 12);
    uint8_t ph[2 * 16 + 8];
    memcpy(ph, src, 2 * alen);
    uint8_t tail[8] = {(uint8_t)(l4->l4_len >> 24),
                       (uint8_t)(l4->l4_len >> 16),
                       (uint8_t)(l4->l4_len >> 8),
                       (uint8_t)l4->l4_len,
                       0,
                       0,
                       0,
                       l4->proto};
    CHECK(l4->addr_sum == ref_sum(0, ph, 2 * alen));
    memcpy(ph + 2 * alen, tail, 8);
    CHECK(l4->pseudo == ref_sum(0, ph, 2 * alen + 8));
    if (!l4->ipv6)
        CHECK(l4->fragment == ((((ip[6] << 8) | ip[7]) & 0x3fff) != 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    /* hdr_len and frame_len around the bytes there are: shorter, exact, longer. */
    size_t body = size - 4;
    size_t hdr_len = (data[0] | data[1] << 8) % (body + 1);
    size_t frame_len = body + (data[2] % 4 == 0 ? (size_t)data[3] << 4 : 0);
    const uint8_t *frame = data + 4;
    uint8_t *hdr = malloc(hdr_len ? hdr_len : 1); /* exact size: ASan sees any overread */
    memcpy(hdr, frame, hdr_len);

    struct frame_l4 l4;
    if (frame_parse_l4(hdr, hdr_len, frame_len, &l4) == 0)
        check_l4(hdr, hdr_len < frame_len ? hdr_len : frame_len, frame_len, &l4);
    if (frame_parse_l4(frame, body, body, &l4) == 0)
        check_l4(frame, body, body, &l4);
    free(hdr);

    /* Checksums: whole, and in two pieces split at an even offset. */
    uint32_t start = data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
    uint32_t whole = csum_partial(start, frame, body);
    CHECK(csum_fold(whole) == ref_sum(start, frame, body));
    size_t cut = (hdr_len & ~(size_t)1);
    uint32_t two = csum_partial(csum_partial(start, frame, cut), frame + cut, body - cut);
    CHECK(csum_fold(two) == csum_fold(whole));
    return 0;
}
