/* Physical memory map: collected from start_info, Xen or QEMU, then sanitized. */
#ifndef XENOLITH_MEMMAP_H
#define XENOLITH_MEMMAP_H

#include <stdint.h>

#define MEMMAP_MAX 128

/* e820 / hvm_memmap types. */
#define MEMMAP_RAM      1
#define MEMMAP_RESERVED 2
#define MEMMAP_ACPI     3
#define MEMMAP_NVS      4
#define MEMMAP_UNUSABLE 5

struct memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};

struct memmap {
    struct memmap_entry e[MEMMAP_MAX];
    unsigned int n;
};

/* Append an entry as given (no checks beyond capacity). Returns 0 or -ENOSPC. */
int memmap_add(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type);

/*
 * Make the map usable: sorted, no zero-length entries, no overlaps (where two
 * entries overlap the more restrictive type wins: anything beats RAM), adjacent
 * entries of one type merged, ranges that wrap past 2^64 clipped.
 * Returns 0, or -ENOSPC when the result needed more than MEMMAP_MAX entries and
 * the highest ones were dropped (never turning a reserved range into RAM).
 */
int memmap_sanitize(struct memmap *m);

/* Total bytes of RAM in a sanitized map. */
uint64_t memmap_ram_bytes(const struct memmap *m);

const char *memmap_type_name(uint32_t type);

/*
 * May a page that Xen or the toolstack shares with us (the console or xenstore ring,
 * named by an HVM param) be mapped at frame pfn? Not when the frame is RAM of the
 * sanitized map m (the frame allocator owns every RAM frame: mapping a foreign page
 * there would alias memory we hand out) nor inside the kernel image
 * [image_start, image_end). Returns 0, or -EINVAL.
 */
int memmap_foreign_frame_ok(const struct memmap *m, uint64_t pfn, uint64_t image_start,
                            uint64_t image_end);

#endif
