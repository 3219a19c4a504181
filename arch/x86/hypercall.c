/*
 * Finding Xen and installing the hypercall page. The page is poisoned with RET
 * before we hand it over, so a failed install is seen rather than jumped into.
 */
#include "core/kernel.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

struct xen_info xen;

static uint32_t find_xen_leaf(void)
{
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        uint32_t a, b, c, d;
        cpuid(base, 0, &a, &b, &c, &d);
        if (b == 0x566e6558 && c == 0x65584d4d && d == 0x4d4d566e && a - base >= 2)
            return base; /* "XenVMMXenVMM" */
    }
    return 0;
}

int xen_detect_and_init(void)
{
    uint32_t a, b, c, d;

    xen.cpuid_base = find_xen_leaf();
    if (!xen.cpuid_base)
        return 0;

    cpuid(xen.cpuid_base + 1, 0, &a, &b, &c, &d);
    xen.major = (uint16_t)(a >> 16);
    xen.minor = (uint16_t)a;

    cpuid(xen.cpuid_base + 2, 0, &a, &b, &c, &d);
    if (a < 1) {
        printk("xen: no hypercall pages offered; running without Xen services\n");
        return 0;
    }
    for (int i = 0; i < 4096; i++)
        hypercall_page[i] = (char)0xc3;
    wrmsr(b, (uintptr_t)hypercall_page);
    /* Xen writes a stub per slot; slot 0 must no longer be a bare RET. */
    if ((uint8_t)hypercall_page[0] == 0xc3) {
        printk("xen: hypercall page not filled in by MSR %#x\n", b);
        return 0;
    }
    xen.present = 1;
    return 1;
}

int xen_hvm_get_param(uint32_t idx, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = idx};
    long rc = hypercall_hvm_op(HVMOP_get_param, &p);
    if (rc == 0)
        *value = p.value;
    return (int)rc;
}

int xen_hvm_set_param(uint32_t idx, uint64_t value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = idx, .value = value};
    return (int)hypercall_hvm_op(HVMOP_set_param, &p);
}

_Noreturn void xen_shutdown(unsigned int reason)
{
    struct sched_shutdown s = {.reason = reason};
    for (;;) {
        hypercall_sched_op(SCHEDOP_shutdown, &s);
        irq_disable();
        halt();
    }
}

const char *xen_vcpu_runstate(unsigned int vcpu)
{
    static const char *const names[] = {"running", "runnable", "blocked", "offline"};
    struct vcpu_runstate_info r;
    if (!xen.present || hypercall_vcpu_op(VCPUOP_get_runstate_info, vcpu, &r) < 0)
        return "unknown";
    return r.state < 4 ? names[r.state] : "?";
}

uint64_t xen_vcpu_steal_ns(unsigned int vcpu)
{
    struct vcpu_runstate_info r;
    if (!xen.present || hypercall_vcpu_op(VCPUOP_get_runstate_info, vcpu, &r) < 0)
        return 0;
    return r.time[RUNSTATE_runnable] + r.time[RUNSTATE_offline];
}
