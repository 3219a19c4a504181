/* Guest-physical space for Xen's own pages: shared_info, grant frames. */
#ifndef XENOLITH_PHYSMAP_H
#define XENOLITH_PHYSMAP_H

#include <stddef.h>
#include <stdint.h>
#include "core/memmap.h"

/* Remember the sanitized map; holes are chosen from it. */
void physmap_init(const struct memmap *m);

/*
 * Reserve npages of guest-physical address space that no RAM, ACPI or device
 * range uses, for XENMEM_add_to_physmap. Returns the address, or 0 when none.
 */
uint64_t physmap_alloc_hole(size_t npages);

/*
 * Check a frame that an HVM param names for a shared page (console, xenstore) before
 * mapping it: refused with a console message naming `what` when it lies in RAM the
 * frame allocator owns or in the kernel image (memmap_foreign_frame_ok). 0 or -EINVAL.
 */
int physmap_check_foreign(uint64_t pfn, const char *what);

/* Put Xen's page `idx` of `space` (XENMAPSPACE_*) at gpfn. 0 or negative Xen errno. */
int physmap_add(unsigned int space, uint64_t idx, uint64_t gpfn);

#endif
