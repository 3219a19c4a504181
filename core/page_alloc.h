/* Physical page-frame allocator: one bitmap over the frames of the memory map. */
#ifndef XENOLITH_PAGE_ALLOC_H
#define XENOLITH_PAGE_ALLOC_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096UL
#define PFN_NONE   UINT64_MAX

/*
 * Frames [base, base + nframes) are tracked, one bit each (1 = in use). Frames
 * start in use; the boot code frees the RAM it may hand out.
 */
struct page_alloc {
    uint64_t *bitmap;
    uint64_t base;
    uint64_t nframes;
    uint64_t nfree;
    uint64_t hint; /* first word that may hold a free bit */
};

/* Bytes of bitmap needed to track nframes frames. */
uint64_t page_alloc_bitmap_bytes(uint64_t nframes);

void page_alloc_init(struct page_alloc *pa, uint64_t *bitmap, uint64_t base, uint64_t nframes);

/* Mark [pfn, pfn + n) free / in use, clipped to the tracked range. For set-up. */
void page_alloc_mark_free(struct page_alloc *pa, uint64_t pfn, uint64_t n);
void page_alloc_mark_used(struct page_alloc *pa, uint64_t pfn, uint64_t n);

/*
 * Allocate n contiguous frames whose first frame number is a multiple of align
 * (a power of two, 1 for any). Returns the first frame or PFN_NONE when no such
 * run is free.
 */
uint64_t page_alloc_alloc(struct page_alloc *pa, uint64_t n, uint64_t align);

/*
 * Free n frames from pfn. Returns 0, or -EINVAL if any of them is already free or
 * outside the tracked range (a double free). Frames reserved at set-up look
 * allocated: freeing them is the caller's bug and is not detected.
 */
int page_alloc_free(struct page_alloc *pa, uint64_t pfn, uint64_t n);

#endif
