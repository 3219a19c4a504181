/* Page tables: identity-mapped RAM with W^X, plus explicit mappings. */
#ifndef XENOLITH_PAGING_H
#define XENOLITH_PAGING_H

#include <stddef.h>
#include <stdint.h>
#include "core/memmap.h"

#define PTE_P    (1ULL << 0)
#define PTE_W    (1ULL << 1)
#define PTE_PWT  (1ULL << 3)
#define PTE_PCD  (1ULL << 4)
#define PTE_PS   (1ULL << 7)
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Common leaf permissions. */
#define VM_RW   (PTE_W | PTE_NX)
#define VM_RO   (PTE_NX)
#define VM_RX   0ULL
#define VM_MMIO (PTE_W | PTE_NX | PTE_PCD | PTE_PWT)

/*
 * Build the final tables from the sanitized map and switch to them: all RAM,
 * text R+X, rodata R, data/bss R+W+NX, page 0 and the early tables unmapped (the
 * latter are the guard page under the boot stack).
 */
void paging_init(const struct memmap *m);

/* Map npages 4 KiB pages va -> pa with flags (VM_*). 0 or -ENOMEM. */
int vm_map(uintptr_t va, uint64_t pa, size_t npages, uint64_t flags);

/* Remove mappings (splitting large pages as needed). */
void vm_unmap(uintptr_t va, size_t npages);

/* Leaf entry for va (0 when unmapped). Never faults. */
uint64_t vm_lookup(uintptr_t va);
/* Pages holding page tables. */
uint64_t vm_table_pages(void);

#endif
