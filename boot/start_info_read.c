/*
 * The PVH start_info, parsed without touching memory directly: every byte comes
 * through a read callback that says what may be read (the early map at boot, a byte
 * image on the host: tests/unit/test_start_info.c, tests/fuzz/fuzz_start_info.c).
 * Everything in it is the toolstack's word: pointers, counts and lengths are checked,
 * and what is wrong is recorded in bi->warn for boot/start_info.c to report.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "boot/start_info.h"
#include <xen/arch-x86/hvm/start_info.h>

/* The fields of version 0; version 1 adds the memory map. */
#define SI_V0_SIZE offsetof(struct hvm_start_info, memmap_paddr)

/* No one boots with more modules than this; a bigger count is garbage. */
#define MODULES_MAX 1024

static void add_reserved(struct boot_info *bi, uint64_t addr, uint64_t size)
{
    if (bi->nreserved < BOOT_MAX_RESERVED) {
        bi->reserved[bi->nreserved].addr = addr;
        bi->reserved[bi->nreserved].size = size;
        bi->nreserved++;
    }
}

/*
 * Byte by byte up to a NUL, CMDLINE_MAX - 1 bytes, or the first byte that cannot be
 * read (a line running into the end of the map: cut there, never read past).
 */
static void read_cmdline(boot_read_fn read, void *ctx, struct boot_info *bi, uint64_t paddr)
{
    size_t n = 0;
    char c = 1;

    bi->cmdline[0] = '\0';
    bi->cmdline_paddr = paddr;
    if (!paddr)
        return;
    if (read(ctx, paddr, &c, 1) < 0) {
        bi->warn |= BOOT_WARN_CMDLINE_UNREACHABLE;
        return;
    }
    while (c != '\0') {
        if (n == CMDLINE_MAX - 1) {
            bi->warn |= BOOT_WARN_CMDLINE_TRUNCATED;
            break;
        }
        bi->cmdline[n++] = c;
        if (paddr + n < paddr || read(ctx, paddr + n, &c, 1) < 0) {
            bi->warn |= BOOT_WARN_CMDLINE_UNTERMINATED;
            break;
        }
    }
    bi->cmdline[n] = '\0';
}

static void read_memmap(boot_read_fn read, void *ctx, struct boot_info *bi,
                        const struct hvm_start_info *si)
{
    uint32_t n = si->memmap_entries;

    bi->memmap_paddr = si->memmap_paddr;
    bi->memmap_entries = n;
    if (si->version < 1 || n == 0)
        return;
    if (n > MEMMAP_MAX) {
        bi->warn |= BOOT_WARN_MEMMAP_TRUNCATED;
        n = MEMMAP_MAX;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct hvm_memmap_table_entry e;
        uint64_t at = si->memmap_paddr + (uint64_t)i * sizeof(e);
        if (at < si->memmap_paddr || read(ctx, at, &e, sizeof(e)) < 0) {
            bi->warn |= BOOT_WARN_MEMMAP_UNREACHABLE;
            bi->memmap.n = 0;
            return;
        }
        memmap_add(&bi->memmap, e.addr, e.size, e.type);
    }
    /* Only what was read: a count of billions must not reserve gigabytes of RAM. */
    add_reserved(bi, si->memmap_paddr, (uint64_t)n * sizeof(struct hvm_memmap_table_entry));
    bi->memmap_source = "start_info";
}

/*
 * The module list is kept from the allocator if it can be read at all; of the modules
 * only the first is used (the initrd: core/fs.c), when each of its bytes can be read.
 */
static void read_modules(boot_read_fn read, void *ctx, struct boot_info *bi,
                         const struct hvm_start_info *si)
{
    uint64_t bytes = (uint64_t)si->nr_modules * sizeof(struct hvm_modlist_entry);
    struct hvm_modlist_entry m;
    uint8_t first, last;

    bi->nr_modules = si->nr_modules;
    if (!si->nr_modules)
        return;
    if (si->nr_modules > MODULES_MAX || si->modlist_paddr + bytes < si->modlist_paddr ||
        read(ctx, si->modlist_paddr, &first, 1) < 0 ||
        read(ctx, si->modlist_paddr + bytes - 1, &last, 1) < 0) {
        bi->warn |= BOOT_WARN_MODLIST_BAD;
        return;
    }
    add_reserved(bi, si->modlist_paddr, bytes);
    if (read(ctx, si->modlist_paddr, &m, sizeof(m)) < 0 || m.paddr == 0 || m.size == 0)
        return;
    if (m.paddr + m.size < m.paddr || read(ctx, m.paddr, &first, 1) < 0 ||
        read(ctx, m.paddr + m.size - 1, &last, 1) < 0) {
        bi->warn |= BOOT_WARN_MODULE_BAD;
        return;
    }
    bi->module_paddr = m.paddr;
    bi->module_size = m.size;
    add_reserved(bi, m.paddr, m.size);
}

int start_info_read(boot_read_fn read, void *ctx, uint64_t paddr, struct boot_info *bi)
{
    struct hvm_start_info si;

    memset(&si, 0, sizeof(si));
    bi->version = 0;
    bi->warn = 0;
    bi->nreserved = 0;
    bi->memmap.n = 0;
    bi->memmap_source = NULL;
    bi->rsdp_paddr = 0;
    bi->cmdline[0] = '\0';
    bi->cmdline_paddr = bi->memmap_paddr = 0;
    bi->memmap_entries = 0;
    bi->nr_modules = 0;
    bi->module_paddr = bi->module_size = 0;
    if (read(ctx, paddr, &si, SI_V0_SIZE) < 0)
        return -EINVAL;
    if (si.magic != XEN_HVM_START_MAGIC_VALUE)
        return -EINVAL;
    /* A v1 structure cut short by the end of readable memory is taken as v0. */
    size_t size = SI_V0_SIZE;
    if (si.version >= 1 && read(ctx, paddr, &si, sizeof(si)) == 0)
        size = sizeof(si);
    if (size == SI_V0_SIZE) {
        si.memmap_paddr = 0;
        si.memmap_entries = 0;
    }
    bi->version = si.version;
    add_reserved(bi, paddr, size);
    bi->rsdp_paddr = si.rsdp_paddr;
    read_cmdline(read, ctx, bi, si.cmdline_paddr);
    read_modules(read, ctx, bi, &si);
    read_memmap(read, ctx, bi, &si);
    return 0;
}
