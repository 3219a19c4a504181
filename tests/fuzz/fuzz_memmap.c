// libFuzzer target for core/memmap.c: a memory map as the toolstack or Xen may hand it
// over (unsorted, overlapping, empty, wrapping entries, any types), sanitized. The result
// must be sorted, non-empty, non-overlapping, merged, and give every byte the strongest
// type that covered it in the input (RAM never wins over anything else); when entries
// were dropped for space, only the top of the map may be missing, never turned into RAM.
// FUZZ-SOURCES: core/memmap.c
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "core/memmap.h"

static struct memmap in, out;

static int rank(uint32_t t)
{
    return t == MEMMAP_RAM ? 0 : t == MEMMAP_ACPI ? 1 : t == MEMMAP_NVS ? 2 : 3;
}

static uint64_t end_of(const struct memmap_entry *e)
{
    return e->addr + e->size < e->addr ? UINT64_MAX : e->addr + e->size;
}

#define HOLE (-1LL)

/* The type the input gives byte x (the strongest covering it), or HOLE. */
static long long input_type(uint64_t x)
{
    int best = -1;
    long long type = HOLE;
    for (unsigned int i = 0; i < in.n; i++) {
        const struct memmap_entry *e = &in.e[i];
        if (e->size && e->addr <= x && x < end_of(e) && rank(e->type) > best) {
            best = rank(e->type);
            type = e->type;
        }
    }
    return type;
}

/* The output is sorted (checked first): a binary search. */
static long long output_type(uint64_t x)
{
    unsigned int lo = 0, hi = out.n;
    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        if (x < out.e[mid].addr)
            hi = mid;
        else if (x - out.e[mid].addr >= out.e[mid].size)
            lo = mid + 1;
        else
            return out.e[mid].type;
    }
    return HOLE;
}

static void check_point(uint64_t x, uint64_t covered_below)
{
    if (x >= covered_below)
        return; /* dropped for space (-ENOSPC): may be missing, never RAM (checked below) */
    CHECK(input_type(x) == output_type(x));
}

/* Small numbers make overlaps likely; the top bit of a byte asks for a full 64-bit value. */
static uint64_t take_addr(struct fuzz_in *f)
{
    uint8_t k = fuzz_u8(f);
    if (k & 0x80)
        return fuzz_u64(f);
    return (uint64_t)(k & 0x7f) << (12 + (fuzz_u8(f) & 0xf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in f = {data, size};
    memset(&in, 0, sizeof(in));
    while (f.n && in.n < MEMMAP_MAX) {
        uint64_t addr = take_addr(&f), len = take_addr(&f);
        uint32_t type = fuzz_u8(&f) % 8;
        CHECK(memmap_add(&in, addr, len, type) == 0);
    }
    if (in.n == MEMMAP_MAX)
        CHECK(memmap_add(&in, 0, 1, 1) == -ENOSPC && in.n == MEMMAP_MAX);
    out = in;
    int rc = memmap_sanitize(&out);
    CHECK(rc == 0 || rc == -ENOSPC);
    CHECK(out.n <= MEMMAP_MAX);
    if (rc == -ENOSPC)
        CHECK(out.n == MEMMAP_MAX);

    uint64_t ram = 0;
    for (unsigned int i = 0; i < out.n; i++) {
        const struct memmap_entry *e = &out.e[i];
        CHECK(e->size > 0 && e->addr + e->size > e->addr);
        CHECK(input_type(e->addr) == e->type);
        if (i) {
            const struct memmap_entry *p = &out.e[i - 1];
            CHECK(p->addr + p->size <= e->addr);
            CHECK(p->addr + p->size < e->addr || p->type != e->type); /* merged */
        }
        if (e->type == MEMMAP_RAM)
            ram += e->size;
    }
    CHECK(memmap_ram_bytes(&out) == ram);
    CHECK(memmap_type_name(in.n ? in.e[0].type : 0) != NULL);

    /* Every boundary of the input (and the bytes either side) classified as the input says. */
    uint64_t covered = rc == 0 ? UINT64_MAX : out.e[out.n - 1].addr + out.e[out.n - 1].size;
    for (unsigned int i = 0; i < in.n; i++) {
        uint64_t a = in.e[i].addr, b = end_of(&in.e[i]);
        check_point(a, covered);
        check_point(a - 1, covered);
        check_point(b, covered);
        check_point(b - 1, covered);
    }
    /* Foreign pages (console, xenstore rings): refused on RAM or the image, by any byte. */
    for (unsigned int i = 0; i < out.n && i < 8; i++) {
        uint64_t pfn = (out.e[i].addr >> 12) + (i & 1), img_s = 1ULL << 20, img_e = 3ULL << 20;
        uint64_t pa = pfn << 12;
        int ram = input_type(pa) == MEMMAP_RAM || input_type(pa + 4095) == MEMMAP_RAM;
        for (unsigned int k = 0; k < out.n && !ram; k++)
            ram =
                out.e[k].type == MEMMAP_RAM && out.e[k].addr < pa + 4096 && end_of(&out.e[k]) > pa;
        int want = (ram || (pa < img_e && pa + 4096 > img_s)) ? -EINVAL : 0;
        if (pfn <= (UINT64_MAX >> 12) && pa + 4096 > pa && rc == 0)
            CHECK(memmap_foreign_frame_ok(&out, pfn, img_s, img_e) == want);
    }
    /* Past a dropped top, nothing at all is claimed. */
    for (unsigned int i = 0; i < out.n; i++)
        CHECK(end_of(&out.e[i]) <= covered);
    return 0;
}
