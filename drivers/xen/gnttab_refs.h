/* Grant references (grant table v1): the free list of entries, threaded through an array. */
#ifndef XENOLITH_GNTTAB_REFS_H
#define XENOLITH_GNTTAB_REFS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/grant_table.h>

/*
 * next[ref] holds the next free ref when ref is free (GNTTAB_REFS_END for the
 * last), or GNTTAB_REFS_IN_USE. Refs below GNTTAB_NR_RESERVED_ENTRIES belong to
 * the toolstack (console, xenstore) and are never free. Freed refs are handed out
 * again first (LIFO).
 *
 * No locking: the caller serializes every call on one struct (the grant table
 * code holds its lock). The caller owns the grant entries themselves: a ref is
 * freed only once its entry is revoked.
 */
#define GNTTAB_REFS_IN_USE ((grant_ref_t)0xffffffff)
#define GNTTAB_REFS_END    ((grant_ref_t)0xfffffffe)
#define GNTTAB_REFS_MAX    GNTTAB_REFS_END /* entries a table may have */

struct gnttab_refs {
    grant_ref_t *next; /* one per entry */
    uint32_t nr_entries;
    uint32_t nr_free;
    grant_ref_t head; /* first free ref, or GNTTAB_REFS_END */
};

/*
 * Track a table of nr_entries entries (the frames mapped so far times 512), with
 * next[] holding nr_entries elements. Every ref from GNTTAB_NR_RESERVED_ENTRIES
 * up starts free. Returns 0, or -EINVAL when nr_entries is above GNTTAB_REFS_MAX.
 */
int gnttab_refs_init(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr_entries);

/*
 * The table grew (more grant frames mapped) to nr_entries. next[] has room for
 * nr_entries elements: either the current array, or a new one that the current
 * state is copied into (the old one is then the caller's to release). Refs handed
 * out stay valid; the new ones are free. Returns 0, or -EINVAL when nr_entries is
 * smaller than now or above GNTTAB_REFS_MAX.
 */
int gnttab_refs_grow(struct gnttab_refs *r, grant_ref_t *next, uint32_t nr_entries);

/* Take a free ref. Returns 0, or -ENOSPC when none is free (grow the table). */
int gnttab_refs_alloc(struct gnttab_refs *r, grant_ref_t *ref);

/*
 * Take n free refs into refs[0..n), all or nothing. Returns 0, or -ENOSPC (and
 * takes none) when fewer than n are free.
 */
int gnttab_refs_alloc_n(struct gnttab_refs *r, grant_ref_t *refs, uint32_t n);

/*
 * Give a ref back. Returns 0, or -EINVAL when the ref is reserved, past the table
 * or already free (a double free): nothing changes then.
 */
int gnttab_refs_free(struct gnttab_refs *r, grant_ref_t ref);

/* Is the ref handed out? False for reserved and out-of-range refs. */
bool gnttab_refs_in_use(const struct gnttab_refs *r, grant_ref_t ref);

/* Free refs left. */
uint32_t gnttab_refs_nr_free(const struct gnttab_refs *r);

/* Refs handed out and not freed (reserved ones not counted): a leak check. */
uint32_t gnttab_refs_nr_in_use(const struct gnttab_refs *r);

#endif
