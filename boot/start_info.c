/*
 * PVH start_info at boot: boot/start_info_read.c parses it through a reader of the
 * early tables, which map the low 4 GiB (a pointer above that, or a range running
 * past it, cannot be read). Here: that reader, the messages for what the parser found
 * wrong, the XENMEM_memory_map fallback (start_info v0 has no memory map), and the
 * sanitizing of the map, whichever source it came from.
 */
#include "core/kernel.h"
#include "boot/start_info.h"
#include "arch/x86/hypercall.h"
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/memory.h>

#define EARLY_MAPPED (1ULL << 32)

uint64_t boot_module_paddr, boot_module_size;

/* XENMEM_memory_map fills BIOS INT 15h/E820 records: packed, 20 bytes. */
struct e820_record {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

static int early_read(void *ctx, uint64_t paddr, void *dst, size_t len)
{
    if (paddr == 0 || paddr >= EARLY_MAPPED || len > EARLY_MAPPED - paddr)
        return -EFAULT;
    __builtin_memcpy(dst, (const void *)(uintptr_t)paddr, len);
    return 0;
}

static void report(const struct boot_info *bi)
{
    unsigned long cl = (unsigned long)bi->cmdline_paddr;
    if (bi->warn & BOOT_WARN_CMDLINE_UNREACHABLE)
        printk("boot: command line at %#lx is out of reach; ignored\n", cl);
    if (bi->warn & BOOT_WARN_CMDLINE_TRUNCATED)
        printk("boot: command line longer than %d bytes; truncated\n", CMDLINE_MAX - 1);
    if (bi->warn & BOOT_WARN_CMDLINE_UNTERMINATED)
        printk("boot: command line at %#lx runs to the end of memory without a NUL; cut there\n",
               cl);
    if (bi->warn & BOOT_WARN_MEMMAP_UNREACHABLE)
        printk("boot: start_info memory map at %#lx (%u entries) is out of reach\n",
               (unsigned long)bi->memmap_paddr, bi->memmap_entries);
    if (bi->warn & BOOT_WARN_MEMMAP_TRUNCATED)
        printk("boot: start_info memory map has %u entries; using the first %d\n",
               bi->memmap_entries, MEMMAP_MAX);
    if (bi->warn & BOOT_WARN_MODLIST_BAD)
        printk("boot: start_info module list is unreadable or absurd; ignored\n");
    if (bi->warn & BOOT_WARN_MODULE_BAD)
        printk("boot: start_info module 0 runs past readable memory; ignored\n");
    if (bi->nr_modules > 1)
        printk("boot: %u modules; only the first (the initrd) is used\n", bi->nr_modules);
}

/* Module 0 is read through the final page tables, which map RAM only: all of it in RAM. */
static void take_module(const struct boot_info *bi)
{
    uint64_t s = bi->module_paddr, e = s + bi->module_size;

    if (!bi->module_size)
        return;
    for (unsigned int i = 0; i < bi->memmap.n; i++) {
        const struct memmap_entry *r = &bi->memmap.e[i];
        if (r->type == MEMMAP_RAM && r->addr <= s && e <= r->addr + r->size) {
            boot_module_paddr = s;
            boot_module_size = bi->module_size;
            printk("boot: initrd: %lu bytes at %#lx\n", (unsigned long)bi->module_size,
                   (unsigned long)s);
            return;
        }
    }
    printk("boot: start_info module 0 (%#lx-%#lx) is not in RAM; ignored\n", (unsigned long)s,
           (unsigned long)(e - 1));
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
    if (start_info_read(early_read, NULL, paddr, bi) < 0) {
        printk("boot: no usable start_info at %#x (unreadable, or magic is not %#x)\n", paddr,
               XEN_HVM_START_MAGIC_VALUE);
        return -EINVAL;
    }
    report(bi);
    if (!bi->memmap_source && memmap_from_xen(bi) < 0) {
        printk("boot: no memory map: start_info v%u has none and Xen gave none\n", bi->version);
        return -EINVAL;
    }
    if (memmap_sanitize(&bi->memmap) < 0)
        printk(
            "boot: memory map too fragmented; ranges above %#lx ignored\n",
            (unsigned long)(bi->memmap.e[MEMMAP_MAX - 1].addr + bi->memmap.e[MEMMAP_MAX - 1].size));
    take_module(bi);
    return 0;
}
