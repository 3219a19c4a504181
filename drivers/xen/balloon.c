/*
 * Memory ballooning. The toolstack writes memory/target (KiB) to say how much RAM
 * this domain should have (xl mem-set); libxl reads nothing back but that node
 * and memory/static-max, so we write only control/feature-balloon, as Linux does.
 * Going down takes free frames from the allocator (never the last BALLOON_KEEP_FREE:
 * the kernel's floor), unmaps them from the identity map so a stray access faults,
 * and gives them to Xen with XENMEM_decrease_reservation. Going up repopulates
 * the frames we gave (XENMEM_populate_physmap with their GFNs: auto-translated),
 * maps them and frees them: never past the RAM of the boot-time memory map.
 * Runs in the xenstore watch thread, one request at a time.
 */
#include "core/kernel.h"
#include "core/callbacks.h"
#include "core/mm.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/balloon.h"
#include <xen/memory.h>
#include <xenolith/link.h>
#include <xenolith/memory.h>
#include <xenolith/xenstore.h>

#define BALLOON_BATCH     512
#define BALLOON_KEEP_FREE 512 /* frames (2 MiB) that stay free for the kernel */

static uint64_t batch[BALLOON_BATCH];
static struct xenolith_xs_watch target_watch;
static uint64_t given_total, taken_total; /* frames given to Xen / got back, ever */

const char xenolith_link_balloon = 1;

static struct callback_list watchers; /* xenolith_memory_fn */

/* Here, not in core/mm.c: the size changes only by ballooning, so a watcher links it. */
int xenolith_memory_on_change(xenolith_memory_fn fn, void *arg)
{
    return callback_add(&watchers, (callback_fn)fn, arg);
}

static void notify_change(void)
{
    uint64_t total, free;
    xenolith_memory_info(&total, &free);
    callback_each(&watchers, m)((xenolith_memory_fn)m->fn)(total, free, m->arg);
}

static uint64_t current_pages(void)
{
    return mm_total_pages() - mm_absent_pages();
}

/* Map (or unmap) the frames of pfns[0..n) in runs of consecutive frames. */
static int map_runs(const uint64_t *pfns, uint64_t n, int map)
{
    for (uint64_t i = 0; i < n;) {
        uint64_t lo = pfns[i], len = 1;
        while (i + len < n && (pfns[i + len] == lo + len || pfns[i + len] == lo - 1)) {
            if (pfns[i + len] == lo - 1)
                lo--;
            len++;
        }
        if (map && vm_map(lo << PAGE_SHIFT, lo << PAGE_SHIFT, len, VM_RW) < 0)
            return -ENOMEM;
        if (!map)
            vm_unmap(lo << PAGE_SHIFT, len);
        i += len;
    }
    return 0;
}

static long reservation_op(int cmd, uint64_t *pfns, uint64_t n)
{
    struct xen_memory_reservation r = {
        .nr_extents = n,
        .extent_order = 0,
        .domid = DOMID_SELF,
    };
    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)pfns);
    return hypercall_memory_op(cmd, &r);
}

/* Frames back into the allocator (they are populated and mapped). */
static void give_back(const uint64_t *pfns, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        mm_balloon_give(pfns[i]);
}

static void balloon_decrease(uint64_t n)
{
    while (n) {
        uint64_t k = mm_balloon_take(batch, MIN(n, BALLOON_BATCH), BALLOON_KEEP_FREE);
        if (!k)
            return;
        map_runs(batch, k, 0);
        long done = reservation_op(XENMEM_decrease_reservation, batch, k);
        if (done < 0)
            done = 0;
        given_total += (uint64_t)done;
        if ((uint64_t)done < k) {
            printk("balloon: Xen took %ld of %lu frames; keeping the rest\n", done,
                   (unsigned long)k);
            if (map_runs(batch + done, k - (uint64_t)done, 1) == 0)
                give_back(batch + done, k - (uint64_t)done);
            return;
        }
        n -= k;
    }
}

static void balloon_increase(uint64_t n)
{
    while (n) {
        uint64_t k = mm_balloon_absent(batch, MIN(n, BALLOON_BATCH));
        if (!k)
            return;
        long done = reservation_op(XENMEM_populate_physmap, batch, k);
        if (done < 0)
            done = 0;
        if (done > 0 && map_runs(batch, (uint64_t)done, 1) < 0) {
            printk("balloon: no memory for page tables; %ld frames stay out\n", done);
            reservation_op(XENMEM_decrease_reservation, batch, (uint64_t)done);
            return;
        }
        give_back(batch, (uint64_t)done);
        taken_total += (uint64_t)done;
        if ((uint64_t)done < k) {
            printk("balloon: Xen gave %ld of %lu frames (the domain's maximum?)\n", done,
                   (unsigned long)k);
            return;
        }
        n -= k;
    }
}

/* memory/target as a number of KiB: digits only, no sign, no overflow. */
static int parse_kib(const char *s, uint64_t *kib)
{
    uint64_t v = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *kib = v;
    return 0;
}

static void printable(char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            *s = '?';
}

static void target_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    char buf[32];
    uint64_t kib;
    int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, "memory/target", buf, sizeof(buf));
    if (rc == -ENOENT)
        return;
    if (rc < 0 || parse_kib(buf, &kib) < 0) {
        if (rc >= 0)
            printable(buf);
        printk("balloon: memory/target \"%s\" is not a number of KiB; ignored\n",
               rc < 0 ? "(too long or unreadable)" : buf);
        return;
    }
    uint64_t cur = current_pages(), max = mm_total_pages(), free = mm_free_pages();
    uint64_t floor = cur - (free > BALLOON_KEEP_FREE ? free - BALLOON_KEEP_FREE : 0);
    uint64_t want = kib / 4;
    if (want > max) {
        printk("balloon: target %lu KiB is above this domain's %lu KiB of RAM; going to %lu KiB\n",
               (unsigned long)kib, (unsigned long)(max * 4), (unsigned long)(max * 4));
        want = max;
    }
    if (want < floor) {
        printk("balloon: target %lu KiB is below what this domain can give up (%lu KiB: in use, "
               "plus %lu KiB kept free for the kernel); going to %lu KiB\n",
               (unsigned long)kib, (unsigned long)(floor * 4),
               (unsigned long)(BALLOON_KEEP_FREE * 4), (unsigned long)(floor * 4));
        want = floor;
    }
    if (want == cur)
        return;
    if (want < cur)
        balloon_decrease(cur - want);
    else
        balloon_increase(want - cur);
    printk("balloon: now %lu KiB of %lu KiB (target %lu KiB), %lu KiB free; %lu frames given to "
           "Xen, %lu taken back so far\n",
           (unsigned long)(current_pages() * 4), (unsigned long)(max * 4),
           (unsigned long)(want * 4), (unsigned long)(mm_free_pages() * 4),
           (unsigned long)given_total, (unsigned long)taken_total);
    notify_change();
}

int balloon_init(void)
{
    /* Some xenstoreds refuse guests this node; ballooning works without it. */
    xenolith_xs_write(XENOLITH_XS_NO_TX, "control/feature-balloon", "1");
    int rc = xenolith_xs_watch(&target_watch, "memory/target", target_changed, NULL);
    if (rc < 0)
        printk("balloon: cannot watch memory/target (%d); no ballooning\n", rc);
    return rc;
}
