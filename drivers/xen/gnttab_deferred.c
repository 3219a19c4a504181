/*
 * The list of grants set aside because the other domain still mapped their pages
 * when we revoked them (see gnttab_deferred.h). A FIFO, so the oldest is retried
 * first and reports read in order. Host tested (tests/unit/test_gnttab_deferred.c).
 */
#include <stddef.h>
#include "drivers/xen/gnttab_deferred.h"

void gnttab_deferred_init(struct gnttab_deferred *d)
{
    d->head = NULL;
    d->tail = &d->head;
    d->waiting = 0;
    d->deferred = d->released = 0;
}

void gnttab_deferred_add(struct gnttab_deferred *d, struct gnttab_deferred_entry *e,
                         grant_ref_t ref, void *page, uint64_t now_ns)
{
    e->next = NULL;
    e->ref = ref;
    e->page = page;
    e->since_ns = now_ns;
    e->tries = 0;
    *d->tail = e;
    d->tail = &e->next;
    d->waiting++;
    d->deferred++;
}

struct gnttab_deferred_entry *
gnttab_deferred_retry(struct gnttab_deferred *d, int (*end)(grant_ref_t ref, void *arg), void *arg)
{
    struct gnttab_deferred_entry *done = NULL, **done_tail = &done;
    struct gnttab_deferred_entry **link = &d->head;
    while (*link) {
        struct gnttab_deferred_entry *e = *link;
        if (end(e->ref, arg) != 0) {
            e->tries++;
            link = &e->next;
            continue;
        }
        *link = e->next;
        e->next = NULL;
        *done_tail = e;
        done_tail = &e->next;
        d->waiting--;
        d->released++;
    }
    d->tail = link;
    return done;
}
