/*
 * Memory map sanitizer. Toolstacks hand us maps that may be unsorted, overlap or
 * hold empty entries; everything after boot trusts only the sanitized result.
 * Pure logic: no hypercalls, tested on the host (tests/unit/test_memmap.c).
 */
#include <errno.h>
#include "core/memmap.h"

int memmap_add(struct memmap *m, uint64_t addr, uint64_t size, uint32_t type)
{
    if (m->n >= MEMMAP_MAX)
        return -ENOSPC;
    m->e[m->n].addr = addr;
    m->e[m->n].size = size;
    m->e[m->n].type = type;
    m->n++;
    return 0;
}

/* Where two entries overlap, the higher rank wins. RAM is the weakest claim. */
static int type_rank(uint32_t type)
{
    switch (type) {
    case MEMMAP_RAM:
        return 0;
    case MEMMAP_ACPI:
        return 1;
    case MEMMAP_NVS:
        return 2;
    default:
        return 3;
    }
}

static uint64_t entry_end(const struct memmap_entry *e)
{
    uint64_t end = e->addr + e->size;
    return end < e->addr ? UINT64_MAX : end; /* clip a wrapping range */
}

static void sort_u64(uint64_t *v, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++) {
        uint64_t x = v[i];
        unsigned int j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/*
 * Sweep over every boundary point: each elementary interval between two
 * consecutive boundaries takes the strongest type covering it. O(n^2) on at most
 * MEMMAP_MAX entries, run once at boot.
 */
int memmap_sanitize(struct memmap *m)
{
    uint64_t pts[2 * MEMMAP_MAX];
    unsigned int npts = 0;
    struct memmap in = *m;

    for (unsigned int i = 0; i < in.n; i++) {
        if (in.e[i].size == 0)
            continue;
        pts[npts++] = in.e[i].addr;
        pts[npts++] = entry_end(&in.e[i]);
    }
    sort_u64(pts, npts);

    m->n = 0;
    for (unsigned int p = 0; p + 1 < npts; p++) {
        uint64_t lo = pts[p], hi = pts[p + 1];
        int best = -1;
        uint32_t type = 0;

        if (lo == hi)
            continue;
        for (unsigned int i = 0; i < in.n; i++) {
            const struct memmap_entry *e = &in.e[i];
            if (e->size == 0 || e->addr > lo || entry_end(e) < hi)
                continue;
            if (type_rank(e->type) > best) {
                best = type_rank(e->type);
                type = e->type;
            }
        }
        if (best < 0)
            continue; /* a hole */
        if (m->n > 0) {
            struct memmap_entry *last = &m->e[m->n - 1];
            if (last->type == type && last->addr + last->size == lo) {
                last->size += hi - lo;
                continue;
            }
        }
        if (memmap_add(m, lo, hi - lo, type) < 0)
            return -ENOSPC;
    }
    return 0;
}

uint64_t memmap_ram_bytes(const struct memmap *m)
{
    uint64_t total = 0;
    for (unsigned int i = 0; i < m->n; i++)
        if (m->e[i].type == MEMMAP_RAM)
            total += m->e[i].size;
    return total;
}

const char *memmap_type_name(uint32_t type)
{
    switch (type) {
    case MEMMAP_RAM:
        return "RAM";
    case MEMMAP_RESERVED:
        return "reserved";
    case MEMMAP_ACPI:
        return "ACPI";
    case MEMMAP_NVS:
        return "NVS";
    case MEMMAP_UNUSABLE:
        return "unusable";
    default:
        return "other";
    }
}

int memmap_foreign_frame_ok(const struct memmap *m, uint64_t pfn, uint64_t image_start,
                            uint64_t image_end)
{
    if (pfn > (UINT64_MAX >> 12))
        return -EINVAL;
    uint64_t s = pfn << 12, e = s + 4096; /* e wraps to 0 only for the top frame */
    if (s < image_end && (e > image_start || e == 0))
        return -EINVAL;
    for (unsigned int i = 0; i < m->n; i++) {
        const struct memmap_entry *r = &m->e[i];
        if (r->type == MEMMAP_RAM && s < entry_end(r) && (e > r->addr || e == 0))
            return -EINVAL;
    }
    return 0;
}
