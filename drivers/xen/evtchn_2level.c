/*
 * The 2-level event channel ABI: pending and mask bitmaps in shared_info, a
 * per-VCPU selector word saying which bitmap words to look at.
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "drivers/xen/evtchn_abi.h"
#include "drivers/xen/shared_info.h"

#define BITS_PER_WORD 64

static int setup_port(evtchn_port_t port)
{
    return port < evtchn_abi_2level.max_ports ? 0 : -ENOSPC;
}

static int init_cpu(struct cpu *c)
{
    return 0;
}

/* A new domain's shared_info has every port unmasked: mask them until rebound. */
static int resume_domain(void)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(shared_info->evtchn_mask); i++)
        shared_info->evtchn_mask[i] = ~0UL;
    return 0;
}

static void mask(evtchn_port_t port)
{
    __atomic_fetch_or(&shared_info->evtchn_mask[port / BITS_PER_WORD],
                      1UL << (port % BITS_PER_WORD), __ATOMIC_SEQ_CST);
}

/*
 * An event that came while masked raised nothing (Xen sets no selector bit for a
 * masked port, nor for one already pending). EVTCHNOP_unmask raises it, but only
 * when it finds the mask set: so masked again for Xen to clear, when pending.
 */
static int unmask(evtchn_port_t port)
{
    unsigned long bit = 1UL << (port % BITS_PER_WORD);
    unsigned long *mask = &shared_info->evtchn_mask[port / BITS_PER_WORD];
    __atomic_fetch_and(mask, ~bit, __ATOMIC_SEQ_CST);
    int pending =
        !!(__atomic_load_n(&shared_info->evtchn_pending[port / BITS_PER_WORD], __ATOMIC_SEQ_CST) &
           bit);
    if (pending)
        __atomic_fetch_or(mask, bit, __ATOMIC_SEQ_CST);
    return pending;
}

static void clear_pending(evtchn_port_t port)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[port / BITS_PER_WORD],
                       ~(1UL << (port % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
}

static int handle_pending(struct cpu *c, void (*dispatch)(evtchn_port_t port))
{
    struct vcpu_info *vi = c->vi;
    unsigned long sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);

    while (sel) {
        unsigned int w = (unsigned int)__builtin_ctzl(sel);
        sel &= sel - 1;
        unsigned long pend = __atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                             ~__atomic_load_n(&shared_info->evtchn_mask[w], __ATOMIC_SEQ_CST);
        while (pend) {
            unsigned int b = (unsigned int)__builtin_ctzl(pend);
            pend &= pend - 1;
            evtchn_port_t port = w * BITS_PER_WORD + b;
            /* Another VCPU's port can share this word: it gets its own upcall. */
            if (evtchn_port_vcpu(port) != c->id)
                continue;
            __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
            dispatch(port);
        }
    }
    return 0; /* one pass over what the selector named; Xen sets it again for more */
}

static void describe(struct cpu *c, evtchn_port_t port, char *buf, size_t size)
{
    unsigned long bit = 1UL << (port % BITS_PER_WORD);
    int pending =
        !!(__atomic_load_n(&shared_info->evtchn_pending[port / BITS_PER_WORD], __ATOMIC_SEQ_CST) &
           bit);
    int masked = !!(
        __atomic_load_n(&shared_info->evtchn_mask[port / BITS_PER_WORD], __ATOMIC_SEQ_CST) & bit);
    ksnprintf(buf, size, "port %u %s%s; selector %#lx", port, pending ? "P" : "-",
              masked ? "M" : "-",
              (unsigned long)__atomic_load_n(&c->vi->evtchn_pending_sel, __ATOMIC_SEQ_CST));
}

const struct evtchn_abi evtchn_abi_2level = {
    .name = "2-level",
    .max_ports = BITS_PER_WORD * BITS_PER_WORD,
    .setup_port = setup_port,
    .init_cpu = init_cpu,
    .resume_domain = resume_domain,
    .resume_cpu = init_cpu,
    .mask = mask,
    .unmask = unmask,
    .clear_pending = clear_pending,
    .handle_pending = handle_pending,
    .describe = describe,
};
