/*
 * Grant table v1. The whole table's guest-physical range is reserved in a hole
 * at boot; frames are added there (XENMAPSPACE_grant_table) as refs run out, up
 * to the maximum GNTTABOP_query_size reports. Free refs are a list threaded
 * through an array (gnttab_refs.c, host tested) that grows with the table.
 *
 * A page whose grant cannot be revoked (the other domain still maps it) is never
 * reused: gnttab_end_access_free sets it aside with its ref (gnttab_deferred.c), and
 * a thread tries them again every second; a page let go is cleared and freed then.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/gnttab.h"
#include "drivers/xen/gnttab_deferred.h"
#include "drivers/xen/gnttab_refs.h"
#include "drivers/xen/physmap.h"
#include <xen/memory.h>
#include <stdlib.h>
#include <string.h>

#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define DEFER_RETRY_NS    (1000ULL * 1000 * 1000)

static grant_entry_v1_t *table; /* at the reserved guest-physical range, identity mapped */
static uint64_t table_gpa;
static unsigned int nr_mapped, max_frames;
static struct gnttab_refs refs;
static grant_ref_t *next_array;
static size_t next_array_pages;
static spinlock_t gnttab_lock = SPINLOCK_INIT;

void gnttab_frames(unsigned int *mapped, unsigned int *max)
{
    *mapped = nr_mapped;
    *max = max_frames;
}

/* Map frame nr_mapped and grow the ref list over it. Caller holds gnttab_lock. */
static int grow_one_frame(void)
{
    if (nr_mapped >= max_frames)
        return -ENOSPC;
    uint64_t gpa = table_gpa + (uint64_t)nr_mapped * PAGE_SIZE;
    int rc = physmap_add(XENMAPSPACE_grant_table, nr_mapped, gpa >> PAGE_SHIFT);
    if (rc < 0) {
        printk("grants: Xen refused grant frame %u (%d)\n", nr_mapped, rc);
        return rc;
    }
    if (vm_map(gpa, gpa, 1, VM_RW) < 0)
        return -ENOMEM;

    uint32_t entries = (nr_mapped + 1) * ENTRIES_PER_FRAME;
    size_t pages = ALIGN_UP(entries * sizeof(grant_ref_t), PAGE_SIZE) / PAGE_SIZE;
    grant_ref_t *arr = next_array;
    if (pages > next_array_pages) {
        arr = pages_alloc(pages);
        if (!arr)
            return -ENOMEM;
    }
    rc = nr_mapped == 0 ? gnttab_refs_init(&refs, arr, entries)
                        : gnttab_refs_grow(&refs, arr, entries);
    if (rc < 0)
        return rc;
    if (arr != next_array) {
        if (next_array)
            pages_free(next_array, next_array_pages);
        next_array = arr;
        next_array_pages = pages;
    }
    nr_mapped++;
    return 0;
}

int gnttab_init(void)
{
    struct gnttab_query_size q = {.dom = DOMID_SELF};
    long rc = hypercall_grant_table_op(GNTTABOP_query_size, &q, 1);
    if (rc < 0 || q.status != GNTST_okay) {
        printk("grants: GNTTABOP_query_size failed (%ld/%d)\n", rc, q.status);
        return rc < 0 ? (int)rc : -EIO;
    }
    if (q.max_nr_frames == 0 || q.max_nr_frames > 4096) {
        printk("grants: implausible maximum of %u frames\n", q.max_nr_frames);
        return -EINVAL;
    }
    max_frames = q.max_nr_frames;
    table_gpa = physmap_alloc_hole(max_frames);
    if (!table_gpa)
        return -ENOMEM;
    table = (grant_entry_v1_t *)(uintptr_t)table_gpa;
    uint64_t flags = spin_lock_irqsave(&gnttab_lock);
    int r = grow_one_frame();
    spin_unlock_irqrestore(&gnttab_lock, flags);
    if (r == 0)
        printk("grants: v1, %u of %u frames mapped (%u refs each)\n", nr_mapped, max_frames,
               (unsigned int)ENTRIES_PER_FRAME);
    return r;
}

/*
 * Resume in a new domain: put the table's frames back at the same place. Grants
 * made before are void there (their backends are gone); drivers grant anew.
 */
int gnttab_resume(void)
{
    for (unsigned int i = 0; i < nr_mapped; i++) {
        uint64_t gpa = table_gpa + (uint64_t)i * PAGE_SIZE;
        int rc = physmap_add(XENMAPSPACE_grant_table, i, gpa >> PAGE_SHIFT);
        if (rc < 0) {
            printk("grants: frame %u not mapped again after resume (%d)\n", i, rc);
            return rc;
        }
    }
    return 0;
}

int gnttab_grant_access(domid_t domid, uint64_t gfn, int readonly, grant_ref_t *ref)
{
    if (gfn > UINT32_MAX || !table)
        return -EINVAL; /* v1 entries hold 32-bit frame numbers */
    uint64_t flags = spin_lock_irqsave(&gnttab_lock);
    int rc = gnttab_refs_alloc(&refs, ref);
    while (rc == -ENOSPC && grow_one_frame() == 0)
        rc = gnttab_refs_alloc(&refs, ref);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    if (rc < 0) {
        if (rc == -ENOSPC)
            printk("grants: table full (%u frames, Xen's maximum)\n", max_frames);
        return rc;
    }
    grant_entry_v1_t *e = &table[*ref];
    e->frame = (uint32_t)gfn;
    e->domid = domid;
    /* Frame and domid must be visible before the entry becomes valid. */
    __atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return 0;
}

int gnttab_end_access(grant_ref_t ref)
{
    if (!gnttab_refs_in_use(&refs, ref))
        return -EINVAL;
    grant_entry_v1_t *e = &table[ref];
    uint16_t f = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
    do {
        if (f & (GTF_reading | GTF_writing))
            return -EBUSY;
    } while (!__atomic_compare_exchange_n(&e->flags, &f, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
    uint64_t flags = spin_lock_irqsave(&gnttab_lock);
    gnttab_refs_free(&refs, ref);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return 0;
}

unsigned int gnttab_in_use(void)
{
    uint64_t flags = spin_lock_irqsave(&gnttab_lock);
    unsigned int n = gnttab_refs_nr_in_use(&refs);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return n;
}

/* ---- grants the other domain would not let go ---- */

static struct gnttab_deferred deferred = {.tail = &deferred.head};
static spinlock_t deferred_lock = SPINLOCK_INIT;
static struct waitq deferred_wq = WAITQ_INIT(deferred_wq);
static int deferred_thread_started;

/* 1, 10, 100, ...: a count worth a line on the console. */
static int worth_reporting(uint64_t n)
{
    while (n >= 10 && n % 10 == 0)
        n /= 10;
    return n == 1;
}

static int try_end(grant_ref_t ref, void *arg)
{
    return gnttab_end_access(ref);
}

/* Pages let go at last: clear what the backend may have written meanwhile, free them. */
static void release_deferred(struct gnttab_deferred_entry *done, unsigned int left)
{
    unsigned int n = 0;
    uint64_t oldest = 0, now = xenolith_time_now_ns();
    while (done) {
        struct gnttab_deferred_entry *e = done;
        done = e->next;
        memset(e->page, 0, PAGE_SIZE);
        pages_free(e->page, 1);
        oldest = MAX(oldest, now - e->since_ns);
        n++;
        free(e);
    }
    if (n)
        printk("grants: %u deferred grant%s let go after up to %llu ms; page%s cleared and freed "
               "(%u still deferred)\n",
               n, n == 1 ? "" : "s", (unsigned long long)(oldest / 1000000), n == 1 ? "" : "s",
               left);
}

static void *deferred_thread(void *arg)
{
    for (;;) {
        wait_event(&deferred_wq, __atomic_load_n(&deferred.waiting, __ATOMIC_ACQUIRE) != 0);
        xenolith_thread_sleep_ns(DEFER_RETRY_NS);
        uint64_t flags = spin_lock_irqsave(&deferred_lock);
        struct gnttab_deferred_entry *done = gnttab_deferred_retry(&deferred, try_end, NULL);
        unsigned int left = deferred.waiting;
        spin_unlock_irqrestore(&deferred_lock, flags);
        release_deferred(done, left);
    }
    return NULL;
}

static void start_deferred_thread(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&deferred_thread_started, &expect, 1, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return;
    struct xenolith_thread *t =
        xenolith_thread_create("gnttab-deferred", deferred_thread, NULL, 0, 0);
    if (!t) {
        printk("grants: no thread to retry deferred grants; the next deferral tries again\n");
        __atomic_store_n(&deferred_thread_started, 0, __ATOMIC_RELEASE);
        return;
    }
    xenolith_thread_detach(t);
}

int gnttab_end_access_free(grant_ref_t ref, void *page, const char *who)
{
    int rc = gnttab_end_access(ref);
    if (rc == 0) {
        pages_free(page, 1);
        return 0;
    }
    if (rc != -EBUSY) {
        printk("grants: %s: grant %u is not ours to end (%d); page %p left alone\n", who, ref, rc,
               page);
        return rc;
    }
    domid_t dom = table[ref].domid;
    struct gnttab_deferred_entry *e = malloc(sizeof(*e));
    if (!e) {
        printk("grants: %s: page %p still mapped by domain %u (grant %u) and no memory to track "
               "it: kept out of use for good\n",
               who, page, dom, ref);
        return 1;
    }
    uint64_t flags = spin_lock_irqsave(&deferred_lock);
    gnttab_deferred_add(&deferred, e, ref, page, xenolith_time_now_ns());
    uint64_t nth = deferred.deferred;
    unsigned int waiting = deferred.waiting;
    spin_unlock_irqrestore(&deferred_lock, flags);
    if (nth <= 4 || worth_reporting(nth))
        printk("grants: %s: page %p still mapped by domain %u (grant %u) after we revoked it; "
               "deferred, not reused, retried every second (%u waiting, %llu so far)\n",
               who, page, dom, ref, waiting, (unsigned long long)nth);
    start_deferred_thread();
    waitq_wake_all(&deferred_wq);
    return 1;
}

void gnttab_deferred_stats(unsigned int *waiting, uint64_t *total)
{
    uint64_t flags = spin_lock_irqsave(&deferred_lock);
    *waiting = deferred.waiting;
    *total = deferred.deferred;
    spin_unlock_irqrestore(&deferred_lock, flags);
}
