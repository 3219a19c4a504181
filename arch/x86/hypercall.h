/*
 * Xen hypercalls through the hypercall page: number selects a 32-byte slot,
 * arguments in rdi, rsi, rdx, r10, r8. Xen may clobber argument registers (debug
 * builds do), so they are in/out operands. Typed wrappers below; callers never
 * use raw numbers.
 */
#ifndef XENOLITH_HYPERCALL_H
#define XENOLITH_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>

extern char hypercall_page[4096];

#define HYPERCALL_ASM(nr) "call hypercall_page + " #nr " * 32"

static inline long hypercall2(unsigned int nr, uint64_t a1, uint64_t a2)
{
    register uint64_t rdi __asm__("rdi") = a1;
    register uint64_t rsi __asm__("rsi") = a2;
    long ret;
    __asm__ volatile("call *%[fn]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi)
                     : [fn] "r"(hypercall_page + nr * 32)
                     : "memory", "rcx", "r11", "rdx", "r10", "r8", "r9");
    return ret;
}

static inline long hypercall3(unsigned int nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t rdi __asm__("rdi") = a1;
    register uint64_t rsi __asm__("rsi") = a2;
    register uint64_t rdx __asm__("rdx") = a3;
    long ret;
    __asm__ volatile("call *%[fn]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                     : [fn] "r"(hypercall_page + nr * 32)
                     : "memory", "rcx", "r11", "r10", "r8", "r9");
    return ret;
}

static inline long hypercall_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hypercall_event_channel_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hypercall_hvm_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_hvm_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hypercall_memory_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hypercall_xen_version(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, (uint64_t)cmd, (uint64_t)arg);
}

static inline long hypercall_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, (uint64_t)cmd, vcpu, (uint64_t)arg);
}

static inline long hypercall_grant_table_op(int cmd, void *arg, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, (uint64_t)cmd, (uint64_t)arg, count);
}

static inline long hypercall_set_timer_op(uint64_t deadline_ns)
{
    return hypercall2(__HYPERVISOR_set_timer_op, deadline_ns, 0);
}

/* Xen detection and hypercall page set-up. */
struct xen_info {
    int present;         /* running on Xen with a working hypercall page */
    uint32_t cpuid_base; /* 0x40000000 + n * 0x100 */
    uint16_t major, minor;
};

extern struct xen_info xen;

/* Find Xen by CPUID and install the hypercall page. Returns 1 if on Xen. */
int xen_detect_and_init(void);

/* HVM parameters (HVM_PARAM_*). Returns 0 or a negative Xen errno. */
int xen_hvm_get_param(uint32_t idx, uint64_t *value);
int xen_hvm_set_param(uint32_t idx, uint64_t value);
/* Time a VCPU was ready but not running (Xen ran someone else) or was down, in ns. */
uint64_t xen_vcpu_steal_ns(unsigned int vcpu);
/* Xen's view of a VCPU of ours (for state dumps): running, runnable, blocked, offline. */
const char *xen_vcpu_runstate(unsigned int vcpu);

/* End the domain: SHUTDOWN_poweroff, _reboot, _crash ... */
_Noreturn void xen_shutdown(unsigned int reason);

#endif
