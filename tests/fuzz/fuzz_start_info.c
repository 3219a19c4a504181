// libFuzzer target for boot/start_info_read.c: the PVH start_info and everything it points
// at (command line, memory map, module list) as a hostile toolstack may lay it out. The
// input's first byte picks where its other bytes sit in guest-physical memory: at 1 MiB,
// or ending exactly at the 4 GiB edge of the early map; nothing else can be read. The
// command line must be the bytes in memory, cut only where a BOOT_WARN_* bit says so;
// the map the entries as given; every range kept from the allocator readable memory.
// FUZZ-SOURCES: boot/start_info_read.c core/memmap.c
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "boot/start_info.h"
#include <xen/arch-x86/hvm/start_info.h>

#define EDGE (1ULL << 32)

struct mem {
    uint64_t base;
    const uint8_t *p;
    size_t n;
};

static int readable(const struct mem *m, uint64_t pa, size_t len)
{
    return pa != 0 && pa < EDGE && len <= EDGE - pa && pa >= m->base && pa - m->base <= m->n &&
           len <= m->n - (pa - m->base);
}

static int mem_read(void *ctx, uint64_t pa, void *dst, size_t len)
{
    const struct mem *m = ctx;
    if (!readable(m, pa, len))
        return -EFAULT;
    memcpy(dst, m->p + (pa - m->base), len);
    return 0;
}

static const uint8_t *bytes_at(const struct mem *m, uint64_t pa)
{
    return m->p + (pa - m->base);
}

static struct boot_info bi;

static void check_cmdline(const struct mem *m)
{
    size_t len = strlen(bi.cmdline);
    uint64_t pa = bi.cmdline_paddr;
    CHECK(len < CMDLINE_MAX);
    if (!pa) {
        CHECK(len == 0 && !(bi.warn & 7u));
        return;
    }
    if (!readable(m, pa, 1)) {
        CHECK(len == 0 && (bi.warn & BOOT_WARN_CMDLINE_UNREACHABLE));
        return;
    }
    CHECK(readable(m, pa, len) && memcmp(bytes_at(m, pa), bi.cmdline, len) == 0);
    if (bi.warn & BOOT_WARN_CMDLINE_TRUNCATED)
        CHECK(len == CMDLINE_MAX - 1);
    else if (bi.warn & BOOT_WARN_CMDLINE_UNTERMINATED)
        CHECK(!readable(m, pa + len, 1));
    else
        CHECK(readable(m, pa + len, 1) && bytes_at(m, pa + len)[0] == '\0');
}

static void check_memmap(const struct mem *m, const struct hvm_start_info *si, size_t si_size)
{
    if (!bi.memmap_source) {
        CHECK(bi.memmap.n == 0);
        return;
    }
    CHECK(si_size == sizeof(*si) && si->version >= 1 && si->memmap_entries > 0);
    uint32_t n = si->memmap_entries < MEMMAP_MAX ? si->memmap_entries : MEMMAP_MAX;
    CHECK(bi.memmap.n == n);
    CHECK(!!(bi.warn & BOOT_WARN_MEMMAP_TRUNCATED) == (si->memmap_entries > MEMMAP_MAX));
    for (uint32_t i = 0; i < n; i++) {
        struct hvm_memmap_table_entry e;
        memcpy(&e, bytes_at(m, si->memmap_paddr + i * sizeof(e)), sizeof(e));
        CHECK(bi.memmap.e[i].addr == e.addr && bi.memmap.e[i].size == e.size &&
              bi.memmap.e[i].type == e.type);
    }
    if (memmap_sanitize(&bi.memmap) == 0)
        for (unsigned int i = 1; i < bi.memmap.n; i++)
            CHECK(bi.memmap.e[i - 1].addr + bi.memmap.e[i - 1].size <= bi.memmap.e[i].addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct mem m = {0, data + 1, size - 1};
    m.base = data[0] & 1 ? EDGE - m.n : 0x100000;
    const size_t v0 = offsetof(struct hvm_start_info, memmap_paddr);

    int rc = start_info_read(mem_read, &m, m.base, &bi);
    struct hvm_start_info si;
    memset(&si, 0, sizeof(si));
    if (!readable(&m, m.base, v0)) {
        CHECK(rc == -EINVAL);
        return 0;
    }
    memcpy(&si, m.p, m.n < sizeof(si) ? m.n : sizeof(si));
    CHECK(rc == (si.magic == XEN_HVM_START_MAGIC_VALUE ? 0 : -EINVAL));
    if (rc < 0)
        return 0;
    size_t si_size = si.version >= 1 && readable(&m, m.base, sizeof(si)) ? sizeof(si) : v0;
    CHECK(bi.version == si.version && bi.rsdp_paddr == si.rsdp_paddr);
    CHECK(bi.nreserved >= 1 && bi.nreserved <= BOOT_MAX_RESERVED);
    CHECK(bi.reserved[0].addr == m.base && bi.reserved[0].size == si_size);
    for (int i = 0; i < bi.nreserved; i++)
        CHECK(bi.reserved[i].size > 0 && readable(&m, bi.reserved[i].addr, bi.reserved[i].size));
    check_cmdline(&m);
    check_memmap(&m, &si, si_size);
    return 0;
}
