/* ACPI parsing for CPU discovery: RSDP/XSDT/RSDT, checksums, MADT processor entries. */
// UNIT-SOURCES: arch/x86/acpi_tables.c
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86/acpi_tables.h"

static void fix_checksum(uint8_t *t, size_t len, size_t at)
{
    uint8_t s = 0;
    t[at] = 0;
    for (size_t i = 0; i < len; i++)
        s += t[i];
    t[at] = (uint8_t)-s;
}

/* A MADT: 36-byte header, LAPIC address + flags, then the given entries. */
static size_t make_madt(uint8_t *t, const uint8_t *entries, size_t elen)
{
    size_t len = 44 + elen;
    memset(t, 0, len);
    memcpy(t, "APIC", 4);
    uint32_t l = (uint32_t)len;
    memcpy(t + 4, &l, 4);
    memcpy(t + 44, entries, elen);
    fix_checksum(t, len, 9);
    return len;
}

static void lapic(uint8_t *e, uint8_t apic_id, uint32_t flags)
{
    e[0] = 0;
    e[1] = 8;
    e[2] = 0;
    e[3] = apic_id;
    memcpy(e + 4, &flags, 4);
}

static void test_madt_lists_enabled_and_offline_cpus(void **state)
{
    uint8_t entries[4 * 8], t[256];
    struct acpi_cpus cpus;
    lapic(entries + 0, 0, 1);
    lapic(entries + 8, 2, 1);
    lapic(entries + 16, 4, 2); /* online-capable, not enabled */
    lapic(entries + 24, 6, 0); /* unusable: skipped */
    size_t len = make_madt(t, entries, sizeof(entries));
    assert_true(acpi_table_valid(t, len, "APIC"));
    assert_int_equal(acpi_madt_cpus(t, &cpus), 0);
    assert_int_equal(cpus.n, 3);
    assert_int_equal(cpus.n_enabled, 2);
    assert_int_equal(cpus.cpu[1].apic_id, 2);
    assert_false(cpus.cpu[2].enabled);
    assert_true(cpus.cpu[2].online_capable);
}

static void test_madt_x2apic_entries(void **state)
{
    uint8_t e[16] = {9, 16}, t[128];
    uint32_t id = 300, flags = 1;
    struct acpi_cpus cpus;
    memcpy(e + 4, &id, 4);
    memcpy(e + 8, &flags, 4);
    make_madt(t, e, sizeof(e));
    assert_int_equal(acpi_madt_cpus(t, &cpus), 0);
    assert_int_equal(cpus.n, 1);
    assert_int_equal(cpus.cpu[0].apic_id, 300);
}

static void test_madt_zero_length_entry_is_an_error(void **state)
{
    uint8_t e[8] = {0, 0}, t[128];
    struct acpi_cpus cpus;
    make_madt(t, e, sizeof(e));
    assert_int_equal(acpi_madt_cpus(t, &cpus), -EINVAL);
}

static void test_madt_entry_past_the_end_is_an_error(void **state)
{
    uint8_t e[8], t[128];
    struct acpi_cpus cpus;
    lapic(e, 0, 1);
    e[1] = 200;
    make_madt(t, e, sizeof(e));
    assert_int_equal(acpi_madt_cpus(t, &cpus), -EINVAL);
}

static void test_table_checksum_and_length_checked(void **state)
{
    uint8_t e[8], t[128];
    lapic(e, 0, 1);
    size_t len = make_madt(t, e, sizeof(e));
    assert_true(acpi_table_valid(t, len, "APIC"));
    assert_false(acpi_table_valid(t, len, "XSDT"));
    assert_false(acpi_table_valid(t, len - 1, "APIC")); /* length beyond what we may read */
    t[50] ^= 1;
    assert_false(acpi_table_valid(t, len, "APIC"));
}

static void test_madt_more_cpus_than_table_capped(void **state)
{
    static uint8_t e[(ACPI_MAX_CPUS + 10) * 8], t[sizeof(e) + 64];
    struct acpi_cpus cpus;
    for (int i = 0; i < ACPI_MAX_CPUS + 10; i++)
        lapic(e + i * 8, (uint8_t)i, 1);
    memset(t, 0, sizeof(t));
    memcpy(t, "APIC", 4);
    uint32_t l = 44 + sizeof(e);
    memcpy(t + 4, &l, 4);
    memcpy(t + 44, e, sizeof(e));
    fix_checksum(t, l, 9);
    assert_int_equal(acpi_madt_cpus(t, &cpus), 0);
    assert_int_equal(cpus.n, ACPI_MAX_CPUS);
}

static void test_rsdp_prefers_xsdt(void **state)
{
    uint8_t r[36] = {0};
    uint64_t root;
    unsigned int esz;
    memcpy(r, "RSD PTR ", 8);
    r[15] = 2;
    uint32_t rsdt = 0x1000, length = 36;
    uint64_t xsdt = 0x2000;
    memcpy(r + 16, &rsdt, 4);
    memcpy(r + 20, &length, 4);
    memcpy(r + 24, &xsdt, 8);
    fix_checksum(r, 20, 8);
    fix_checksum(r, 36, 32);
    assert_int_equal(acpi_rsdp_root(r, 36, &root, &esz), 0);
    assert_int_equal(root, 0x2000);
    assert_int_equal(esz, 8);
    r[32] ^= 0xff; /* extended checksum broken: fall back to the RSDT */
    assert_int_equal(acpi_rsdp_root(r, 36, &root, &esz), 0);
    assert_int_equal(root, 0x1000);
    assert_int_equal(esz, 4);
    r[8] ^= 1; /* v1 checksum broken: no root at all */
    assert_int_equal(acpi_rsdp_root(r, 36, &root, &esz), -EINVAL);
}

static void test_root_entries_stop_at_length(void **state)
{
    uint8_t t[36 + 16] = {0};
    uint32_t len = sizeof(t);
    memcpy(t, "XSDT", 4);
    memcpy(t + 4, &len, 4);
    uint64_t a = 0x1234, b = 0x5678;
    memcpy(t + 36, &a, 8);
    memcpy(t + 44, &b, 8);
    assert_int_equal(acpi_root_entry(t, 8, 0), 0x1234);
    assert_int_equal(acpi_root_entry(t, 8, 1), 0x5678);
    assert_int_equal(acpi_root_entry(t, 8, 2), 0);
}

/* Guest-physical memory for acpi_find_madt_cpus: [MEM_BASE, MEM_BASE + sizeof(mem)). */
#define MEM_BASE 0x1000u
static uint8_t mem[0x8000];
static unsigned int reads_refused;

static int mem_read(void *ctx, uint64_t pa, void *dst, size_t len)
{
    if (pa < MEM_BASE || pa - MEM_BASE > sizeof(mem) || len > sizeof(mem) - (pa - MEM_BASE)) {
        reads_refused++;
        return -EFAULT;
    }
    memcpy(dst, mem + (pa - MEM_BASE), len);
    return 0;
}

static uint8_t *at(uint64_t pa)
{
    return mem + (pa - MEM_BASE);
}

/* RSDP (revision 2) at 0x1000 -> XSDT at 0x2000 with the given entries. */
static void make_rsdp_xsdt(const uint64_t *entries, unsigned int n)
{
    memset(mem, 0, sizeof(mem));
    uint8_t *r = at(0x1000);
    memcpy(r, "RSD PTR ", 8);
    r[15] = 2;
    uint32_t length = 36;
    uint64_t xsdt = 0x2000;
    memcpy(r + 20, &length, 4);
    memcpy(r + 24, &xsdt, 8);
    fix_checksum(r, 20, 8);
    fix_checksum(r, 36, 32);
    uint8_t *x = at(0x2000);
    uint32_t xlen = 36 + 8 * n;
    memcpy(x, "XSDT", 4);
    memcpy(x + 4, &xlen, 4);
    memcpy(x + 36, entries, 8 * n);
    fix_checksum(x, xlen, 9);
}

static void make_madt_at(uint64_t pa, unsigned int ncpus)
{
    uint8_t e[8 * 4];
    for (unsigned int i = 0; i < ncpus; i++)
        lapic(e + 8 * i, (uint8_t)i, 1);
    make_madt(at(pa), e, 8 * ncpus);
}

static void test_find_walks_rsdp_xsdt_madt(void **state)
{
    /* A zero entry, one outside memory, a FACP, then the MADT: the walk goes past all. */
    const uint64_t entries[] = {0, 0xdead0000, 0x3000, 0x4000};
    struct acpi_cpus cpus;
    make_rsdp_xsdt(entries, 4);
    memcpy(at(0x3000), "FACP", 4);
    make_madt_at(0x4000, 3);
    reads_refused = 0;
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x1000, &cpus), 0);
    assert_int_equal(cpus.n, 3);
    assert_int_equal(cpus.n_enabled, 3);
    assert_int_equal(cpus.cpu[2].apic_id, 2);
    assert_int_equal(reads_refused, 1); /* 0xdead0000, skipped */
}

static void test_find_without_madt_or_with_a_bad_one(void **state)
{
    const uint64_t entries[] = {0x3000};
    struct acpi_cpus cpus;
    make_rsdp_xsdt(entries, 1);
    memcpy(at(0x3000), "FACP", 4);
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x1000, &cpus), -ENOENT);
    make_madt_at(0x3000, 2);
    at(0x3000)[44] ^= 1; /* checksum broken */
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x1000, &cpus), -EINVAL);
    assert_int_equal(cpus.n, 0);
    /* A MADT claiming to run past readable memory: refused, nothing read past it. */
    make_madt_at(0x3000, 2);
    uint32_t huge = sizeof(mem);
    memcpy(at(0x3000) + 4, &huge, 4);
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x1000, &cpus), -EINVAL);
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x2000, &cpus), -EINVAL); /* no RSDP */
}

/* A revision 1 RSDP is 20 bytes: one in the last 20 bytes of memory must still be found. */
static void test_find_v1_rsdp_at_the_end_of_memory(void **state)
{
    const uint64_t pa = MEM_BASE + sizeof(mem) - 20;
    struct acpi_cpus cpus;
    memset(mem, 0, sizeof(mem));
    uint8_t *r = at(pa);
    memcpy(r, "RSD PTR ", 8);
    uint32_t rsdt = 0x2000;
    memcpy(r + 16, &rsdt, 4);
    fix_checksum(r, 20, 8);
    uint8_t *t = at(0x2000);
    uint32_t len = 40, madt = 0x3000;
    memcpy(t, "RSDT", 4);
    memcpy(t + 4, &len, 4);
    memcpy(t + 36, &madt, 4);
    fix_checksum(t, len, 9);
    make_madt_at(0x3000, 4);
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, pa, &cpus), 0);
    assert_int_equal(cpus.n, 4);
}

/*
 * Found by fuzz_acpi: a MADT whose first entries are good and a later one runs past the
 * end gave -EINVAL with the good CPUs still listed in *out.
 */
static void test_bad_madt_lists_no_cpus(void **state)
{
    uint8_t e[3 * 8], t[128];
    struct acpi_cpus cpus;
    lapic(e, 0, 1);
    lapic(e + 8, 1, 1);
    lapic(e + 16, 2, 1);
    e[17] = 9; /* the third entry claims one byte more than the table has */
    make_madt(t, e, sizeof(e));
    assert_int_equal(acpi_madt_cpus(t, &cpus), -EINVAL);
    assert_int_equal(cpus.n, 0);
    assert_int_equal(cpus.n_enabled, 0);
    const uint64_t entries[] = {0x3000};
    make_rsdp_xsdt(entries, 1);
    make_madt(at(0x3000), e, sizeof(e));
    assert_int_equal(acpi_find_madt_cpus(mem_read, NULL, 0x1000, &cpus), -EINVAL);
    assert_int_equal(cpus.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_madt_lists_enabled_and_offline_cpus),
        cmocka_unit_test(test_madt_x2apic_entries),
        cmocka_unit_test(test_madt_zero_length_entry_is_an_error),
        cmocka_unit_test(test_madt_entry_past_the_end_is_an_error),
        cmocka_unit_test(test_table_checksum_and_length_checked),
        cmocka_unit_test(test_madt_more_cpus_than_table_capped),
        cmocka_unit_test(test_rsdp_prefers_xsdt),
        cmocka_unit_test(test_root_entries_stop_at_length),
        cmocka_unit_test(test_find_walks_rsdp_xsdt_madt),
        cmocka_unit_test(test_find_without_madt_or_with_a_bad_one),
        cmocka_unit_test(test_find_v1_rsdp_at_the_end_of_memory),
        cmocka_unit_test(test_bad_madt_lists_no_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
