/*
 * Four-level page tables for an auto-translated (PVH) guest. RAM is identity
 * mapped with 2 MiB pages where permissions allow, 4 KiB pages around the image
 * so text, rodata and data get their own rights. Table pages come from the page
 * allocator. One lock for changes. A change that takes rights away (an unmap, a
 * present entry replaced) is shot down on every other VCPU before the call returns,
 * so a guard page or an unmapped page faults everywhere at once.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/spinlock.h"
#include "core/smp.h"
#include "arch/x86/x86.h"
#include "arch/x86/paging.h"

#define LARGE_SIZE (2UL << 20)

static uint64_t *pml4;
static uint64_t nx_mask; /* PTE_NX when EFER.NXE is on, else 0 */
static spinlock_t vm_lock = SPINLOCK_INIT;
static uint64_t table_pages; /* never freed: tables stay once made */

static uint64_t *table_of(uint64_t e)
{
    return (uint64_t *)(uintptr_t)(e & PTE_ADDR);
}

static unsigned int index_of(uintptr_t va, int level)
{
    return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t *table_alloc(void)
{
    uint64_t *t = pages_alloc(1);
    if (t) {
        __builtin_memset(t, 0, PAGE_SIZE);
        __atomic_add_fetch(&table_pages, 1, __ATOMIC_RELAXED);
    }
    return t;
}

/* Replace a 2 MiB leaf by a table of 512 4 KiB leaves with the same rights. */
static int split_large(uint64_t *e)
{
    uint64_t *t = table_alloc();
    if (!t)
        return -ENOMEM;
    uint64_t base = *e & PTE_ADDR & ~(LARGE_SIZE - 1);
    uint64_t flags = *e & ~PTE_ADDR & ~PTE_PS;
    for (int i = 0; i < 512; i++)
        t[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
    *e = (uintptr_t)t | PTE_P | PTE_W;
    return 0;
}

/* Entry for va at level target (1 = 4 KiB leaf, 2 = 2 MiB), creating tables. */
static uint64_t *walk_create(uintptr_t va, int target)
{
    uint64_t *t = pml4;
    for (int level = 4; level > target; level--) {
        uint64_t *e = &t[index_of(va, level)];
        if (!(*e & PTE_P)) {
            uint64_t *nt = table_alloc();
            if (!nt)
                return NULL;
            *e = (uintptr_t)nt | PTE_P | PTE_W;
        } else if (*e & PTE_PS) {
            if (split_large(e) < 0)
                return NULL;
        }
        t = table_of(*e);
    }
    return &t[index_of(va, target)];
}

uint64_t vm_table_pages(void)
{
    return __atomic_load_n(&table_pages, __ATOMIC_RELAXED);
}

uint64_t vm_lookup(uintptr_t va)
{
    uint64_t *t = pml4 ? pml4 : (uint64_t *)(uintptr_t)read_cr3();
    if ((va >> 47) != 0 && (va >> 47) != 0x1ffff)
        return 0; /* non-canonical */
    for (int level = 4; level >= 1; level--) {
        uint64_t e = t[index_of(va, level)];
        if (!(e & PTE_P))
            return 0;
        if (level == 1 || (e & PTE_PS))
            return e;
        t = table_of(e);
    }
    return 0;
}

struct flush_range {
    uintptr_t va;
    size_t npages;
};

/* Past this many pages a whole flush is cheaper than one invlpg each. */
#define FLUSH_ALL_PAGES 32

static void flush_local(void *arg)
{
    const struct flush_range *r = arg;
    if (r->npages > FLUSH_ALL_PAGES) {
        write_cr3(read_cr3());
        return;
    }
    for (size_t i = 0; i < r->npages; i++)
        invlpg(r->va + i * PAGE_SIZE);
}

/* Other VCPUs may cache the old entries: make them forget. No lock held. */
static void shoot_down(uintptr_t va, size_t npages)
{
    struct flush_range r = {va, npages};
    smp_call_others(flush_local, &r);
}

/* *changed: a present entry got another value (other VCPUs must flush). */
static int map_locked(uintptr_t va, uint64_t pa, size_t npages, uint64_t flags, int large_ok,
                      int *changed)
{
    flags = (flags & ~PTE_NX) | (flags & nx_mask);
    while (npages) {
        uint64_t *e;
        if (large_ok && !(va & (LARGE_SIZE - 1)) && !(pa & (LARGE_SIZE - 1)) &&
            npages >= LARGE_SIZE / PAGE_SIZE) {
            e = walk_create(va, 2);
            if (!e)
                return -ENOMEM;
            *e = pa | flags | PTE_P | PTE_PS;
            va += LARGE_SIZE;
            pa += LARGE_SIZE;
            npages -= LARGE_SIZE / PAGE_SIZE;
            continue;
        }
        e = walk_create(va, 1);
        if (!e)
            return -ENOMEM;
        uint64_t old = *e;
        *e = pa | flags | PTE_P;
        if ((old & PTE_P) && old != *e)
            *changed = 1;
        if (pml4 == (uint64_t *)(uintptr_t)read_cr3())
            invlpg(va);
        va += PAGE_SIZE;
        pa += PAGE_SIZE;
        npages--;
    }
    return 0;
}

int vm_map(uintptr_t va, uint64_t pa, size_t npages, uint64_t flags)
{
    int changed = 0;
    uint64_t irq = spin_lock_irqsave(&vm_lock);
    int rc = map_locked(va, pa, npages, flags, 0, &changed);
    spin_unlock_irqrestore(&vm_lock, irq);
    if (changed)
        shoot_down(va, npages);
    return rc;
}

void vm_unmap(uintptr_t va, size_t npages)
{
    int changed = 0;
    uint64_t irq = spin_lock_irqsave(&vm_lock);
    for (size_t i = 0; i < npages; i++) {
        uintptr_t p = va + i * PAGE_SIZE;
        if (!vm_lookup(p))
            continue;
        uint64_t *e = walk_create(p, 1);
        if (e) {
            *e = 0;
            invlpg(p);
            changed = 1;
        }
    }
    spin_unlock_irqrestore(&vm_lock, irq);
    if (changed)
        shoot_down(va, npages);
}

static void map_image_range(char *start, char *end, uint64_t flags)
{
    uintptr_t s = ALIGN_DOWN((uintptr_t)start, PAGE_SIZE);
    uintptr_t e = ALIGN_UP((uintptr_t)end, PAGE_SIZE);
    int changed = 0; /* before the switch to these tables: nothing cached yet */
    if (map_locked(s, s, (e - s) / PAGE_SIZE, flags, 0, &changed) < 0)
        panic("paging: out of memory mapping the image");
}

/* The early tables in .bss, right below the boot stack: left unmapped as its guard. */
extern char early_pml4[], boot_stack[];

void paging_init(const struct memmap *m)
{
    nx_mask = boot_nx_supported ? PTE_NX : 0;
    pml4 = table_alloc();
    if (!pml4)
        panic("paging: no memory for page tables");

    for (unsigned int i = 0; i < m->n; i++) {
        const struct memmap_entry *r = &m->e[i];
        if (r->type != MEMMAP_RAM)
            continue;
        uint64_t s = ALIGN_UP(r->addr, PAGE_SIZE), e = ALIGN_DOWN(r->addr + r->size, PAGE_SIZE);
        if (s < PAGE_SIZE)
            s = PAGE_SIZE; /* page 0 stays unmapped: NULL dereferences fault */
        int changed = 0;
        if (e > s && map_locked(s, s, (e - s) / PAGE_SIZE, VM_RW, 1, &changed) < 0)
            panic("paging: out of memory mapping RAM");
    }

    map_image_range(__text_start, __text_end, VM_RX);
    map_image_range(__rodata_start, __rodata_end, VM_RO);
    map_image_range(__data_start, __image_end, VM_RW);
    write_cr3((uintptr_t)pml4);
    vm_unmap((uintptr_t)early_pml4, (size_t)(boot_stack - early_pml4) / PAGE_SIZE);
}
