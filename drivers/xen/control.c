/*
 * The toolstack's requests through xenstore "control/": shutdown (poweroff,
 * halt, reboot, suspend: drivers/xen/suspend.c when the image links it) and sysrq: 't'
 * prints every VCPU's and thread's state (the harness asks before it destroys a
 * guest that timed out); other keys are ignored.
 */
#include "core/kernel.h"
#include "core/shutdown.h"
#include "core/smp.h"
#include "drivers/xen/control.h"
#include "core/callbacks.h"
#include "drivers/xen/suspend.h"
#include <xenolith/lifecycle.h>
#include <xenolith/xenstore.h>
#include <stdlib.h>
#include <string.h>

/* Linked only into the images that use it (<xenolith/link.h>): NULL otherwise. */
#pragma weak xen_suspend

static struct callback_list handlers; /* xenolith_shutdown_fn */
static struct xenolith_xs_watch shutdown_watch, sysrq_watch;

int xenolith_on_shutdown(xenolith_shutdown_fn fn, void *arg)
{
    return callback_add(&handlers, (callback_fn)fn, arg);
}

static _Noreturn void go_down(enum xenolith_shutdown_reason reason)
{
    callback_each(&handlers, h)((xenolith_shutdown_fn)h->fn)(reason, h->arg);
    printk("xenolith: %s requested by the toolstack\n",
           reason == XENOLITH_SHUTDOWN_REBOOT ? "reboot" : "poweroff");
    kernel_shutdown(
        reason == XENOLITH_SHUTDOWN_REBOOT ? SHUTDOWN_REASON_REBOOT : SHUTDOWN_REASON_POWEROFF, 0);
}

static void shutdown_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    char what[32];
    int rc = xenolith_xs_read(XENOLITH_XS_NO_TX, "control/shutdown", what, sizeof(what));
    if (rc <= 0)
        return; /* gone or empty: nothing asked, or our own acknowledgement */
    int down = !strcmp(what, "poweroff") || !strcmp(what, "halt");
    int reboot = !strcmp(what, "reboot");
    int suspend = !strcmp(what, "suspend") && xen_suspend;
    if (!down && !reboot && !suspend) {
        /* Left unacknowledged, as the toolstack expects of a request not honoured. */
        if (!strcmp(what, "suspend"))
            printk("control: suspend requested, but this image has no suspend support "
                   "(XENOLITH_LINK(suspend), <xenolith/link.h>); the domain goes on\n");
        else
            printk("control: unknown shutdown request \"%s\" ignored\n", what);
        return;
    }
    /* Acknowledge by clearing the node, as the toolstack expects. */
    xenolith_xs_write(XENOLITH_XS_NO_TX, "control/shutdown", "");
    if (suspend)
        xen_suspend();
    else
        go_down(reboot ? XENOLITH_SHUTDOWN_REBOOT : XENOLITH_SHUTDOWN_POWEROFF);
}

static void sysrq_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    char key[8];
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, "control/sysrq", key, sizeof(key)) <= 0)
        return;
    xenolith_xs_write(XENOLITH_XS_NO_TX, "control/sysrq", "");
    if (key[0] == 't') {
        printk("control: sysrq 't': state of every VCPU and thread\n");
        smp_dump_state();
        return;
    }
    printk("control: sysrq '%c' ignored (only 't' is known)\n", key[0]);
}

int control_init(void)
{
    /* Tell the toolstack which requests we honour. */
    xenolith_xs_write(XENOLITH_XS_NO_TX, "control/feature-poweroff", "1");
    xenolith_xs_write(XENOLITH_XS_NO_TX, "control/feature-reboot", "1");
    if (xen_suspend)
        xenolith_xs_write(XENOLITH_XS_NO_TX, "control/feature-suspend", "1");
    int rc = xenolith_xs_watch(&shutdown_watch, "control/shutdown", shutdown_changed, NULL);
    if (rc < 0) {
        printk("control: cannot watch control/shutdown (%d)\n", rc);
        return rc;
    }
    xenolith_xs_watch(&sysrq_watch, "control/sysrq", sysrq_changed, NULL);
    return 0;
}
