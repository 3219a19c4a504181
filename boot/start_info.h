/* What the PVH start_info (and Xen, and QEMU) tell us at boot, validated. */
#ifndef XENOLITH_START_INFO_H
#define XENOLITH_START_INFO_H

#include <stdint.h>
#include "core/memmap.h"
#include "core/mm.h"

#define BOOT_MAX_RESERVED 8
#define CMDLINE_MAX       4096

struct boot_info {
    uint32_t version;
    struct memmap memmap; /* sanitized */
    const char *memmap_source;
    char cmdline[CMDLINE_MAX];
    uint64_t rsdp_paddr;
    struct mm_reserved reserved[BOOT_MAX_RESERVED]; /* where start_info and friends live */
    int nreserved;
};

/*
 * Read and check the hvm_start_info at paddr. Returns 0, or -EINVAL with a
 * message printed when it cannot be trusted (bad magic, no memory map at all).
 */
int start_info_parse(uint32_t paddr, struct boot_info *bi);

#endif
