// libFuzzer target for drivers/xen/ring_write.h: console output into the shared ring while
// a hostile xenconsoled moves out_cons. The input gives the start indices, the text and a
// script of how much the backend takes (or where it throws out_cons). Impossible indices
// must be refused (-1) with nothing written; otherwise what the backend reads, taken in
// order, must be the text with each "\n" as "\r\n", and out_prod never more than the ring
// size ahead of out_cons (an out_cons thrown inside that window is the backend's loss).
// FUZZ-SOURCES:
#include "tests/fuzz/fuzz.h"

#include "drivers/xen/ring_write.h"

static struct xencons_interface ring;
static char want[2 * 4096 + 8], got[2 * 4096 + 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    memset(&ring, 0, sizeof(ring));
    ring.out_cons = ring.out_prod = fuzz_u32(&in);
    size_t tlen = fuzz_u16(&in) % 4096;
    if (tlen > in.n)
        tlen = in.n;
    const char *text = (const char *)in.p;
    in.p += tlen;
    in.n -= tlen;

    size_t nw = 0, ng = 0, done = 0;
    for (size_t i = 0; i < tlen; i++) {
        if (text[i] == '\n')
            want[nw++] = '\r';
        want[nw++] = text[i];
    }
    int pending_cr = 0, broken = 0, scribbled = 0;
    for (int rounds = 0; done < tlen && rounds < 10000; rounds++) {
        uint32_t prod = ring.out_prod, cons = ring.out_cons;
        long put = xencons_ring_put(&ring, text + done, tlen - done, &pending_cr);
        if (prod - cons > sizeof(ring.out)) {
            CHECK(put == -1 && ring.out_prod == prod);
            broken = 1;
            break;
        }
        CHECK(put >= 0 && (size_t)put <= tlen - done);
        CHECK(ring.out_prod - ring.out_cons <= sizeof(ring.out));
        CHECK(put > 0 || prod - cons == sizeof(ring.out) || tlen == done);
        done += (size_t)put;
        /* The backend: take some bytes, or scribble on out_cons. */
        uint8_t how = fuzz_u8(&in);
        if (how >= 0xf8) {
            ring.out_cons = fuzz_u32(&in);
            scribbled = 1; /* from here the stream is the backend's business */
            continue;
        }
        uint32_t avail = ring.out_prod - ring.out_cons;
        uint32_t take = how & 0x80 ? avail : fuzz_u16(&in) % (avail + 1);
        if (!in.n)
            take = avail;
        for (uint32_t k = 0; k < take; k++)
            got[ng++] = ring.out[MASK_XENCONS_IDX(ring.out_cons++, ring.out)];
    }
    if (broken || scribbled)
        return 0;
    while (ring.out_cons != ring.out_prod && ng < sizeof(got))
        got[ng++] = ring.out[MASK_XENCONS_IDX(ring.out_cons++, ring.out)];
    if (done == tlen) {
        /* A "\r" written for a final "\n" is always followed by it. */
        CHECK(ng == nw && memcmp(got, want, nw) == 0);
    } else {
        CHECK(ng <= nw && memcmp(got, want, ng) == 0);
    }
    return 0;
}
