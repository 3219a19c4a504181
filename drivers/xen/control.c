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
#include "drivers/xen/balloon.h"
#include "drivers/xen/vcpu_hotplug.h"
#include "core/time.h"
#include <xenolith/lifecycle.h>
#include <xenolith/xenstore.h>
#include <stdlib.h>
#include <string.h>

/* Linked only into the images that use them (<xenolith/link.h>): NULL otherwise. */
#pragma weak xen_suspend
#pragma weak balloon_init
#pragma weak vcpu_hotplug_init

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

/*
 * An image without ballooning or VCPU hotplug keeps what it booted with; an xl mem-set
 * or vcpu-set then says so on the console, at most 8 lines in 10 s.
 */
static struct xenolith_xs_watch unlinked_watch[2];
static char last_target[24];

static void unlinked_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    static uint64_t window;
    static unsigned int lines;
    const char *node = arg ? path : "memory/target";
    char val[24];
    while (arg && *node && strncmp(node, "cpu/", 4) != 0)
        node++;
    if (!*node || xenolith_xs_read(XENOLITH_XS_NO_TX, node, val, sizeof(val)) <= 0)
        return; /* cpu/ itself, a directory, or gone */
    if (arg) {
        int id = 0;
        for (const char *q = node + 4; *q >= '0' && *q <= '9' && id < 100000; q++)
            id = id * 10 + (*q - '0');
        if (!strcmp(val, "online") == (smp_cpu(id) != NULL))
            return; /* what runs already */
    } else {
        int first = !last_target[0];
        if (!strcmp(val, last_target))
            return;
        strcpy(last_target, val);
        if (first)
            return; /* the watch's first event: the boot-time target */
    }
    uint64_t now = xenolith_time_now_ns();
    if (now - window > 10000000000ULL)
        window = now, lines = 0;
    if (++lines <= 8)
        printk("control: %s = %s ignored: this image has no XENOLITH_LINK(%s)%s\n", node, val,
               arg ? "vcpu_hotplug" : "balloon",
               lines == 8 ? "; more in the next 10 s are not reported" : "");
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
    if (!balloon_init)
        xenolith_xs_watch(&unlinked_watch[0], "memory/target", unlinked_changed, NULL);
    if (!vcpu_hotplug_init)
        xenolith_xs_watch(&unlinked_watch[1], "cpu", unlinked_changed, &unlinked_watch[1]);
    return 0;
}
