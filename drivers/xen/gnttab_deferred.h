/*
 * Grants the other domain would not let go: it still mapped the page when we revoked.
 * Such a grant and its page are set aside and tried again later, and neither is used
 * for anything else meanwhile. Pure list logic: no hypercalls, no allocation, no
 * locking (drivers/xen/gnttab.c owns the entries, ends the grants and serializes).
 */
#ifndef XENOLITH_GNTTAB_DEFERRED_H
#define XENOLITH_GNTTAB_DEFERRED_H

#include <stdint.h>
#include <xen/grant_table.h>

struct gnttab_deferred_entry {
    struct gnttab_deferred_entry *next;
    grant_ref_t ref;
    void *page;
    uint64_t since_ns; /* when it was set aside */
    uint32_t tries;    /* retries that found it still mapped */
};

struct gnttab_deferred {
    struct gnttab_deferred_entry *head, **tail; /* oldest first */
    uint32_t waiting;
    uint64_t deferred, released; /* totals since boot */
};

void gnttab_deferred_init(struct gnttab_deferred *d);

/* Set aside `ref` and its `page` (in the caller's entry e) at now_ns. */
void gnttab_deferred_add(struct gnttab_deferred *d, struct gnttab_deferred_entry *e,
                         grant_ref_t ref, void *page, uint64_t now_ns);

/*
 * Try each entry once with end(ref, arg): 0 means the grant is revoked now, anything
 * else that the page is still mapped. Revoked entries leave the list and are
 * returned as a list, oldest first (their pages are the caller's again); the others
 * stay, in order, with their tries counted.
 */
struct gnttab_deferred_entry *
gnttab_deferred_retry(struct gnttab_deferred *d, int (*end)(grant_ref_t ref, void *arg), void *arg);

#endif
