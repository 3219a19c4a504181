/*
 * The PV entry. xl >= 4.9 ignores the PVHv1 `pvh=1` and builds a PV domain,
 * which would otherwise fail or run us in a mode we do not support. We only say
 * what is wrong on the guest console, wait for it to be read, and crash the domain.
 * Runs in ring 3 on Xen's initial page tables; touches nothing else of the kernel.
 */
#include "core/kernel.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/ring_write.h"
#include <xen/event_channel.h>
#include <xen/sched.h>

static const char pv_message[] =
    "\nxenolith: this is a PVH kernel, but it was started as a PV guest.\n"
    "xenolith: `pvh=1` is the pre-Xen-4.9 (PVHv1) spelling, which today's xl ignores.\n"
    "xenolith: put type=\"pvh\" in the domain config (and remove pvh=1).\n"
    "xenolith: crashed\n";

void pv_legacy_main(const start_info_t *si);

void pv_legacy_main(const start_info_t *si)
{
    /* The ring's frame is named by MFN; the M2P table gives its PFN, mapped at pfn << 12. */
    const unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
    unsigned long pfn = m2p[si->console.domU.mfn];
    struct xencons_interface *r = (struct xencons_interface *)(pfn << 12);
    struct evtchn_send send = {.port = si->console.domU.evtchn};
    const char *s = pv_message;
    size_t n = sizeof(pv_message) - 1;
    int pending_cr = 0;

    for (int spins = 0; (n || r->out_cons != r->out_prod) && spins < 100000; spins++) {
        long put = xencons_ring_put(r, s, n, &pending_cr);
        if (put < 0)
            break;
        s += put;
        n -= (size_t)put;
        hypercall_event_channel_op(EVTCHNOP_send, &send);
        hypercall_sched_op(SCHEDOP_yield, NULL);
    }
    struct sched_shutdown sd = {.reason = SHUTDOWN_crash};
    for (;;)
        hypercall_sched_op(SCHEDOP_shutdown, &sd);
}
