/*
 * Holes in guest-physical space. PVH guests place shared_info and grant frames
 * wherever they like; we take addresses above the last RAM range, away from the
 * map's reserved ranges and the APIC window, so no RAM page is given up.
 */
#include "core/kernel.h"
#include "core/page_alloc.h"
#include "core/spinlock.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/physmap.h"
#include <xen/memory.h>

#define APIC_WINDOW_START 0xfec00000ULL
#define APIC_WINDOW_END   0x100000000ULL
#define HOLE_LIMIT        (1ULL << 39) /* stay well inside any guest's physical width */

static const struct memmap *map;
static uint64_t next_free;
static spinlock_t hole_lock = SPINLOCK_INIT;

void physmap_init(const struct memmap *m)
{
    map = m;
    for (unsigned int i = 0; i < m->n; i++)
        if (m->e[i].type == MEMMAP_RAM)
            next_free = MAX(next_free, m->e[i].addr + m->e[i].size);
    next_free = ALIGN_UP(next_free, 2UL << 20);
}

static int range_free(uint64_t s, uint64_t e)
{
    if (s < APIC_WINDOW_END && e > APIC_WINDOW_START)
        return 0;
    for (unsigned int i = 0; i < map->n; i++)
        if (s < map->e[i].addr + map->e[i].size && e > map->e[i].addr)
            return 0;
    return 1;
}

uint64_t physmap_alloc_hole(size_t npages)
{
    uint64_t len = npages * PAGE_SIZE, found = 0;
    uint64_t flags = spin_lock_irqsave(&hole_lock);
    for (uint64_t s = next_free; s + len <= HOLE_LIMIT; s += PAGE_SIZE) {
        if (range_free(s, s + len)) {
            found = s;
            next_free = s + len;
            break;
        }
        /* Jump past whatever overlaps instead of creeping page by page. */
        for (unsigned int i = 0; i < map->n; i++)
            if (s < map->e[i].addr + map->e[i].size && s + len > map->e[i].addr)
                s = ALIGN_UP(map->e[i].addr + map->e[i].size, PAGE_SIZE) - PAGE_SIZE;
        if (s < APIC_WINDOW_END && s + len > APIC_WINDOW_START)
            s = APIC_WINDOW_END - PAGE_SIZE;
    }
    spin_unlock_irqrestore(&hole_lock, flags);
    return found;
}

int physmap_check_foreign(uint64_t pfn, const char *what)
{
    static struct memmap none; /* in .bss: a memmap is kilobytes of zeroes */
    int rc = memmap_foreign_frame_ok(map ? map : &none, pfn, (uintptr_t)__image_start,
                                     (uintptr_t)__image_end);
    if (rc < 0)
        printk("%s: the toolstack's page at pfn %#lx lies in our RAM or kernel image; refused, "
               "going on without %s\n",
               what, (unsigned long)pfn, what);
    return rc;
}

int physmap_add(unsigned int space, uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap xatp = {
        .domid = DOMID_SELF,
        .space = space,
        .idx = idx,
        .gpfn = gpfn,
    };
    return (int)hypercall_memory_op(XENMEM_add_to_physmap, &xatp);
}
