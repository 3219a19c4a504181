/* Kernel memory: frames, stacks with guard pages, and the heap behind malloc. */
#ifndef XENOLITH_MM_H
#define XENOLITH_MM_H

#include <stddef.h>
#include <stdint.h>
#include "core/memmap.h"
#include "core/page_alloc.h"

/* Ranges of RAM that boot found in use (image, start_info, ...). */
struct mm_reserved {
    uint64_t addr, size;
};

/* Track the RAM of the sanitized map, minus page 0, the image and `reserved`. */
void mm_init(const struct memmap *m, const struct mm_reserved *reserved, int nreserved);

/* n contiguous, identity-mapped pages (aligned to `align` pages), or NULL. */
void *pages_alloc(size_t n);
void *pages_alloc_aligned(size_t n, size_t align);
void pages_free(void *p, size_t n);

uint64_t mm_free_pages(void);

/* Where the frames are (in pages), for the boot report. */
struct mm_usage {
    uint64_t kernel, pagetables, stacks, heap, free;
};
void mm_usage(struct mm_usage *u);
/* RAM frames the memory map gave us at boot (ballooned-out ones included). */
uint64_t mm_total_pages(void);
/* Frames ballooned out to the hypervisor right now. */
uint64_t mm_absent_pages(void);

/*
 * Ballooning (drivers/xen/balloon.c): take up to n free frames out of the allocator,
 * highest first, leaving keep_free free (they stay mapped: the caller unmaps them);
 * list up to n ballooned-out frames; give one back (populated and mapped again).
 */
uint64_t mm_balloon_take(uint64_t *pfns, uint64_t n, uint64_t keep_free);
uint64_t mm_balloon_absent(uint64_t *pfns, uint64_t n);
void mm_balloon_give(uint64_t pfn);

/* A stack of `bytes` with an unmapped guard page below it; returns its top. */
void *stack_alloc(size_t bytes);

/* Free a stack from stack_alloc (kept for the next one of its size, or unmapped). */
void stack_free(void *top, size_t bytes);

/* Grow the heap (newlib's sbrk): virtual range backed on demand by free frames. */
void *heap_sbrk(intptr_t incr);

#endif
