/* What the PVH start_info (and Xen, and QEMU) tell us at boot, validated. */
#ifndef XENOLITH_START_INFO_H
#define XENOLITH_START_INFO_H

#include <stddef.h>
#include <stdint.h>
#include "core/memmap.h"
#include "core/mm.h"

#define BOOT_MAX_RESERVED 8
#define CMDLINE_MAX       4096

/* What start_info_read found wrong (bits of boot_info.warn), for the boot messages. */
#define BOOT_WARN_CMDLINE_UNREACHABLE  (1u << 0) /* cmdline_paddr cannot be read: ignored */
#define BOOT_WARN_CMDLINE_TRUNCATED    (1u << 1) /* longer than CMDLINE_MAX - 1 bytes */
#define BOOT_WARN_CMDLINE_UNTERMINATED (1u << 2) /* no NUL before the end of readable memory */
#define BOOT_WARN_MEMMAP_UNREACHABLE   (1u << 3) /* memmap_paddr/entries cannot be read */
#define BOOT_WARN_MEMMAP_TRUNCATED     (1u << 4) /* more than MEMMAP_MAX entries */
#define BOOT_WARN_MODLIST_BAD          (1u << 5) /* module list unreadable or absurd */
#define BOOT_WARN_MODULE_BAD           (1u << 6) /* module 0 runs past readable memory */

struct boot_info {
    uint32_t version;
    unsigned int warn;    /* BOOT_WARN_* */
    struct memmap memmap; /* as given by start_info_read; sanitized by start_info_parse */
    const char *memmap_source;
    char cmdline[CMDLINE_MAX];
    uint64_t rsdp_paddr;
    struct mm_reserved reserved[BOOT_MAX_RESERVED]; /* where start_info and friends live */
    int nreserved;
    /* What start_info said, for messages. */
    uint64_t cmdline_paddr, memmap_paddr;
    uint32_t memmap_entries;
    uint32_t nr_modules;
    /* Module 0 (xl ramdisk=, QEMU -initrd): the files of core/fs.c; size 0 when none. */
    uint64_t module_paddr, module_size;
};

/* Module 0 once start_info_parse has checked it lies in RAM (size 0: none). */
extern uint64_t boot_module_paddr, boot_module_size;

/*
 * Copy len bytes of guest-physical memory at paddr into dst. Returns 0, or a negative
 * errno when any of them cannot be read (dst is then not used).
 */
typedef int (*boot_read_fn)(void *ctx, uint64_t paddr, void *dst, size_t len);

/*
 * Pure part (boot/start_info_read.c): read the hvm_start_info at paddr through `read`,
 * check its magic, copy the command line (NUL-terminated, cut at CMDLINE_MAX - 1 bytes
 * or where memory stops being readable), take the v1 memory map as given (not
 * sanitized; memmap_source NULL when there is none), take module 0 when all of it can
 * be read, and record where start_info, the module list, module 0 and the map live. Problems that
 * still allow booting are BOOT_WARN_* bits. Returns 0, or -EINVAL when start_info cannot be read or
 * its magic is wrong.
 */
int start_info_read(boot_read_fn read, void *ctx, uint64_t paddr, struct boot_info *bi);

/*
 * Boot glue (boot/start_info.c): start_info_read over the early map (the low 4 GiB),
 * the XENMEM_memory_map fallback, the messages, and the sanitized map. Returns 0, or
 * -EINVAL with a message printed when it cannot be trusted (bad magic, no memory map).
 */
int start_info_parse(uint32_t paddr, struct boot_info *bi);

#endif
