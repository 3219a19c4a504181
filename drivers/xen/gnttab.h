/*
 * Grant tables (v1): let another domain (a backend) access one of our pages.
 * From thread or interrupt context; the table grows on demand up to Xen's limit.
 */
#ifndef XENOLITH_GNTTAB_H
#define XENOLITH_GNTTAB_H

#include <stdint.h>
#include <xen/grant_table.h>

/*
 * Query the table size, reserve guest-physical room for all of it, map the first
 * frame (boot, on the boot VCPU). Resume in a new domain: map the table's frames
 * again. Boot and resume call both through weak references (#pragma weak): an image
 * that grants nothing (no driver, no call of the functions below) links neither and
 * sets up no grant table at all.
 */
int gnttab_init(void);
int gnttab_resume(void);

/*
 * Grant `domid` access to the page at guest frame `gfn` (read-only if readonly).
 * Returns 0 with *ref set, or -ENOSPC when the table is full at Xen's maximum.
 */
int gnttab_grant_access(domid_t domid, uint64_t gfn, int readonly, grant_ref_t *ref);

/*
 * Revoke a grant and free its ref. -EBUSY if the other domain still has the page
 * mapped: the grant stays in place and the caller must try again later.
 */
int gnttab_end_access(grant_ref_t ref);

/*
 * The caller is done with `page` for good: revoke its grant and free it. If the other
 * domain still maps it, neither the ref nor the page is used again until it lets go:
 * both are set aside, the console says so (naming `who`, e.g. "blk xvda"), and a
 * thread retries every second; the page is then cleared and freed. Thread context.
 * Returns 0 (freed), 1 (deferred) or -EINVAL (ref not handed out; page left alone).
 */
int gnttab_end_access_free(grant_ref_t ref, void *page, const char *who);

/* Grants deferred by gnttab_end_access_free and still mapped; deferred since boot. */
void gnttab_deferred_stats(unsigned int *waiting, uint64_t *total);

/* Frames mapped now and Xen's maximum, for the boot log and tests. */
void gnttab_frames(unsigned int *mapped, unsigned int *max);

/* Grants handed out now (for leak checks in tests). */
unsigned int gnttab_in_use(void);

#endif
