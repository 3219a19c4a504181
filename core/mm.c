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

#define HEAP_BASE 0x0000010000000000ULL /* 1 TiB: far from identity-mapped RAM */
#define HEAP_MAX  0x0000400000000000ULL

static struct page_alloc frames;
static spinlock_t frames_lock = SPINLOCK_INIT;
static uint64_t total_pages;

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
    uint64_t need = ALIGN_UP(page_alloc_bitmap_bytes(hi - lo), PAGE_SIZE);
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

void *stack_alloc(size_t bytes)
{
    size_t n = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE + 1;
    char *base = pages_alloc(n);
    if (!base)
        return NULL;
    vm_unmap((uintptr_t)base, 1);
    return base + n * PAGE_SIZE;
}

void stack_free(void *top, size_t bytes)
{
    size_t n = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE + 1;
    char *base = (char *)top - n * PAGE_SIZE;
    /* The guard page goes back to the allocator: it must be mapped again first. */
    if (vm_map((uintptr_t)base, (uintptr_t)base, 1, VM_RW) < 0)
        panic("stack_free: cannot remap the guard page at %p", base);
    pages_free(base, n);
}

static uintptr_t heap_end = HEAP_BASE;    /* what sbrk has handed out */
static uintptr_t heap_mapped = HEAP_BASE; /* what is backed by frames */
static spinlock_t heap_lock = SPINLOCK_INIT;

void *heap_sbrk(intptr_t incr)
{
    uint64_t irq = spin_lock_irqsave(&heap_lock);
    uintptr_t old = heap_end, want = heap_end + (uintptr_t)incr;
    void *ret = (void *)-1;

    if (incr < 0 || want > HEAP_MAX)
        goto out; /* newlib never shrinks with a negative sbrk unless trimming */
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
