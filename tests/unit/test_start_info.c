// Host tests for boot/start_info_read.c: start_info v0 and v1 read through a mock of
// guest memory, the command line (cut at CMDLINE_MAX, at the end of readable memory
// without a NUL: the 4 GiB edge of the early map), memory maps that are too long or out
// of reach, absurd module lists, a bad magic.
// UNIT-SOURCES: boot/start_info_read.c core/memmap.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/start_info.h"
#include <xen/arch-x86/hvm/start_info.h>

#define EDGE (1ULL << 32) /* the end of the early map */

/* Readable guest memory: [base, base + size), and never at or past EDGE. */
static struct {
    uint64_t base;
    uint8_t bytes[3 * 4096 + CMDLINE_MAX];
    size_t size;
    unsigned int refused;
    uint64_t highest; /* the last byte a successful read covered */
} mem;

static int mock_read(void *ctx, uint64_t paddr, void *dst, size_t len)
{
    if (paddr == 0 || paddr >= EDGE || len > EDGE - paddr || paddr < mem.base ||
        paddr - mem.base > mem.size || len > mem.size - (paddr - mem.base)) {
        mem.refused++;
        return -EFAULT;
    }
    memcpy(dst, mem.bytes + (paddr - mem.base), len);
    if (len && paddr + len - 1 > mem.highest)
        mem.highest = paddr + len - 1;
    return 0;
}

static void mem_at(uint64_t base, size_t size)
{
    memset(&mem, 0, sizeof(mem));
    mem.base = base;
    mem.size = size;
}

static void *at(uint64_t paddr)
{
    assert_true(paddr >= mem.base && paddr - mem.base < mem.size);
    return mem.bytes + (paddr - mem.base);
}

static struct hvm_start_info *put_start_info(uint64_t paddr, uint32_t version)
{
    struct hvm_start_info *si = at(paddr);
    memset(si, 0, sizeof(*si));
    si->magic = XEN_HVM_START_MAGIC_VALUE;
    si->version = version;
    return si;
}

static struct boot_info bi;

static void test_v1_cmdline_memmap_and_reserved(void **state)
{
    mem_at(0x100000, sizeof(mem.bytes));
    struct hvm_start_info *si = put_start_info(0x100000, 1);
    si->cmdline_paddr = 0x101000;
    strcpy(at(0x101000), "app 'two words'");
    si->rsdp_paddr = 0xfc000;
    si->memmap_paddr = 0x102000;
    si->memmap_entries = 2;
    struct hvm_memmap_table_entry *e = at(0x102000);
    e[0] = (struct hvm_memmap_table_entry){0x100000, 0x3f00000, MEMMAP_RAM, 0};
    e[1] = (struct hvm_memmap_table_entry){0, 0xa0000, MEMMAP_RAM, 0};

    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.version, 1);
    assert_int_equal(bi.warn, 0);
    assert_string_equal(bi.cmdline, "app 'two words'");
    assert_int_equal(bi.rsdp_paddr, 0xfc000);
    assert_string_equal(bi.memmap_source, "start_info");
    assert_int_equal(bi.memmap.n, 2); /* as given: sanitizing is the caller's */
    assert_int_equal(bi.memmap.e[0].addr, 0x100000);
    assert_int_equal(bi.memmap.e[1].size, 0xa0000);
    assert_int_equal(bi.nreserved, 2);
    assert_int_equal(bi.reserved[0].addr, 0x100000);
    assert_int_equal(bi.reserved[0].size, sizeof(struct hvm_start_info));
    assert_int_equal(bi.reserved[1].addr, 0x102000);
    assert_int_equal(bi.reserved[1].size, 2 * sizeof(struct hvm_memmap_table_entry));
}

/*
 * Issue 13 item 7: a command line with no NUL whose last byte is the last byte below
 * 4 GiB. The copy must stop there (nothing at or past the edge is read) and say so.
 */
static void test_cmdline_without_nul_at_the_4gib_edge(void **state)
{
    uint64_t base = EDGE - 2 * 4096;
    mem_at(base, 2 * 4096);
    struct hvm_start_info *si = put_start_info(base, 1);
    si->cmdline_paddr = EDGE - 10;
    memcpy(at(EDGE - 10), "0123456789", 10); /* no NUL: memory ends right after */

    assert_int_equal(start_info_read(mock_read, NULL, base, &bi), 0);
    assert_string_equal(bi.cmdline, "0123456789");
    assert_true(bi.warn & BOOT_WARN_CMDLINE_UNTERMINATED);
    assert_false(bi.warn & BOOT_WARN_CMDLINE_TRUNCATED);
    assert_int_equal(mem.highest, EDGE - 1);
    assert_int_equal(mem.refused, 1); /* the one byte at the edge, asked for and refused */
}

static void test_cmdline_cut_at_cmdline_max(void **state)
{
    mem_at(0x100000, sizeof(mem.bytes));
    struct hvm_start_info *si = put_start_info(0x100000, 0);
    si->cmdline_paddr = 0x101000;
    memset(at(0x101000), 'x', CMDLINE_MAX + 100);
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(strlen(bi.cmdline), CMDLINE_MAX - 1);
    assert_int_equal(bi.warn, BOOT_WARN_CMDLINE_TRUNCATED);
    /* Exactly CMDLINE_MAX - 1 bytes and a NUL fit: no warning. */
    ((char *)at(0x101000))[CMDLINE_MAX - 1] = '\0';
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(strlen(bi.cmdline), CMDLINE_MAX - 1);
    assert_int_equal(bi.warn, 0);
}

static void test_cmdline_out_of_reach_is_ignored(void **state)
{
    mem_at(0x100000, 4096);
    struct hvm_start_info *si = put_start_info(0x100000, 0);
    si->cmdline_paddr = 0x123456789ULL; /* above the early map */
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_string_equal(bi.cmdline, "");
    assert_int_equal(bi.warn, BOOT_WARN_CMDLINE_UNREACHABLE);
    si->cmdline_paddr = 0;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, 0); /* none given: nothing to say */
}

static void test_v0_has_no_memmap(void **state)
{
    mem_at(0x100000, 4096);
    struct hvm_start_info *si = put_start_info(0x100000, 0);
    si->memmap_paddr = 0x100100; /* v0: these fields do not exist */
    si->memmap_entries = 3;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_null(bi.memmap_source);
    assert_int_equal(bi.memmap.n, 0);
    assert_int_equal(bi.nreserved, 1);
    assert_int_equal(bi.reserved[0].size, offsetof(struct hvm_start_info, memmap_paddr));
}

static void test_bad_magic_or_unreadable_start_info(void **state)
{
    mem_at(0x100000, 4096);
    struct hvm_start_info *si = put_start_info(0x100000, 1);
    si->magic ^= 1;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), -EINVAL);
    assert_int_equal(start_info_read(mock_read, NULL, 0, &bi), -EINVAL);
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000 + 4096 - 8, &bi), -EINVAL);
    /* A v1 structure whose v1 part runs past readable memory: taken as v0. */
    uint64_t last = 0x100000 + 4096 - offsetof(struct hvm_start_info, memmap_paddr);
    put_start_info(last, 1);
    assert_int_equal(start_info_read(mock_read, NULL, last, &bi), 0);
    assert_null(bi.memmap_source);
}

static void test_memmap_too_long_or_out_of_reach(void **state)
{
    mem_at(0x100000, sizeof(mem.bytes));
    struct hvm_start_info *si = put_start_info(0x100000, 1);
    si->memmap_paddr = 0x101000;
    si->memmap_entries = MEMMAP_MAX + 5;
    struct hvm_memmap_table_entry *e = at(0x101000);
    for (int i = 0; i < MEMMAP_MAX; i++)
        e[i] = (struct hvm_memmap_table_entry){(uint64_t)i << 20, 1 << 20, MEMMAP_RAM, 0};
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MEMMAP_TRUNCATED);
    assert_int_equal(bi.memmap.n, MEMMAP_MAX);
    assert_int_equal(bi.memmap.e[MEMMAP_MAX - 1].addr, (uint64_t)(MEMMAP_MAX - 1) << 20);
    assert_int_equal(bi.reserved[1].size, MEMMAP_MAX * sizeof(*e)); /* what was read */

    /*
     * Found by fuzz_start_info: a count of billions whose first MEMMAP_MAX entries are
     * readable reserved count * 24 bytes (83 GiB here), far past readable memory, for
     * the frame allocator to keep from use.
     */
    si->memmap_entries = 3486449664u;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MEMMAP_TRUNCATED);
    assert_int_equal(bi.nreserved, 2);
    assert_int_equal(bi.reserved[1].size, MEMMAP_MAX * sizeof(*e));

    /* Entries running past readable memory: the whole map is refused, not half used. */
    si->memmap_paddr = 0x100000 + sizeof(mem.bytes) - 2 * sizeof(*e);
    si->memmap_entries = 3;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MEMMAP_UNREACHABLE);
    assert_int_equal(bi.memmap.n, 0);
    assert_null(bi.memmap_source);
    assert_int_equal(bi.nreserved, 1);
}

static void test_absurd_module_list_not_reserved(void **state)
{
    mem_at(0x100000, 4096);
    struct hvm_start_info *si = put_start_info(0x100000, 0);
    si->nr_modules = 0xffffffff;
    si->modlist_paddr = 0x100100;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MODLIST_BAD);
    assert_int_equal(bi.nreserved, 1);
    si->nr_modules = 2;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, 0);
    assert_int_equal(bi.nreserved, 2);
    assert_int_equal(bi.reserved[1].size, 2 * sizeof(struct hvm_modlist_entry));
}

/* Module 0 (the initrd) is taken and reserved only when every byte of it can be read. */
static void test_module_zero(void **state)
{
    mem_at(0x100000, 3 * 4096);
    struct hvm_start_info *si = put_start_info(0x100000, 0);
    si->nr_modules = 2;
    si->modlist_paddr = 0x100100;
    struct hvm_modlist_entry *m = at(0x100100);
    m[0].paddr = 0x101000;
    m[0].size = 2 * 4096;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, 0);
    assert_int_equal(bi.nr_modules, 2);
    assert_int_equal(bi.module_paddr, 0x101000);
    assert_int_equal(bi.module_size, 2 * 4096);
    assert_int_equal(bi.nreserved, 3);
    assert_int_equal(bi.reserved[2].addr, 0x101000);
    assert_int_equal(bi.reserved[2].size, 2 * 4096);

    m[0].size = 2 * 4096 + 1; /* one byte past readable memory */
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MODULE_BAD);
    assert_int_equal(bi.module_size, 0);
    assert_int_equal(bi.nreserved, 2);

    m[0].paddr = UINT64_MAX - 10; /* wraps */
    m[0].size = 100;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, BOOT_WARN_MODULE_BAD);
    assert_int_equal(bi.module_size, 0);

    m[0].paddr = 0x101000; /* an empty module is none, quietly */
    m[0].size = 0;
    assert_int_equal(start_info_read(mock_read, NULL, 0x100000, &bi), 0);
    assert_int_equal(bi.warn, 0);
    assert_int_equal(bi.module_size, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_cmdline_memmap_and_reserved),
        cmocka_unit_test(test_cmdline_without_nul_at_the_4gib_edge),
        cmocka_unit_test(test_cmdline_cut_at_cmdline_max),
        cmocka_unit_test(test_cmdline_out_of_reach_is_ignored),
        cmocka_unit_test(test_v0_has_no_memmap),
        cmocka_unit_test(test_bad_magic_or_unreadable_start_info),
        cmocka_unit_test(test_memmap_too_long_or_out_of_reach),
        cmocka_unit_test(test_absurd_module_list_not_reserved),
        cmocka_unit_test(test_module_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
