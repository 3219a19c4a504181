/*
 * shared_info and vcpu_info. shared_info goes into a guest-physical hole (no RAM
 * page given up); each VCPU registers a vcpu_info inside its own per-CPU block, so
 * VCPUs past the 32 legacy slots work the same way as the first. pvclock reads
 * this CPU's vcpu_time_info under its version seqlock.
 */
#include "core/kernel.h"
#include "core/page_alloc.h"
#include "core/percpu.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/physmap.h"
#include "drivers/xen/shared_info.h"
#include <xen/memory.h>
#include <xen/vcpu.h>

struct shared_info *shared_info;

int shared_info_init(void)
{
    uint64_t gpa = physmap_alloc_hole(1);
    if (!gpa)
        return -ENOMEM;
    int rc = physmap_add(XENMAPSPACE_shared_info, 0, gpa >> PAGE_SHIFT);
    if (rc < 0) {
        printk("xen: mapping shared_info failed (%d)\n", rc);
        return rc;
    }
    if (vm_map(gpa, gpa, 1, VM_RW) < 0)
        return -ENOMEM;
    shared_info = (struct shared_info *)(uintptr_t)gpa;
    return 0;
}

/* Resume in a new domain: its shared_info goes where the old one was. */
int shared_info_resume(void)
{
    int rc = physmap_add(XENMAPSPACE_shared_info, 0, (uintptr_t)shared_info >> PAGE_SHIFT);
    if (rc < 0)
        printk("xen: shared_info not mapped again after resume (%d)\n", rc);
    return rc;
}

int vcpu_info_register(struct cpu *c)
{
    uintptr_t va = (uintptr_t)&c->vcpu_info;
    struct vcpu_register_vcpu_info r = {
        .mfn = va >> PAGE_SHIFT, /* identity mapped: the gfn */
        .offset = (uint32_t)(va & (PAGE_SIZE - 1)),
    };
    long rc = hypercall_vcpu_op(VCPUOP_register_vcpu_info, c->id, &r);
    if (rc == 0) {
        c->vi = &c->vcpu_info;
        return 0;
    }
    if (c->id < XEN_LEGACY_MAX_VCPUS && shared_info) {
        c->vi = &shared_info->vcpu_info[c->id];
        return 0;
    }
    printk("xen: VCPUOP_register_vcpu_info for vcpu %u failed (%ld)\n", c->id, rc);
    return (int)rc;
}

uint64_t pvclock_now(void)
{
    const volatile struct vcpu_time_info *t = &this_cpu()->vi->time;
    uint32_t version;
    uint64_t tsc, stamp, sys;
    uint32_t mul;
    int8_t shift;

    do {
        version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        tsc = rdtsc();
        stamp = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != t->version);

    uint64_t delta = tsc - stamp;
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return sys + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_wallclock_at_zero(void)
{
    const volatile struct shared_info *s = shared_info;
    uint32_t version, sec, nsec, sec_hi;

    do {
        version = s->wc_version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        sec = s->wc_sec;
        nsec = s->wc_nsec;
        sec_hi = s->wc_sec_hi;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != s->wc_version);
    return (((uint64_t)sec_hi << 32) | sec) * 1000000000ULL + nsec;
}
