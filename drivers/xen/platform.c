/*
 * The hooks core/ runs through on Xen (core/platform.h): halting in the
 * hypervisor, yielding, the one-shot timer and its VIRQ, NMIs to stop the other
 * VCPUs, the TSC frequency from Xen's CPUID leaf, SCHEDOP_shutdown, and taking a
 * VCPU offline (its device ports moved, then VCPUOP_down).
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/shutdown.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/console.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/platform.h"
#include <xen/sched.h>
#include <xen/vcpu.h>

static void xen_yield(void)
{
    hypercall_sched_op(SCHEDOP_yield, NULL);
}

static uint32_t xen_tsc_khz(void)
{
    uint32_t a, b, c, d;
    cpuid(xen.cpuid_base + 3, 0, &a, &b, &c, &d);
    return c;
}

static void xen_timer_set(uint64_t deadline_ns)
{
    hypercall_set_timer_op(time_to_source_ns(deadline_ns));
}

static void (*timer_fire)(void); /* core/timer.c's, the same on every VCPU */

static void timer_virq(evtchn_port_t port, void *arg)
{
    timer_fire();
}

/* Tickless: PVH VCPUs start with no periodic timer, but make sure. */
static int xen_timer_init_cpu(struct cpu *c, void (*fire)(void), int resume)
{
    timer_fire = fire;
    hypercall_vcpu_op(VCPUOP_stop_periodic_timer, c->id, NULL);
    return evtchn_bind_virq(VIRQ_TIMER, c->id, timer_virq, NULL, &c->timers.virq_port);
}

static void xen_stop_cpu(unsigned int id)
{
    hypercall_vcpu_op(VCPUOP_send_nmi, id, NULL);
}

static void xen_platform_shutdown(int reason)
{
    xen_console_flush(); /* let xenconsoled read everything before we are gone */
    xen_shutdown(reason == SHUTDOWN_REASON_POWEROFF ? SHUTDOWN_poweroff
                 : reason == SHUTDOWN_REASON_REBOOT ? SHUTDOWN_reboot
                                                    : SHUTDOWN_crash);
}

/* Platform hook (core/platform.h), on the VCPU itself, interrupts off. */
static int xen_vcpu_down_self(struct cpu *c)
{
    long rc = hypercall_vcpu_op(VCPUOP_down, c->id, NULL);
    /*
     * Here again after VCPUOP_up: in the same domain, since Xen saves no state of
     * a down VCPU (a restore leaves it uninitialised, VCPUOP_up then fails, and it
     * is started afresh: smp_restart_cpu), so its vcpu_info, FIFO control block,
     * upcall vector and ports are as left.
     */
    return (int)rc;
}

static const struct platform xen_platform = {
    .name = "xen",
    .idle_wait = idle_halt,
    .yield = xen_yield,
    .tsc_khz = xen_tsc_khz,
    .timer_set = xen_timer_set,
    .timer_init_cpu = xen_timer_init_cpu,
    .stop_cpu = xen_stop_cpu,
    .shutdown = xen_platform_shutdown,
    .cpu_move_events = evtchn_move_cpu,
    .cpu_down = xen_vcpu_down_self,
    .dump_cpu = evtchn_dump_cpu,
};

void xen_platform_register(void)
{
    platform_register(&xen_platform);
}
