/*
 * PVH start_info: magic, version (v0 has no memory map, v1 does), command line and
 * memory map, all treated as untrusted. The map comes from start_info, else from
 * XENMEM_memory_map, and is sanitized either way. Everything here runs on the
 * early tables, which map the low 4 GiB: pointers above that are rejected.
 */
#include "core/kernel.h"
#include "boot/start_info.h"
#include "arch/x86/hypercall.h"
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/memory.h>

#define EARLY_MAPPED (1ULL << 32)

/* XENMEM_memory_map fills BIOS INT 15h/E820 records: packed, 20 bytes. */
struct e820_record {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

static int in_early_map(uint64_t paddr, uint64_t len)
{
    return paddr != 0 && paddr < EARLY_MAPPED && len <= EARLY_MAPPED - paddr;
}

static void add_reserved(struct boot_info *bi, uint64_t addr, uint64_t size)
{
    if (bi->nreserved < BOOT_MAX_RESERVED) {
        bi->reserved[bi->nreserved].addr = addr;
        bi->reserved[bi->nreserved].size = size;
        bi->nreserved++;
    }
}

static void copy_cmdline(struct boot_info *bi, uint64_t paddr)
{
    bi->cmdline[0] = '\0';
    if (!paddr)
        return;
    if (!in_early_map(paddr, 1)) {
        printk("boot: command line at %#lx is out of reach; ignored\n", (unsigned long)paddr);
        return;
    }
    const char *s = (const char *)(uintptr_t)paddr;
    size_t n = 0;
    while (n < CMDLINE_MAX - 1 && in_early_map(paddr + n, 1) && s[n])
        n++;
    if (s[n] != '\0')
        printk("boot: command line longer than %d bytes; truncated\n", CMDLINE_MAX - 1);
    __builtin_memcpy(bi->cmdline, s, n);
    bi->cmdline[n] = '\0';
}

static int memmap_from_start_info(struct boot_info *bi, const struct hvm_start_info *si)
{
    uint32_t n = si->memmap_entries;
    uint64_t bytes = (uint64_t)n * sizeof(struct hvm_memmap_table_entry);

    if (si->version < 1 || n == 0)
        return -ENOENT;
    if (!in_early_map(si->memmap_paddr, bytes)) {
        printk("boot: start_info memory map at %#lx (%u entries) is out of reach\n",
               (unsigned long)si->memmap_paddr, n);
        return -EINVAL;
    }
    if (n > MEMMAP_MAX) {
        printk("boot: start_info memory map has %u entries; using the first %d\n", n, MEMMAP_MAX);
        n = MEMMAP_MAX;
    }
    const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
    for (uint32_t i = 0; i < n; i++)
        memmap_add(&bi->memmap, e[i].addr, e[i].size, e[i].type);
    add_reserved(bi, si->memmap_paddr, bytes);
    bi->memmap_source = "start_info";
    return 0;
}

static int memmap_from_xen(struct boot_info *bi)
{
    static struct e820_record map[MEMMAP_MAX];
    struct xen_memory_map mm = {.nr_entries = MEMMAP_MAX};

    if (!xen.present)
        return -ENODEV;
    set_xen_guest_handle(mm.buffer, map);
    long rc = hypercall_memory_op(XENMEM_memory_map, &mm);
    if (rc < 0) {
        printk("boot: XENMEM_memory_map failed (%ld)\n", rc);
        return (int)rc;
    }
    for (uint32_t i = 0; i < mm.nr_entries && i < MEMMAP_MAX; i++)
        memmap_add(&bi->memmap, map[i].addr, map[i].size, map[i].type);
    bi->memmap_source = "XENMEM_memory_map";
    return 0;
}

int start_info_parse(uint32_t paddr, struct boot_info *bi)
{
    struct hvm_start_info si;

    bi->nreserved = 0;
    bi->memmap.n = 0;
    if (!in_early_map(paddr, sizeof(si))) {
        printk("boot: no start_info (%%ebx = %#x)\n", paddr);
        return -EINVAL;
    }
    /* v0 is shorter than v1: read the v0 part, then the rest only for v1+. */
    __builtin_memcpy(&si, (const void *)(uintptr_t)paddr, sizeof(si));
    if (si.magic != XEN_HVM_START_MAGIC_VALUE) {
        printk("boot: start_info magic %#x, expected %#x\n", si.magic, XEN_HVM_START_MAGIC_VALUE);
        return -EINVAL;
    }
    bi->version = si.version;
    if (si.version == 0) {
        si.memmap_paddr = 0;
        si.memmap_entries = 0;
    }
    add_reserved(bi, paddr, sizeof(si));
    bi->rsdp_paddr = si.rsdp_paddr;

    copy_cmdline(bi, si.cmdline_paddr);

    if (si.nr_modules)
        add_reserved(bi, si.modlist_paddr,
                     (uint64_t)si.nr_modules * sizeof(struct hvm_modlist_entry));

    if (memmap_from_start_info(bi, &si) < 0 && memmap_from_xen(bi) < 0) {
        printk("boot: no memory map: start_info v%u has none and Xen gave none\n", si.version);
        return -EINVAL;
    }
    if (memmap_sanitize(&bi->memmap) < 0)
        printk(
            "boot: memory map too fragmented; ranges above %#lx ignored\n",
            (unsigned long)(bi->memmap.e[MEMMAP_MAX - 1].addr + bi->memmap.e[MEMMAP_MAX - 1].size));
    return 0;
}
