/*
 * Grant table growth, to the end: grant one page to dom0 until the table is full. It
 * must have grown to Xen's maximum frames and then refuse with -ENOSPC; ending one
 * grant must make room for exactly one more; after ending every grant, 3,000 new ones
 * (refs reused) must go through again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/mm.h"
#include "drivers/xen/gnttab.h"

#define REFS_PER_FRAME 512 /* v1 entries are 8 bytes */
#define AGAIN          3000

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("grants: FAILED: " __VA_ARGS__);                                                    \
        printf("\n");                                                                              \
        return 1;                                                                                  \
    } while (0)

int main(void)
{
    unsigned int before, after, max;
    char *page = pages_alloc(1);
    if (!page)
        return 1;
    uint64_t gfn = (uintptr_t)page >> 12;
    gnttab_frames(&before, &max);
    size_t cap = (size_t)max * REFS_PER_FRAME;
    grant_ref_t *refs = malloc(cap * sizeof(*refs));
    if (!refs)
        FAIL("out of memory for %zu refs", cap);

    /* Fill the table. */
    size_t n = 0;
    int rc;
    while ((rc = gnttab_grant_access(0, gfn, n & 1, &refs[n])) == 0) {
        if (++n > cap)
            FAIL("more than %zu grants in a table of %u frames", cap, max);
        for (size_t j = 0; n <= 600 && j + 1 < n; j++)
            if (refs[j] == refs[n - 1])
                FAIL("ref %u handed out twice", refs[n - 1]);
    }
    gnttab_frames(&after, &max);
    printf("grants: %zu granted, then %d; table grew from %u to %u frames (Xen's maximum %u)\n", n,
           rc, before, after, max);
    if (rc != -ENOSPC)
        FAIL("a full table answered %d, not -ENOSPC", rc);
    if (after != max)
        FAIL("the table stopped growing at %u of %u frames", after, max);
    if (n < cap - REFS_PER_FRAME)
        FAIL("only %zu of the %zu refs could be used", n, cap);

    /* Recovery: one freed ref is one more grant, and the table is full again after it. */
    if (gnttab_end_access(refs[n / 2]) < 0)
        FAIL("end_access %u failed", refs[n / 2]);
    if ((rc = gnttab_grant_access(0, gfn, 0, &refs[n / 2])) < 0)
        FAIL("no grant after one was ended: %d", rc);
    grant_ref_t extra;
    if ((rc = gnttab_grant_access(0, gfn, 0, &extra)) != -ENOSPC)
        FAIL("the table full again answered %d, not -ENOSPC", rc);

    for (size_t i = 0; i < n; i++)
        if (gnttab_end_access(refs[i]) < 0)
            FAIL("end_access %u failed", refs[i]);
    if (gnttab_end_access(refs[0]) != -EINVAL)
        FAIL("ending a freed ref was not refused");

    /* Everything usable again. */
    for (int i = 0; i < AGAIN; i++)
        if ((rc = gnttab_grant_access(0, gfn, i & 1, &refs[i])) < 0)
            FAIL("grant %d after the table emptied failed: %d", i, rc);
    for (int i = 0; i < AGAIN; i++)
        if (gnttab_end_access(refs[i]) < 0)
            FAIL("end_access %u failed", refs[i]);
    printf("grants: full table refused with ENOSPC and recovered\n");
    free(refs);
    printf("grants: all ok\n");
    return 0;
}
