/*
 * Grant table growth: grant 3,000 pages to dom0 (several frames' worth, so the
 * table must grow), end every grant, then grant them again (refs are reused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/mm.h"
#include "drivers/xen/gnttab.h"

#define N 3000

static grant_ref_t refs[N];

int main(void)
{
    unsigned int before, after, max;
    char *pages = pages_alloc(1);
    if (!pages)
        return 1;
    gnttab_frames(&before, &max);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            int rc = gnttab_grant_access(0, (uintptr_t)pages >> 12, i & 1, &refs[i]);
            if (rc < 0) {
                printf("grants: grant %d failed: %d\n", i, rc);
                return 1;
            }
            for (int j = 0; j < i && round == 0 && i < 600; j++)
                if (refs[j] == refs[i]) {
                    printf("grants: ref %u handed out twice\n", refs[i]);
                    return 1;
                }
        }
        for (int i = 0; i < N; i++)
            if (gnttab_end_access(refs[i]) < 0) {
                printf("grants: end_access %u failed\n", refs[i]);
                return 1;
            }
        if (gnttab_end_access(refs[0]) != -EINVAL) {
            printf("grants: ending a freed ref was not refused\n");
            return 1;
        }
    }
    gnttab_frames(&after, &max);
    printf("grants: table grew from %u to %u frames (max %u)\n", before, after, max);
    if (after <= before)
        return 1;
    printf("grants: all ok\n");
    return 0;
}
