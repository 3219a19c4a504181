/*
 * The per-CPU block: everything a VCPU owns, found through %gs:0. Allocated per
 * VCPU (the boot CPU's is static); subsystems keep their per-CPU parts here
 * rather than in globals.
 */
#ifndef XENOLITH_PERCPU_H
#define XENOLITH_PERCPU_H

#include <stdint.h>
#include <xen/xen.h>
#include "arch/x86/cpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/timer.h"
#include "drivers/xen/evtchn.h"

#define MAX_CPUS 128

struct cpu {
    struct cpu *self; /* %gs:0 */
    unsigned int id;  /* Xen VCPU id */
    int in_fault;     /* a fault while reporting a fault: stop, don't recurse */
    int online;
    struct arch_cpu arch;
    /* Registered with VCPUOP_register_vcpu_info; Xen writes it. 64-byte aligned. */
    struct vcpu_info vcpu_info __attribute__((aligned(64)));
    struct vcpu_info *vi; /* the vcpu_info in use: ours, or the shared_info slot */
    struct sched_cpu sched;
    struct timer_cpu timers;
    struct evtchn_cpu evtchn;
    struct smp_cpu smp;
    uint64_t bringup_ns;
};

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

#endif
