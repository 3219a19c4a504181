/*
 * Bitmap page-frame allocator. A bit per frame keeps the metadata at 1/32768 of
 * RAM and makes double frees detectable. Single frames (the common case) are found
 * a 64-bit word at a time starting at a hint; runs scan bit by bit from there.
 * A second, optional bitmap marks frames ballooned out to the hypervisor.
 * Pure logic, no locking: the kernel wraps it (core/mm.c). Host tested.
 */
#include <errno.h>
#include <stddef.h>
#include "core/page_alloc.h"

static int bit_test(const struct page_alloc *pa, uint64_t i)
{
    return (pa->bitmap[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct page_alloc *pa, uint64_t i)
{
    pa->bitmap[i / 64] |= 1ULL << (i % 64);
}

static void bit_clear(struct page_alloc *pa, uint64_t i)
{
    pa->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

static int absent_test(const struct page_alloc *pa, uint64_t i)
{
    return (pa->absent[i / 64] >> (i % 64)) & 1;
}

uint64_t page_alloc_bitmap_bytes(uint64_t nframes)
{
    return (nframes + 63) / 64 * 8;
}

void page_alloc_init(struct page_alloc *pa, uint64_t *bitmap, uint64_t base, uint64_t nframes)
{
    pa->bitmap = bitmap;
    pa->base = base;
    pa->nframes = nframes;
    pa->nfree = 0;
    pa->hint = 0;
    pa->absent = NULL;
    pa->nabsent = 0;
    for (uint64_t w = 0; w < (nframes + 63) / 64; w++)
        bitmap[w] = ~0ULL;
}

/* Clip [pfn, pfn + n) to the tracked range; returns 0 when nothing is left. */
static int clip(const struct page_alloc *pa, uint64_t *pfn, uint64_t *n)
{
    uint64_t lo = *pfn, hi = *pfn + *n;
    if (hi < lo)
        hi = UINT64_MAX;
    if (lo < pa->base)
        lo = pa->base;
    if (hi > pa->base + pa->nframes)
        hi = pa->base + pa->nframes;
    if (lo >= hi)
        return 0;
    *pfn = lo;
    *n = hi - lo;
    return 1;
}

void page_alloc_mark_free(struct page_alloc *pa, uint64_t pfn, uint64_t n)
{
    if (!clip(pa, &pfn, &n))
        return;
    for (uint64_t i = pfn - pa->base; i < pfn - pa->base + n; i++) {
        if (bit_test(pa, i)) {
            bit_clear(pa, i);
            pa->nfree++;
        }
    }
    if ((pfn - pa->base) / 64 < pa->hint)
        pa->hint = (pfn - pa->base) / 64;
}

void page_alloc_mark_used(struct page_alloc *pa, uint64_t pfn, uint64_t n)
{
    if (!clip(pa, &pfn, &n))
        return;
    for (uint64_t i = pfn - pa->base; i < pfn - pa->base + n; i++) {
        if (!bit_test(pa, i)) {
            bit_set(pa, i);
            pa->nfree--;
        }
    }
}

static uint64_t alloc_one(struct page_alloc *pa)
{
    uint64_t words = (pa->nframes + 63) / 64;
    for (uint64_t w = pa->hint; w < words; w++) {
        if (pa->bitmap[w] == ~0ULL)
            continue;
        uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(~pa->bitmap[w]);
        if (i >= pa->nframes)
            break;
        pa->hint = w;
        return i;
    }
    return PFN_NONE;
}

static uint64_t alloc_run(struct page_alloc *pa, uint64_t n, uint64_t align)
{
    /* Frame numbers are aligned, not bitmap indices: start from an aligned pfn. */
    uint64_t start = pa->hint * 64 + pa->base;
    start = (start + align - 1) & ~(align - 1);
    while (start >= pa->base && start - pa->base + n <= pa->nframes) {
        uint64_t i = start - pa->base, k;
        for (k = 0; k < n; k++)
            if (bit_test(pa, i + k))
                break;
        if (k == n)
            return i;
        /* Skip past the used frame, to the next aligned start. */
        start = (start + k + 1 + align - 1) & ~(align - 1);
    }
    return PFN_NONE;
}

uint64_t page_alloc_alloc(struct page_alloc *pa, uint64_t n, uint64_t align)
{
    uint64_t i;

    if (n == 0 || n > pa->nfree || align == 0 || (align & (align - 1)))
        return PFN_NONE;
    if (n == 1 && align == 1)
        i = alloc_one(pa);
    else
        i = alloc_run(pa, n, align);
    if (i == PFN_NONE)
        return PFN_NONE;
    for (uint64_t k = 0; k < n; k++)
        bit_set(pa, i + k);
    pa->nfree -= n;
    return pa->base + i;
}

int page_alloc_free(struct page_alloc *pa, uint64_t pfn, uint64_t n)
{
    if (pfn < pa->base || n > pa->nframes || pfn - pa->base > pa->nframes - n)
        return -EINVAL;
    uint64_t i = pfn - pa->base;
    for (uint64_t k = 0; k < n; k++)
        if (!bit_test(pa, i + k) || (pa->absent && absent_test(pa, i + k)))
            return -EINVAL;
    for (uint64_t k = 0; k < n; k++)
        bit_clear(pa, i + k);
    pa->nfree += n;
    if (i / 64 < pa->hint)
        pa->hint = i / 64;
    return 0;
}

void page_alloc_set_absent_map(struct page_alloc *pa, uint64_t *absent)
{
    pa->absent = absent;
    pa->nabsent = 0;
    for (uint64_t w = 0; w < (pa->nframes + 63) / 64; w++)
        absent[w] = 0;
}

static void absent_set(struct page_alloc *pa, uint64_t i, int on)
{
    if (on)
        pa->absent[i / 64] |= 1ULL << (i % 64);
    else
        pa->absent[i / 64] &= ~(1ULL << (i % 64));
}

uint64_t page_alloc_take(struct page_alloc *pa, uint64_t *pfns, uint64_t n, uint64_t keep_free)
{
    uint64_t got = 0;
    if (!pa->absent)
        return 0;
    for (uint64_t w = (pa->nframes + 63) / 64; w-- > 0 && got < n && pa->nfree > keep_free;) {
        while (pa->bitmap[w] != ~0ULL && got < n && pa->nfree > keep_free) {
            uint64_t i = w * 64 + 63 - (uint64_t)__builtin_clzll(~pa->bitmap[w]);
            bit_set(pa, i);
            absent_set(pa, i, 1);
            pa->nfree--;
            pa->nabsent++;
            pfns[got++] = pa->base + i;
        }
    }
    return got;
}

uint64_t page_alloc_absent(const struct page_alloc *pa, uint64_t *pfns, uint64_t n)
{
    uint64_t got = 0;
    if (!pa->absent)
        return 0;
    for (uint64_t w = 0; w < (pa->nframes + 63) / 64 && got < n; w++) {
        uint64_t bits = pa->absent[w];
        while (bits && got < n) {
            uint64_t b = (uint64_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            pfns[got++] = pa->base + w * 64 + b;
        }
    }
    return got;
}

int page_alloc_give(struct page_alloc *pa, uint64_t pfn)
{
    if (!pa->absent || pfn < pa->base || pfn - pa->base >= pa->nframes)
        return -EINVAL;
    uint64_t i = pfn - pa->base;
    if (!absent_test(pa, i))
        return -EINVAL;
    absent_set(pa, i, 0);
    pa->nabsent--;
    bit_clear(pa, i);
    pa->nfree++;
    if (i / 64 < pa->hint)
        pa->hint = i / 64;
    return 0;
}
