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
    /* Frames given back to the hypervisor (ballooned out): 1 bit each, or NULL. */
    uint64_t *absent;
    uint64_t nabsent;
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

/*
 * Ballooning. The absent map (page_alloc_bitmap_bytes(nframes) bytes) marks frames
 * that are not ours for now: they look allocated, so nothing hands them out.
 */
void page_alloc_set_absent_map(struct page_alloc *pa, uint64_t *absent);

/*
 * Take up to n free frames out, highest first (low memory stays for the kernel),
 * leaving at least keep_free frames free; their numbers go to pfns and they are
 * marked absent. Returns how many were taken.
 */
uint64_t page_alloc_take(struct page_alloc *pa, uint64_t *pfns, uint64_t n, uint64_t keep_free);

/* Up to n absent frames, lowest first, into pfns (still absent). Returns how many. */
uint64_t page_alloc_absent(const struct page_alloc *pa, uint64_t *pfns, uint64_t n);

/* An absent frame is ours again: it becomes free. 0, or -EINVAL if it was not absent. */
int page_alloc_give(struct page_alloc *pa, uint64_t pfn);

#endif
