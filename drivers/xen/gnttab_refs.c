/*
 * Grant reference free list, as pure logic: the list is threaded through an array
 * of one word per grant entry, so allocation and free are O(1), the table can grow
 * without moving anyone's refs, and a word that says "in use" makes double frees
 * and frees of refs never handed out detectable. No hypercalls, no allocation, no
 * locking: the grant table code maps the frames and serializes. Host tested.
 */
#include <errno.h>
#include "drivers/xen/gnttab_refs.h"

/* Mark [from, to) in use where reserved, and thread the rest onto the free list in order. */
static void add_entries(struct gnttab_refs *r, uint32_t from, uint32_t to)
{
    uint32_t first = from < GNTTAB_NR_RESERVED_ENTRIES ? GNTTAB_NR_RESERVED_ENTRIES : from;

    for (uint32_t i = from; i < to && i < first; i++)
        r->next[i] = GNTTAB_REFS_IN_USE;
    if (first >= to)
        return;
    for (uint32_t i = first; i < to - 1; i++)
        r->next[i] = i + 1;
    r->next[to - 1] = r->head;
    r->head = first;
    r->nr_free += to - first;
}

int gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr_entries)
{
    if (nr_entries > GNTTAB_REFS_MAX)
        return -EINVAL;
    r->next = next;
    r->nr_entries = nr_entries;
    r->nr_free = 0;
    r->head = GNTTAB_REFS_END;
    add_entries(r, 0, nr_entries);
    return 0;
}

int gnttab_refs_grow(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr_entries)
{
    if (nr_entries < r->nr_entries || nr_entries > GNTTAB_REFS_MAX)
        return -EINVAL;
    if (next != r->next) {
        for (uint32_t i = 0; i < r->nr_entries; i++)
            next[i] = r->next[i];
        r->next = next;
    }
    add_entries(r, r->nr_entries, nr_entries);
    r->nr_entries = nr_entries;
    return 0;
}

int gnttab_refs_alloc(struct gnttab_refs *r, grant_ref_t *ref)
{
    if (r->head == GNTTAB_REFS_END)
        return -ENOSPC;
    *ref = r->head;
    r->head = r->next[*ref];
    r->next[*ref] = GNTTAB_REFS_IN_USE;
    r->nr_free--;
    return 0;
}

int gnttab_refs_alloc_n(struct gnttab_refs *r, grant_ref_t *refs, uint32_t n)
{
    if (n > r->nr_free)
        return -ENOSPC;
    for (uint32_t i = 0; i < n; i++)
        gnttab_refs_alloc(r, &refs[i]);
    return 0;
}

bool gnttab_refs_in_use(const struct gnttab_refs *r, grant_ref_t ref)
{
    return ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < r->nr_entries &&
           r->next[ref] == GNTTAB_REFS_IN_USE;
}

int gnttab_refs_free(struct gnttab_refs *r, grant_ref_t ref)
{
    if (!gnttab_refs_in_use(r, ref))
        return -EINVAL;
    r->next[ref] = r->head;
    r->head = ref;
    r->nr_free++;
    return 0;
}

uint32_t gnttab_refs_nr_free(const struct gnttab_refs *r)
{
    return r->nr_free;
}

uint32_t gnttab_refs_nr_in_use(const struct gnttab_refs *r)
{
    uint32_t usable =
        r->nr_entries > GNTTAB_NR_RESERVED_ENTRIES ? r->nr_entries - GNTTAB_NR_RESERVED_ENTRIES : 0;
    return usable - r->nr_free;
}
