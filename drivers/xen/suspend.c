/*
 * Suspend and resume of the whole domain (xl save, restore, save -c, migrate).
 *
 * In order: the app's and the drivers' suspend handlers (threads still run),
 * xenstore quiesced, the other VCPUs parked at the end of an interrupt, then
 * SCHEDOP_shutdown(SHUTDOWN_suspend) from the boot VCPU with interrupts off.
 * It returns 1 when the suspend was cancelled (a checkpoint, a failed
 * migration: the same domain goes on, nothing to redo) and 0 in a new domain,
 * where nothing the hypervisor held survived: shared_info, every vcpu_info, the
 * event ABI and every port, the grant frames, the timers. Those are set up again
 * in the order boot set them up, the boot VCPU first, then each parked VCPU for
 * itself; then xenstore and the drivers reconnect and the app hears of it.
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"
#include "core/timer.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/x86.h"
#include "drivers/xen/console.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/gnttab.h"
#include "core/callbacks.h"
#include "drivers/xen/shared_info.h"
#include "drivers/xen/suspend.h"
#include "drivers/xen/xenstore_internal.h"
#include <xenolith/lifecycle.h>
#include <xenolith/link.h>
#include <xen/sched.h>
#include <stdlib.h>

const char xenolith_link_suspend = 1;

#pragma weak gnttab_resume /* linked only into images that grant */

/* Drivers first, then the app, in registration order; resume runs backwards. */
typedef void (*suspend_fn)(void *arg);
typedef void (*resume_fn)(int new_domain, void *arg);
static struct callback_list suspend_drivers, resume_drivers, suspend_app, resume_app;

int xen_suspend_register(suspend_fn suspend, resume_fn resume, void *arg)
{
    int rc = suspend ? callback_add(&suspend_drivers, (callback_fn)suspend, arg) : 0;
    return rc == 0 && resume ? callback_add(&resume_drivers, (callback_fn)resume, arg) : rc;
}

int xenolith_on_suspend(xenolith_suspend_fn fn, void *arg)
{
    return callback_add(&suspend_app, (callback_fn)fn, arg);
}

int xenolith_on_resume(xenolith_resume_fn fn, void *arg)
{
    return callback_add(&resume_app, (callback_fn)fn, arg);
}

static void run_suspend(struct callback_list *l)
{
    callback_each(l, h)((suspend_fn)h->fn)(h->arg);
}

static void run_resume(struct callback_list *l, int new_domain)
{
    callback_each_reverse(l, h)((resume_fn)h->fn)(new_domain, h->arg);
}

/* A parked VCPU, released in a new domain: its part of boot's per-VCPU set-up. */
static int resume_cpu(struct cpu *c)
{
    int rc = vcpu_info_register(c);
    return rc < 0 ? rc : xen_cpu_setup(c, 1);
}

/* The boot VCPU in a new domain, interrupts off: the order of boot. */
static int resume_domain(void)
{
    struct cpu *c = this_cpu();
    int rc = shared_info_resume();
    if (rc == 0)
        rc = vcpu_info_register(c);
    if (rc == 0) {
        time_resume();
        rc = evtchn_resume();
    }
    if (rc == 0)
        rc = xen_cpu_setup(c, 1);
    if (rc == 0 && gnttab_resume)
        rc = gnttab_resume();
    if (rc == 0)
        rc = xen_console_resume();
    return rc;
}

int xen_suspend(void)
{
    if (this_cpu()->id != 0) {
        printk("suspend: must run on vcpu 0\n");
        return -EINVAL;
    }
    uint64_t t0 = xenolith_time_now_ns();
    run_suspend(&suspend_drivers);
    run_suspend(&suspend_app);
    int rc = xenstore_suspend();
    if (rc < 0)
        goto out_hooks;
    int parked = smp_park_others();
    if (parked < 0) {
        rc = parked;
        xenstore_resume(0);
        goto out_hooks;
    }
    uint64_t flags = irq_save();
    uint64_t t1 = xenolith_time_now_ns();
    time_suspend();
    xen_console_flush();
    struct sched_shutdown s = {.reason = SHUTDOWN_suspend};
    long cancelled = hypercall_sched_op(SCHEDOP_shutdown, &s);
    int new_domain = cancelled == 0;
    rc = new_domain ? resume_domain() : 0;
    if (rc < 0)
        panic("suspend: the boot VCPU could not be set up again in the new domain (%d)", rc);
    if (smp_release_others(new_domain ? resume_cpu : NULL) < 0)
        panic("suspend: a VCPU could not be set up again in the new domain");
    irq_restore(flags);
    uint64_t t2 = xenolith_time_now_ns();

    xenstore_resume(new_domain);
    run_resume(&resume_app, new_domain);
    run_resume(&resume_drivers, new_domain);
    printk("suspend: quiesced %d VCPU(s) in %lu us; %s in %lu us\n", parked + 1,
           (unsigned long)((t1 - t0) / 1000),
           cancelled < 0 ? "refused"
           : new_domain  ? "resumed in a new domain"
                         : "cancelled",
           (unsigned long)((xenolith_time_now_ns() - t2) / 1000));
    if (cancelled < 0)
        printk("suspend: SCHEDOP_shutdown(suspend) failed (%ld)\n", cancelled);
    return cancelled < 0 ? (int)cancelled : new_domain;

out_hooks:
    run_resume(&resume_app, 0);
    run_resume(&resume_drivers, 0);
    printk("suspend: not suspending (%d)\n", rc);
    return rc;
}
