/*
 * Physical frames, stacks and the heap. The frame allocator (page_alloc.c) tracks
 * every frame from the lowest to the highest RAM address; its bitmap is carved
 * from the first RAM range that fits. The heap lives at its own virtual address
 * and is backed page by page, so malloc can use all free RAM however fragmented.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/spinlock.h"
#include "arch/x86/paging.h"
#include <xenolith/memory.h>
#include <stdlib.h>

#define HEAP_BASE 0x0000010000000000ULL /* 1 TiB: far from identity-mapped RAM */
#define HEAP_MAX  0x0000400000000000ULL

static struct page_alloc frames;
static spinlock_t frames_lock = SPINLOCK_INIT;
static uint64_t total_pages;
static uint64_t kernel_pages; /* image and frame bitmaps */
static uint64_t stack_pages;  /* mapped under stacks, cached ones included */

static void reserve(uint64_t addr, uint64_t size)
{
    uint64_t s = addr >> PAGE_SHIFT;
    uint64_t e = (addr + size + PAGE_SIZE - 1) >> PAGE_SHIFT;
    page_alloc_mark_used(&frames, s, e - s);
}

void mm_init(const struct memmap *m, const struct mm_reserved *reserved, int nreserved)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned int i = 0; i < m->n; i++) {
        if (m->e[i].type != MEMMAP_RAM)
            continue;
        lo = MIN(lo, m->e[i].addr >> PAGE_SHIFT);
        hi = MAX(hi, (m->e[i].addr + m->e[i].size) >> PAGE_SHIFT);
    }
    if (lo >= hi)
        panic("mm: the memory map has no RAM");

    /* Bitmap: first RAM range below 4 GiB (mapped by the early tables) above the image. */
    /* Two bitmaps: in use, and ballooned out (page_alloc_set_absent_map). */
    uint64_t map_bytes = ALIGN_UP(page_alloc_bitmap_bytes(hi - lo), 8);
    uint64_t need = ALIGN_UP(2 * map_bytes, PAGE_SIZE);
    uint64_t image_end = ALIGN_UP((uintptr_t)__image_end, PAGE_SIZE);
    uint64_t at = 0;
    for (unsigned int i = 0; i < m->n && !at; i++) {
        const struct memmap_entry *r = &m->e[i];
        uint64_t s = ALIGN_UP(MAX(r->addr, image_end), PAGE_SIZE);
        uint64_t e = ALIGN_DOWN(MIN(r->addr + r->size, 1ULL << 32), PAGE_SIZE);
        if (r->type != MEMMAP_RAM || e <= s || e - s < need)
            continue;
        /* Step over the reserved ranges boot told us about. */
        for (int k = 0; k < nreserved; k++) {
            uint64_t rs = reserved[k].addr, re = reserved[k].addr + reserved[k].size;
            if (rs < s + need && re > s)
                s = ALIGN_UP(re, PAGE_SIZE);
        }
        if (e > s && e - s >= need)
            at = s;
    }
    if (!at)
        panic("mm: no room for the frame bitmap (%lu bytes)", (unsigned long)need);

    page_alloc_init(&frames, (uint64_t *)(uintptr_t)at, lo, hi - lo);
    page_alloc_set_absent_map(&frames, (uint64_t *)(uintptr_t)(at + map_bytes));
    for (unsigned int i = 0; i < m->n; i++) {
        const struct memmap_entry *r = &m->e[i];
        if (r->type != MEMMAP_RAM)
            continue;
        uint64_t s = ALIGN_UP(r->addr, PAGE_SIZE) >> PAGE_SHIFT;
        uint64_t e = ALIGN_DOWN(r->addr + r->size, PAGE_SIZE) >> PAGE_SHIFT;
        if (e > s)
            page_alloc_mark_free(&frames, s, e - s);
    }
    total_pages = frames.nfree;
    reserve(0, PAGE_SIZE);
    reserve((uintptr_t)__image_start, image_end - (uintptr_t)__image_start);
    reserve(at, need);
    kernel_pages = (image_end - (uintptr_t)__image_start + need) >> PAGE_SHIFT;
    for (int k = 0; k < nreserved; k++)
        reserve(reserved[k].addr, reserved[k].size);
}

void *pages_alloc_aligned(size_t n, size_t align)
{
    uint64_t irq = spin_lock_irqsave(&frames_lock);
    uint64_t pfn = page_alloc_alloc(&frames, n, align);
    spin_unlock_irqrestore(&frames_lock, irq);
    return pfn == PFN_NONE ? NULL : (void *)(uintptr_t)(pfn << PAGE_SHIFT);
}

void *pages_alloc(size_t n)
{
    return pages_alloc_aligned(n, 1);
}

void pages_free(void *p, size_t n)
{
    uint64_t irq = spin_lock_irqsave(&frames_lock);
    int rc = page_alloc_free(&frames, (uintptr_t)p >> PAGE_SHIFT, n);
    spin_unlock_irqrestore(&frames_lock, irq);
    if (rc < 0)
        panic("pages_free(%p, %zu): not allocated", p, n);
}

uint64_t mm_free_pages(void)
{
    return frames.nfree;
}

uint64_t mm_total_pages(void)
{
    return total_pages;
}

uint64_t mm_absent_pages(void)
{
    return frames.nabsent;
}

void xenolith_memory_info(uint64_t *total, uint64_t *free)
{
    if (total)
        *total = (total_pages - frames.nabsent) * PAGE_SIZE;
    if (free)
        *free = frames.nfree * PAGE_SIZE;
}

uint64_t mm_balloon_take(uint64_t *pfns, uint64_t n, uint64_t keep_free)
{
    uint64_t irq = spin_lock_irqsave(&frames_lock);
    uint64_t got = page_alloc_take(&frames, pfns, n, keep_free);
    spin_unlock_irqrestore(&frames_lock, irq);
    return got;
}

uint64_t mm_balloon_absent(uint64_t *pfns, uint64_t n)
{
    uint64_t irq = spin_lock_irqsave(&frames_lock);
    uint64_t got = page_alloc_absent(&frames, pfns, n);
    spin_unlock_irqrestore(&frames_lock, irq);
    return got;
}

void mm_balloon_give(uint64_t pfn)
{
    uint64_t irq = spin_lock_irqsave(&frames_lock);
    int rc = page_alloc_give(&frames, pfn);
    spin_unlock_irqrestore(&frames_lock, irq);
    if (rc < 0)
        panic("mm_balloon_give(%#lx): frame was not ballooned out", (unsigned long)pfn);
}

/*
 * Stacks live in their own virtual range, each below its top mapped page by page
 * with the page under it never mapped: the guard costs no hole in the identity
 * map (whose 2 MiB pages stay whole) and no TLB shootdown. Freed stacks are kept
 * for the next thread of the same size; past that they are unmapped (one
 * shootdown) and their frames go back.
 */
#define STACK_BASE      0x0000500000000000ULL
#define STACK_LIMIT     0x0000600000000000ULL
#define STACK_CACHE_MAX 16

struct cached_stack {
    struct cached_stack *next; /* at the bottom of the free stack's pages */
    size_t bytes;
};

static struct cached_stack *stack_cache;
static unsigned int stack_cache_n;
static uintptr_t stack_next = STACK_BASE; /* virtual space not handed out yet */
static spinlock_t stack_lock = SPINLOCK_INIT;

static void *stack_cache_take(size_t bytes)
{
    uint64_t irq = spin_lock_irqsave(&stack_lock);
    struct cached_stack **pp = &stack_cache, *cs = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->bytes == bytes) {
            cs = *pp;
            *pp = cs->next;
            stack_cache_n--;
            break;
        }
    }
    spin_unlock_irqrestore(&stack_lock, irq);
    return cs ? (char *)cs + bytes : NULL;
}

static int stack_cache_put(void *top, size_t bytes)
{
    struct cached_stack *cs = (struct cached_stack *)((char *)top - bytes);
    uint64_t irq = spin_lock_irqsave(&stack_lock);
    int kept = stack_cache_n < STACK_CACHE_MAX;
    if (kept) {
        cs->bytes = bytes;
        cs->next = stack_cache;
        stack_cache = cs;
        stack_cache_n++;
    }
    spin_unlock_irqrestore(&stack_lock, irq);
    return kept;
}

/* Unmap [va, va + n pages) and give its frames back (after the shootdown). */
static void stack_release(uintptr_t va, size_t n)
{
    while (n) {
        uint64_t pa[64];
        size_t k = MIN(n, ARRAY_SIZE(pa));
        for (size_t i = 0; i < k; i++)
            pa[i] = vm_lookup(va + i * PAGE_SIZE) & PTE_ADDR;
        vm_unmap(va, k);
        for (size_t i = 0; i < k; i++) {
            if (pa[i]) {
                pages_free((void *)(uintptr_t)pa[i], 1);
                __atomic_sub_fetch(&stack_pages, 1, __ATOMIC_RELAXED);
            }
        }
        va += k * PAGE_SIZE;
        n -= k;
    }
}

void *stack_alloc(size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    void *top = stack_cache_take(bytes);
    if (top)
        return top;
    size_t n = bytes / PAGE_SIZE;
    uint64_t irq = spin_lock_irqsave(&stack_lock);
    uintptr_t guard = stack_next;
    int room = bytes + PAGE_SIZE <= STACK_LIMIT - guard;
    if (room)
        stack_next += bytes + PAGE_SIZE;
    spin_unlock_irqrestore(&stack_lock, irq);
    if (!room)
        return NULL;
    uintptr_t base = guard + PAGE_SIZE;
    for (size_t i = 0; i < n; i++) {
        void *frame = pages_alloc(1);
        if (!frame || vm_map(base + i * PAGE_SIZE, (uintptr_t)frame, 1, VM_RW) < 0) {
            if (frame)
                pages_free(frame, 1);
            stack_release(base, i);
            return NULL;
        }
        __atomic_add_fetch(&stack_pages, 1, __ATOMIC_RELAXED);
    }
    return (void *)(base + bytes);
}

void stack_free(void *top, size_t bytes)
{
    bytes = ALIGN_UP(bytes, PAGE_SIZE);
    if (!stack_cache_put(top, bytes))
        stack_release((uintptr_t)top - bytes, bytes / PAGE_SIZE);
}

static uintptr_t heap_end = HEAP_BASE;    /* what sbrk has handed out */
static uintptr_t heap_mapped = HEAP_BASE; /* what is backed by frames */
static spinlock_t heap_lock = SPINLOCK_INIT;

void mm_usage(struct mm_usage *u)
{
    u->kernel = kernel_pages;
    u->pagetables = vm_table_pages();
    u->stacks = __atomic_load_n(&stack_pages, __ATOMIC_RELAXED);
    u->heap = (__atomic_load_n(&heap_mapped, __ATOMIC_RELAXED) - HEAP_BASE) >> PAGE_SHIFT;
    u->free = frames.nfree;
}

void *heap_sbrk(intptr_t incr)
{
    uint64_t irq = spin_lock_irqsave(&heap_lock);
    uintptr_t old = heap_end, want = heap_end + (uintptr_t)incr;
    void *ret = (void *)-1;

    if (incr < 0 || want > HEAP_MAX)
        goto out; /* newlib never shrinks with a negative sbrk unless trimming */
    /* Refuse what free RAM cannot back, before eating the frames that are left. */
    if (want > heap_mapped && (want - heap_mapped + PAGE_SIZE - 1) / PAGE_SIZE > frames.nfree)
        goto out;
    while (heap_mapped < want) {
        void *frame = pages_alloc(1);
        if (!frame)
            goto out;
        if (vm_map(heap_mapped, (uintptr_t)frame, 1, VM_RW) < 0) {
            pages_free(frame, 1);
            goto out;
        }
        heap_mapped += PAGE_SIZE;
    }
    heap_end = want;
    ret = (void *)old;
out:
    spin_unlock_irqrestore(&heap_lock, irq);
    return ret;
}
