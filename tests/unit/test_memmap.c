// Host tests for core/memmap.c: memmap_add capacity, memmap_sanitize (sorting, empty
// entries, overlaps by type strength, merging, 2^64 wrap) on synthetic, QEMU and Xen
// PVH maps, memmap_ram_bytes, plus a randomized check against a per-page model.
// UNIT-SOURCES: core/memmap.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/memmap.h"

#define KiB 0x400ULL
#define MiB 0x100000ULL
#define GiB 0x40000000ULL

#define RAM  MEMMAP_RAM
#define RSV  MEMMAP_RESERVED
#define ACPI MEMMAP_ACPI
#define NVS  MEMMAP_NVS
#define UNU  MEMMAP_UNUSABLE

struct ent {
    uint64_t addr, size;
    uint32_t type;
};

static void print_map(const char *what, const struct memmap_entry *e, unsigned int n)
{
    print_message("%s (%u entries):\n", what, n);
    for (unsigned int i = 0; i < n; i++)
        print_message("  [%2u] %#018llx +%#llx type %u\n", i, (unsigned long long)e[i].addr,
                      (unsigned long long)e[i].size, e[i].type);
}

static void check_map(const struct memmap *m, const struct ent *exp, unsigned int n,
                      const char *file, int line)
{
    int ok = m->n == n;
    for (unsigned int i = 0; ok && i < n; i++)
        ok = m->e[i].addr == exp[i].addr && m->e[i].size == exp[i].size &&
             m->e[i].type == exp[i].type;
    if (ok)
        return;
    struct memmap_entry want[MEMMAP_MAX + 1];
    for (unsigned int i = 0; i < n && i <= MEMMAP_MAX; i++)
        want[i] = (struct memmap_entry){exp[i].addr, exp[i].size, exp[i].type};
    print_map("expected", want, n <= MEMMAP_MAX ? n : MEMMAP_MAX);
    print_map("got", m->e, m->n);
    _fail(file, line);
}

/* ASSERT_MAP(&m, {addr, size, type}, ...): the map holds exactly these entries. */
#define ASSERT_MAP(m, ...)                                                                         \
    do {                                                                                           \
        const struct ent exp_[] = {__VA_ARGS__};                                                   \
        check_map((m), exp_, sizeof(exp_) / sizeof(exp_[0]), __FILE__, __LINE__);                  \
    } while (0)

/* Build a map from a list of entries, in the order given. */
static void load(struct memmap *m, const struct ent *e, unsigned int n)
{
    memset(m, 0xa5, sizeof(*m)); /* garbage in unused slots must not matter */
    m->n = 0;
    for (unsigned int i = 0; i < n; i++)
        assert_int_equal(memmap_add(m, e[i].addr, e[i].size, e[i].type), 0);
}

#define LOAD(m, ...)                                                                               \
    do {                                                                                           \
        const struct ent in_[] = {__VA_ARGS__};                                                    \
        load((m), in_, sizeof(in_) / sizeof(in_[0]));                                              \
    } while (0)

/* ---- memmap_add ---- */

static void add_appends_entries_verbatim_without_checks(void **state)
{
    struct memmap m = {.n = 0};
    assert_int_equal(memmap_add(&m, 0x5000, 0x1000, RAM), 0);
    assert_int_equal(memmap_add(&m, 0x1000, 0, RSV), 0);
    assert_int_equal(memmap_add(&m, UINT64_MAX, UINT64_MAX, 0xdead), 0);
    ASSERT_MAP(&m, {0x5000, 0x1000, RAM}, {0x1000, 0, RSV}, {UINT64_MAX, UINT64_MAX, 0xdead});
}

static void add_fills_all_slots_then_returns_enospc(void **state)
{
    struct memmap m = {.n = 0};
    for (unsigned int i = 0; i < MEMMAP_MAX; i++)
        assert_int_equal(memmap_add(&m, (uint64_t)i * 0x2000, 0x1000, RAM), 0);
    assert_int_equal(m.n, MEMMAP_MAX);
    assert_int_equal(memmap_add(&m, 0xffff0000, 0x1000, RSV), -ENOSPC);
    assert_int_equal(memmap_add(&m, 0xffff0000, 0x1000, RSV), -ENOSPC);
    assert_int_equal(m.n, MEMMAP_MAX);
    for (unsigned int i = 0; i < MEMMAP_MAX; i++) {
        assert_int_equal(m.e[i].addr, (uint64_t)i * 0x2000);
        assert_int_equal(m.e[i].size, 0x1000);
        assert_int_equal(m.e[i].type, RAM);
    }
}

/* ---- memmap_sanitize: trivial inputs ---- */

static void sanitize_empty_map_stays_empty(void **state)
{
    struct memmap m;
    memset(&m, 0xa5, sizeof(m));
    m.n = 0;
    memmap_sanitize(&m);
    assert_int_equal(m.n, 0);
    assert_int_equal(memmap_ram_bytes(&m), 0);
}

static void sanitize_single_entry_unchanged(void **state)
{
    struct memmap m;
    LOAD(&m, {0x100000, 0x3ee0000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x100000, 0x3ee0000, RAM});
}

static void sanitize_only_zero_length_entries_gives_empty_map(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0, RAM}, {0, 0, RSV}, {UINT64_MAX, 0, RAM});
    memmap_sanitize(&m);
    assert_int_equal(m.n, 0);
}

static void sanitize_drops_zero_length_entries(void **state)
{
    struct memmap m;
    /* A zero-length reserved entry inside RAM must neither survive nor split the RAM. */
    LOAD(&m, {0x3000, 0, RAM}, {0, 0x10000, RAM}, {0x8000, 0, RSV}, {0x20000, 0x1000, RSV},
         {0x20000, 0, NVS});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x10000, RAM}, {0x20000, 0x1000, RSV});
}

static void sanitize_sorts_unsorted_input(void **state)
{
    struct memmap m;
    LOAD(&m, {0x100000000, 0x40000000, RAM}, {0x9fc00, 0x400, RSV}, {0x100000, 0x1000000, RAM},
         {0, 0x9fc00, RAM}, {0xf0000, 0x10000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x9fc00, RAM}, {0x9fc00, 0x400, RSV}, {0xf0000, 0x10000, RSV},
               {0x100000, 0x1000000, RAM}, {0x100000000, 0x40000000, RAM});
}

static void sanitize_sorts_reverse_order(void **state)
{
    struct memmap m = {.n = 0};
    for (int i = 15; i >= 0; i--)
        memmap_add(&m, (uint64_t)i * 0x10000, 0x8000, i % 2 ? RSV : RAM);
    memmap_sanitize(&m);
    assert_int_equal(m.n, 16);
    for (unsigned int i = 0; i < 16; i++) {
        assert_int_equal(m.e[i].addr, (uint64_t)i * 0x10000);
        assert_int_equal(m.e[i].size, 0x8000);
        assert_int_equal(m.e[i].type, i % 2 ? RSV : RAM);
    }
}

static void sanitize_preserves_holes(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x1000, RAM}, {0x2000, 0x1000, RAM}, {0x5000, 0x1000, RSV}, {0x7000, 0x1000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {0x2000, 0x1000, RAM}, {0x5000, 0x1000, RSV},
               {0x7000, 0x1000, RSV});
    assert_int_equal(memmap_ram_bytes(&m), 0x2000);
}

/* ---- memmap_sanitize: RAM against reserved, every geometry ---- */

static void overlap_reserved_inside_ram_splits_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x10000, RAM}, {0x4000, 0x2000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x4000, RAM}, {0x4000, 0x2000, RSV}, {0x6000, 0xa000, RAM});
    assert_int_equal(memmap_ram_bytes(&m), 0xe000);
}

static void overlap_reserved_inside_ram_listed_first(void **state)
{
    struct memmap m;
    LOAD(&m, {0x4000, 0x2000, RSV}, {0, 0x10000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x4000, RAM}, {0x4000, 0x2000, RSV}, {0x6000, 0xa000, RAM});
}

static void overlap_ram_inside_reserved_disappears(void **state)
{
    struct memmap m;
    LOAD(&m, {0x4000, 0x2000, RAM}, {0, 0x10000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x10000, RSV});
    assert_int_equal(memmap_ram_bytes(&m), 0);
}

static void overlap_reserved_covers_left_part_of_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0x2000, 0x6000, RAM}, {0, 0x4000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x4000, RSV}, {0x4000, 0x4000, RAM});
}

static void overlap_reserved_covers_right_part_of_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x6000, RAM}, {0x4000, 0x4000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x4000, RAM}, {0x4000, 0x4000, RSV});
}

static void overlap_reserved_shares_start_with_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0x8000, RAM}, {0x1000, 0x2000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0x2000, RSV}, {0x3000, 0x6000, RAM});
}

static void overlap_reserved_shares_end_with_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0x8000, RAM}, {0x7000, 0x2000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0x6000, RAM}, {0x7000, 0x2000, RSV});
}

static void overlap_identical_ram_and_reserved_gives_reserved(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0x8000, RAM}, {0x1000, 0x8000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0x8000, RSV});

    LOAD(&m, {0x1000, 0x8000, RSV}, {0x1000, 0x8000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0x8000, RSV});
}

static void overlap_byte_granular_boundaries_kept_exact(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x100001, RAM}, {0x9fc00, 0x401, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x9fc00, RAM}, {0x9fc00, 0x401, RSV}, {0xa0001, 0x60000, RAM});
}

static void overlap_many_reserved_punch_holes_in_one_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0x3000, 0x1000, RSV}, {0, 0x10000, RAM}, {0x9000, 0x2000, RSV},
         {0x1000, 0x1000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {0x1000, 0x1000, RSV}, {0x2000, 0x1000, RAM},
               {0x3000, 0x1000, RSV}, {0x4000, 0x5000, RAM}, {0x9000, 0x2000, RSV},
               {0xb000, 0x5000, RAM});
}

/* ---- memmap_sanitize: type strength ---- */

static void overlap_strength_order_ram_acpi_nvs_reserved(void **state)
{
    struct memmap m;
    /* Nested, weakest outermost: each inner one wins where it lies. */
    LOAD(&m, {0, 0x8000, RAM}, {0x1000, 0x6000, ACPI}, {0x2000, 0x4000, NVS},
         {0x3000, 0x2000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {0x1000, 0x1000, ACPI}, {0x2000, 0x1000, NVS},
               {0x3000, 0x2000, RSV}, {0x5000, 0x1000, NVS}, {0x6000, 0x1000, ACPI},
               {0x7000, 0x1000, RAM});
}

static void overlap_weaker_types_inside_stronger_vanish(void **state)
{
    struct memmap m;
    /* Nested, strongest outermost: only the outer one is left. */
    LOAD(&m, {0x3000, 0x2000, RAM}, {0x2000, 0x4000, ACPI}, {0x1000, 0x6000, NVS},
         {0, 0x8000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x8000, RSV});
}

static void overlap_acpi_beats_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0x1000, ACPI}, {0, 0x3000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {0x1000, 0x1000, ACPI}, {0x2000, 0x1000, RAM});
}

static void overlap_nvs_beats_acpi(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x2000, NVS}, {0x1000, 0x2000, ACPI});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x2000, NVS}, {0x2000, 0x1000, ACPI});
}

static void overlap_reserved_and_unusable_beat_nvs(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x4000, NVS}, {0x1000, 0x1000, UNU}, {0x3000, 0x2000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, NVS}, {0x1000, 0x1000, UNU}, {0x2000, 0x1000, NVS},
               {0x3000, 0x2000, RSV});
}

static void overlap_unknown_type_beats_ram_acpi_and_nvs(void **state)
{
    struct memmap m;
    /* e820 type 7 (persistent memory) and a vendor type are "others": strongest. */
    LOAD(&m, {0, 0x3000, RAM}, {0, 0x3000, ACPI}, {0, 0x3000, NVS}, {0x1000, 0x1000, 7},
         {0x2000, 0x1000, 0xf0000001});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, NVS}, {0x1000, 0x1000, 7}, {0x2000, 0x1000, 0xf0000001});
}

static void overlap_same_type_ranges_merge(void **state)
{
    struct memmap m;
    LOAD(&m, {0x2000, 0x3000, RAM}, {0, 0x3000, RAM}, {0x1000, 0x1000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x5000, RAM});
}

/* ---- memmap_sanitize: adjacency ---- */

static void adjacent_same_type_merged(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, 0x1000, RAM}, {0x2000, 0x3000, RAM}, {0x10000, 0x1000, RSV},
         {0x11000, 0x1000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0x4000, RAM}, {0x10000, 0x2000, RSV});
}

static void adjacent_same_type_merged_regardless_of_order(void **state)
{
    struct memmap m = {.n = 0};
    /* 64 one-page RAM entries, shuffled by a stride coprime with 64. */
    for (unsigned int i = 0; i < 64; i++)
        memmap_add(&m, (uint64_t)((i * 37) % 64) * 0x1000, 0x1000, RAM);
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x40000, RAM});
}

static void adjacent_different_types_kept_apart(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x1000, RAM}, {0x1000, 0x1000, RSV}, {0x2000, 0x1000, ACPI}, {0x3000, 0x1000, NVS},
         {0x4000, 0x1000, RAM}, {0x5000, 0x1000, UNU});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {0x1000, 0x1000, RSV}, {0x2000, 0x1000, ACPI},
               {0x3000, 0x1000, NVS}, {0x4000, 0x1000, RAM}, {0x5000, 0x1000, UNU});
}

static void adjacent_pieces_rejoin_after_overlap_resolution(void **state)
{
    struct memmap m;
    /* Reserved covers the gap between two RAM ranges: reserved remains one entry, and
     * the reserved pieces carved out of RAM join the standalone reserved entry. */
    LOAD(&m, {0, 0x4000, RAM}, {0x6000, 0x4000, RAM}, {0x3000, 0x4000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x3000, RAM}, {0x3000, 0x4000, RSV}, {0x7000, 0x3000, RAM});
}

/* ---- memmap_sanitize: large addresses ---- */

/*
 * Where a wrapping range is clipped to. The sanitizer keeps exclusive ends in a
 * uint64_t, so the top is UINT64_MAX: the byte at 2^64 - 1 is never kept (a range
 * ending exactly at 2^64 loses it too).
 */
#define ADDR_TOP UINT64_MAX

static void entries_above_4g_kept_and_counted(void **state)
{
    struct memmap m;
    LOAD(&m, {4 * GiB, 2 * GiB, RAM}, {0, 3 * GiB, RAM}, {3 * GiB, 1 * GiB, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 3 * GiB, RAM}, {3 * GiB, 1 * GiB, RSV}, {4 * GiB, 2 * GiB, RAM});
    assert_int_equal(memmap_ram_bytes(&m), 5 * GiB);
}

static void entry_crossing_4g_split_by_reserved_above(void **state)
{
    struct memmap m;
    LOAD(&m, {3 * GiB, 2 * GiB, RAM}, {4 * GiB + 0x1000, 0x1000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {3 * GiB, 1 * GiB + 0x1000, RAM}, {4 * GiB + 0x1000, 0x1000, RSV},
               {4 * GiB + 0x2000, 1 * GiB - 0x2000, RAM});
    assert_int_equal(memmap_ram_bytes(&m), 2 * GiB - 0x1000);
}

static void ram_bytes_larger_than_4g_total(void **state)
{
    struct memmap m;
    /* 1 TiB of RAM above 4 GiB: the total must not be truncated to 32 bits. */
    LOAD(&m, {0, 0x9fc00, RAM}, {0x100000000, 0x10000000000, RAM});
    memmap_sanitize(&m);
    assert_int_equal(memmap_ram_bytes(&m), 0x9fc00 + 0x10000000000ULL);
}

static void range_wrapping_past_2_64_is_clipped(void **state)
{
    struct memmap m;
    const uint64_t a = 0xffffffff00000000ULL;
    LOAD(&m, {a, 0x200000000ULL, RAM}, {0, 0x1000, RAM});
    memmap_sanitize(&m);
    /* Clipped at the top of the address space; nothing wraps around to address 0. */
    ASSERT_MAP(&m, {0, 0x1000, RAM}, {a, ADDR_TOP - a, RAM});
    assert_int_equal(memmap_ram_bytes(&m), 0x1000 + (ADDR_TOP - a));
}

static void range_of_maximal_size_is_clipped(void **state)
{
    struct memmap m;
    LOAD(&m, {0x1000, UINT64_MAX, RAM}, {0x100000, 0x1000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x1000, 0xff000, RAM}, {0x100000, 0x1000, RSV},
               {0x101000, ADDR_TOP - 0x101000, RAM});
}

static void wrapping_reserved_beats_wrapping_ram(void **state)
{
    struct memmap m;
    const uint64_t a = 0xfffffffffff00000ULL;
    LOAD(&m, {a, 0x200000, RAM}, {a + 0x80000, UINT64_MAX, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {a, 0x80000, RAM}, {a + 0x80000, ADDR_TOP - (a + 0x80000), RSV});
}

/* ---- memmap_sanitize: capacity ---- */

static void full_table_of_disjoint_entries_survives(void **state)
{
    struct memmap m = {.n = 0};
    /* MEMMAP_MAX entries, alternating types, with a hole after each. */
    for (unsigned int i = 0; i < MEMMAP_MAX; i++) {
        unsigned int k = MEMMAP_MAX - 1 - i; /* reverse order */
        assert_int_equal(memmap_add(&m, (uint64_t)k * 0x10000, 0x8000, k % 3 ? RAM : RSV), 0);
    }
    assert_int_equal(memmap_add(&m, 0, 0x1000, RAM), -ENOSPC);
    memmap_sanitize(&m);
    assert_int_equal(m.n, MEMMAP_MAX);
    uint64_t ram = 0;
    for (unsigned int i = 0; i < MEMMAP_MAX; i++) {
        assert_int_equal(m.e[i].addr, (uint64_t)i * 0x10000);
        assert_int_equal(m.e[i].size, 0x8000);
        assert_int_equal(m.e[i].type, i % 3 ? RAM : RSV);
        ram += i % 3 ? 0x8000 : 0;
    }
    assert_int_equal(memmap_ram_bytes(&m), ram);
}

static void full_table_of_adjacent_ram_merges_to_one(void **state)
{
    struct memmap m = {.n = 0};
    for (unsigned int i = 0; i < MEMMAP_MAX; i++)
        assert_int_equal(memmap_add(&m, (uint64_t)i * 2 * MiB, 2 * MiB, RAM), 0);
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, MEMMAP_MAX * 2 * MiB, RAM});
}

/*
 * One RAM range with MEMMAP_MAX - 1 reserved holes punched in it resolves to
 * 2 * MEMMAP_MAX - 1 pieces, more than the table holds. Whatever is kept must be
 * exact and in order, and no reserved byte may come out as RAM.
 */
static void sanitize_result_larger_than_table_stays_safe(void **state)
{
    struct memmap m = {.n = 0};
    assert_int_equal(memmap_add(&m, 0, 2 * MEMMAP_MAX * 0x1000, RAM), 0);
    for (unsigned int i = 0; i < MEMMAP_MAX - 1; i++)
        assert_int_equal(memmap_add(&m, (2 * (uint64_t)i + 1) * 0x1000, 0x1000, RSV), 0);
    memmap_sanitize(&m);
    assert_true(m.n > 0 && m.n <= MEMMAP_MAX);
    for (unsigned int i = 0; i < m.n; i++) {
        assert_int_equal(m.e[i].addr, (uint64_t)i * 0x1000);
        assert_int_equal(m.e[i].size, 0x1000);
        assert_int_equal(m.e[i].type, i % 2 ? RSV : RAM);
    }
}

/* ---- real maps ---- */

/* QEMU q35 -m 64 with SeaBIOS-style e820, as xenolith's own boot log prints it. */
static void qemu_q35_map_passes_through_unchanged(void **state)
{
    struct memmap m;
    LOAD(&m, {0x0, 0x9fc00, RAM}, {0x9fc00, 0x400, RSV}, {0xf0000, 0x10000, RSV},
         {0x100000, 0x3ee0000, RAM}, {0x3fe0000, 0x20000, RSV}, {0xb0000000, 0x10000000, RSV},
         {0xfed1c000, 0x4000, RSV}, {0xfffc0000, 0x40000, RSV}, {0xfd00000000, 0x300000000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x0, 0x9fc00, RAM}, {0x9fc00, 0x400, RSV}, {0xf0000, 0x10000, RSV},
               {0x100000, 0x3ee0000, RAM}, {0x3fe0000, 0x20000, RSV}, {0xb0000000, 0x10000000, RSV},
               {0xfed1c000, 0x4000, RSV}, {0xfffc0000, 0x40000, RSV},
               {0xfd00000000, 0x300000000, RSV});
    /* The boot log says "65023 KiB RAM". */
    assert_int_equal(memmap_ram_bytes(&m), 0x9fc00 + 0x3ee0000);
    assert_int_equal(memmap_ram_bytes(&m) >> 10, 65023);
}

/* The same map as an unsorted, duplicated mess: same result. */
static void qemu_q35_map_shuffled_with_duplicates(void **state)
{
    struct memmap m;
    LOAD(&m, {0xfffc0000, 0x40000, RSV}, {0x100000, 0x3ee0000, RAM}, {0x9fc00, 0x400, RSV},
         {0xfd00000000, 0x300000000, RSV}, {0x0, 0x9fc00, RAM}, {0x3fe0000, 0x20000, RSV},
         {0xf0000, 0x10000, RSV}, {0x100000, 0x3ee0000, RAM}, {0xb0000000, 0x10000000, RSV},
         {0xfed1c000, 0x4000, RSV}, {0x0, 0x9fc00, RAM}, {0x2000000, 0, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x0, 0x9fc00, RAM}, {0x9fc00, 0x400, RSV}, {0xf0000, 0x10000, RSV},
               {0x100000, 0x3ee0000, RAM}, {0x3fe0000, 0x20000, RSV}, {0xb0000000, 0x10000000, RSV},
               {0xfed1c000, 0x4000, RSV}, {0xfffc0000, 0x40000, RSV},
               {0xfd00000000, 0x300000000, RSV});
}

/* libxl's PVH guest map, 512 MiB: low RAM, ACPI tables, special pages. */
static void xen_pvh_small_guest_map(void **state)
{
    struct memmap m;
    LOAD(&m, {0x0, 0x20000000, RAM}, {0xfc000000, 0xb000, ACPI}, {0xfeff8000, 0x8000, RSV});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x0, 0x20000000, RAM}, {0xfc000000, 0xb000, ACPI}, {0xfeff8000, 0x8000, RSV});
    assert_int_equal(memmap_ram_bytes(&m), 512 * MiB);
}

/* libxl's PVH guest map, 6 GiB: RAM up to the MMIO hole, the rest above 4 GiB. */
static void xen_pvh_large_guest_map_with_highmem(void **state)
{
    struct memmap m;
    LOAD(&m, {0x0, 0xf0000000, RAM}, {0xfc000000, 0xb000, ACPI}, {0xfeff8000, 0x8000, RSV},
         {0x100000000, 0x90000000, RAM});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0x0, 0xf0000000, RAM}, {0xfc000000, 0xb000, ACPI}, {0xfeff8000, 0x8000, RSV},
               {0x100000000, 0x90000000, RAM});
    assert_int_equal(memmap_ram_bytes(&m), 6 * GiB);
}

/* ---- memmap_ram_bytes, memmap_type_name ---- */

static void ram_bytes_counts_only_ram(void **state)
{
    struct memmap m;
    LOAD(&m, {0, 0x1000, RAM}, {0x1000, 0x2000, ACPI}, {0x3000, 0x4000, NVS}, {0x7000, 0x8000, RSV},
         {0xf000, 0x10000, UNU}, {0x1f000, 0x1000, RAM});
    memmap_sanitize(&m);
    assert_int_equal(memmap_ram_bytes(&m), 0x2000);

    LOAD(&m, {0, 0x1000, RSV});
    memmap_sanitize(&m);
    assert_int_equal(memmap_ram_bytes(&m), 0);
}

static void type_names(void **state)
{
    assert_string_equal(memmap_type_name(MEMMAP_RAM), "RAM");
    assert_string_equal(memmap_type_name(MEMMAP_RESERVED), "reserved");
    assert_string_equal(memmap_type_name(MEMMAP_ACPI), "ACPI");
    assert_string_equal(memmap_type_name(MEMMAP_NVS), "NVS");
    assert_string_equal(memmap_type_name(MEMMAP_UNUSABLE), "unusable");
    assert_string_equal(memmap_type_name(0), "other");
    assert_string_equal(memmap_type_name(7), "other");
}

/* ---- properties ---- */

static void sanitize_is_idempotent(void **state)
{
    struct memmap m, again;
    LOAD(&m, {0x5000, 0x3000, RAM}, {0, 0x6000, RAM}, {0x2000, 0x1000, ACPI}, {0x7000, 0x4000, RSV},
         {0x20000, 0, RAM}, {0x10000, 0x1000, NVS});
    memmap_sanitize(&m);
    ASSERT_MAP(&m, {0, 0x2000, RAM}, {0x2000, 0x1000, ACPI}, {0x3000, 0x4000, RAM},
               {0x7000, 0x4000, RSV}, {0x10000, 0x1000, NVS});
    again = m;
    memmap_sanitize(&again);
    assert_int_equal(again.n, m.n);
    assert_memory_equal(again.e, m.e, m.n * sizeof(m.e[0]));
}

/*
 * Random maps over a small page-granular address space, checked against a model
 * that gives every page the strongest type covering it (RAM < ACPI < NVS < reserved)
 * and then merges runs. Fixed seed: failures reproduce.
 */
#define MODEL_PAGES 48

static int model_rank(uint32_t t)
{
    return t == RAM ? 0 : t == ACPI ? 1 : t == NVS ? 2 : 3;
}

static void random_maps_match_page_model(void **state)
{
    static const uint32_t types[] = {RAM, RAM, RAM, ACPI, NVS, RSV};
    static const uint64_t bases[] = {0, 4 * GiB - 16 * 0x1000, 0x7fff00000000ULL};
    srand(20240611);
    for (int iter = 0; iter < 3000; iter++) {
        const uint64_t base = bases[iter % 3];
        struct memmap m = {.n = 0};
        uint32_t page[MODEL_PAGES];
        int rank[MODEL_PAGES];
        unsigned int nin = 1 + (unsigned int)rand() % 24;

        for (int p = 0; p < MODEL_PAGES; p++)
            rank[p] = -1;
        for (unsigned int i = 0; i < nin; i++) {
            unsigned int start = (unsigned int)rand() % MODEL_PAGES;
            unsigned int len = (unsigned int)rand() % 13; /* 0 = empty entry */
            uint32_t t = types[rand() % 6];
            if (start + len > MODEL_PAGES)
                len = MODEL_PAGES - start;
            assert_int_equal(memmap_add(&m, base + start * 0x1000ULL, len * 0x1000ULL, t), 0);
            for (unsigned int p = start; p < start + len; p++)
                if (model_rank(t) > rank[p]) {
                    rank[p] = model_rank(t);
                    page[p] = t;
                }
        }
        struct ent exp[MODEL_PAGES];
        unsigned int nexp = 0;
        for (unsigned int p = 0; p < MODEL_PAGES; p++) {
            if (rank[p] < 0)
                continue;
            if (nexp > 0 && exp[nexp - 1].type == page[p] &&
                exp[nexp - 1].addr + exp[nexp - 1].size == base + p * 0x1000ULL) {
                exp[nexp - 1].size += 0x1000;
                continue;
            }
            exp[nexp++] = (struct ent){base + p * 0x1000ULL, 0x1000, page[p]};
        }
        struct memmap in = m;
        memmap_sanitize(&m);
        int same = m.n == nexp;
        for (unsigned int i = 0; same && i < nexp; i++)
            same = m.e[i].addr == exp[i].addr && m.e[i].size == exp[i].size &&
                   m.e[i].type == exp[i].type;
        if (!same) {
            print_message("iteration %d\n", iter);
            print_map("input", in.e, in.n);
        }
        check_map(&m, exp, nexp, __FILE__, __LINE__);
    }
}

/* Issue 13 item 7: the console and xenstore pfns must not alias RAM or the kernel image. */
static void test_foreign_frame_outside_ram_and_image(void **state)
{
    struct memmap m = {.n = 0};
    memmap_add(&m, 0, 128 * MiB, RAM);
    memmap_add(&m, 0xfeff8000, 0x8000, RSV); /* libxl's special pages: where the rings live */
    memmap_add(&m, 4 * GiB, 1 * GiB, RAM);
    const uint64_t img_s = 1 * MiB, img_e = 3 * MiB;

    assert_int_equal(memmap_foreign_frame_ok(&m, 0xfeffc, img_s, img_e), 0);
    assert_int_equal(memmap_foreign_frame_ok(&m, 0xfeff8, img_s, img_e), 0);
    assert_int_equal(memmap_foreign_frame_ok(&m, 0x90000, img_s, img_e), 0);          /* a hole */
    assert_int_equal(memmap_foreign_frame_ok(&m, 0x8000 - 1, img_s, img_e), -EINVAL); /* RAM */
    assert_int_equal(memmap_foreign_frame_ok(&m, 0x8000, img_s, img_e), 0); /* just above */
    assert_int_equal(memmap_foreign_frame_ok(&m, 0x100000, img_s, img_e), -EINVAL);
    assert_int_equal(memmap_foreign_frame_ok(&m, 0x140000, img_s, img_e), 0);
    /* The image, even where the map does not call it RAM. */
    struct memmap none = {.n = 0};
    assert_int_equal(memmap_foreign_frame_ok(&none, img_s >> 12, img_s, img_e), -EINVAL);
    assert_int_equal(memmap_foreign_frame_ok(&none, (img_e >> 12) - 1, img_s, img_e), -EINVAL);
    assert_int_equal(memmap_foreign_frame_ok(&none, img_e >> 12, img_s, img_e), 0);
    assert_int_equal(memmap_foreign_frame_ok(&none, (img_s >> 12) - 1, img_s, img_e), 0);
    /* A RAM range partly covering a page; the top frame; a pfn past 2^64 bytes. */
    struct memmap odd = {.n = 0};
    memmap_add(&odd, 0x5000 + 0x800, 0x100, RAM);
    memmap_add(&odd, UINT64_MAX - 0xfff, 0x1000, RAM);
    assert_int_equal(memmap_foreign_frame_ok(&odd, 5, 0, 0), -EINVAL);
    assert_int_equal(memmap_foreign_frame_ok(&odd, UINT64_MAX >> 12, 0, 0), -EINVAL);
    assert_int_equal(memmap_foreign_frame_ok(&odd, UINT64_MAX, 0, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_frame_outside_ram_and_image),
        cmocka_unit_test(add_appends_entries_verbatim_without_checks),
        cmocka_unit_test(add_fills_all_slots_then_returns_enospc),
        cmocka_unit_test(sanitize_empty_map_stays_empty),
        cmocka_unit_test(sanitize_single_entry_unchanged),
        cmocka_unit_test(sanitize_only_zero_length_entries_gives_empty_map),
        cmocka_unit_test(sanitize_drops_zero_length_entries),
        cmocka_unit_test(sanitize_sorts_unsorted_input),
        cmocka_unit_test(sanitize_sorts_reverse_order),
        cmocka_unit_test(sanitize_preserves_holes),
        cmocka_unit_test(overlap_reserved_inside_ram_splits_ram),
        cmocka_unit_test(overlap_reserved_inside_ram_listed_first),
        cmocka_unit_test(overlap_ram_inside_reserved_disappears),
        cmocka_unit_test(overlap_reserved_covers_left_part_of_ram),
        cmocka_unit_test(overlap_reserved_covers_right_part_of_ram),
        cmocka_unit_test(overlap_reserved_shares_start_with_ram),
        cmocka_unit_test(overlap_reserved_shares_end_with_ram),
        cmocka_unit_test(overlap_identical_ram_and_reserved_gives_reserved),
        cmocka_unit_test(overlap_byte_granular_boundaries_kept_exact),
        cmocka_unit_test(overlap_many_reserved_punch_holes_in_one_ram),
        cmocka_unit_test(overlap_strength_order_ram_acpi_nvs_reserved),
        cmocka_unit_test(overlap_weaker_types_inside_stronger_vanish),
        cmocka_unit_test(overlap_acpi_beats_ram),
        cmocka_unit_test(overlap_nvs_beats_acpi),
        cmocka_unit_test(overlap_reserved_and_unusable_beat_nvs),
        cmocka_unit_test(overlap_unknown_type_beats_ram_acpi_and_nvs),
        cmocka_unit_test(overlap_same_type_ranges_merge),
        cmocka_unit_test(adjacent_same_type_merged),
        cmocka_unit_test(adjacent_same_type_merged_regardless_of_order),
        cmocka_unit_test(adjacent_different_types_kept_apart),
        cmocka_unit_test(adjacent_pieces_rejoin_after_overlap_resolution),
        cmocka_unit_test(entries_above_4g_kept_and_counted),
        cmocka_unit_test(entry_crossing_4g_split_by_reserved_above),
        cmocka_unit_test(ram_bytes_larger_than_4g_total),
        cmocka_unit_test(range_wrapping_past_2_64_is_clipped),
        cmocka_unit_test(range_of_maximal_size_is_clipped),
        cmocka_unit_test(wrapping_reserved_beats_wrapping_ram),
        cmocka_unit_test(full_table_of_disjoint_entries_survives),
        cmocka_unit_test(full_table_of_adjacent_ram_merges_to_one),
        cmocka_unit_test(sanitize_result_larger_than_table_stays_safe),
        cmocka_unit_test(qemu_q35_map_passes_through_unchanged),
        cmocka_unit_test(qemu_q35_map_shuffled_with_duplicates),
        cmocka_unit_test(xen_pvh_small_guest_map),
        cmocka_unit_test(xen_pvh_large_guest_map_with_highmem),
        cmocka_unit_test(ram_bytes_counts_only_ram),
        cmocka_unit_test(type_names),
        cmocka_unit_test(sanitize_is_idempotent),
        cmocka_unit_test(random_maps_match_page_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
