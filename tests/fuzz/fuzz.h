/*
 * Shared by the libFuzzer targets: CHECK (an invariant; aborts, so libFuzzer keeps
 * the input) and a reader that takes little-endian numbers off the fuzz input, giving
 * zeros once it runs out. Header only: each target is one .c plus the sources it tests.
 */
#ifndef XENOLITH_FUZZ_H
#define XENOLITH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned int len)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < len && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)in->p[0] << (8 * i);
    return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    return (uint8_t)fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    return (uint16_t)fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
    return (uint32_t)fuzz_bytes(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
    return fuzz_bytes(in, 8);
}

#endif
