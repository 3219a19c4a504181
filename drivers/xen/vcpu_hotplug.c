/*
 * VCPU hotplug: the toolstack (xl vcpu-set) writes cpu/N/availability = "online"
 * or "offline" for each VCPU up to maxvcpus. Online brings VCPU N up through the
 * boot path (smp_hotplug_cpu). Offline is refused for now: threads and timers
 * cannot move off a VCPU yet, so it stays up and the console says so once per
 * request. Runs in the xenstore watch thread.
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "drivers/xen/vcpu_hotplug.h"
#include <xenolith/link.h>
#include <xenolith/xenstore.h>
#include <string.h>

const char xenolith_link_vcpu_hotplug = 1;

static struct xs_watch cpu_watch;
static unsigned char refused[MAX_CPUS]; /* offline asked and refused: said once */

static void check_cpu(unsigned int id)
{
    char path[32], what[16];
    ksnprintf(path, sizeof(path), "cpu/%u/availability", id);
    int rc = xs_read(XS_NO_TX, path, what, sizeof(what));
    if (rc < 0)
        return; /* no node: the toolstack says nothing about this VCPU */
    int up = smp_cpu((int)id) != NULL;
    if (!strcmp(what, "online")) {
        refused[id] = 0;
        if (!up && (rc = smp_hotplug_cpu(id)) < 0)
            printk("vcpu-hotplug: cannot bring vcpu %u up (%d)\n", id, rc);
    } else if (!strcmp(what, "offline")) {
        if (up && !refused[id]) {
            refused[id] = 1;
            printk("vcpu-hotplug: vcpu %u offline refused: taking a VCPU down is not supported "
                   "yet (its threads and timers cannot move); it stays online\n",
                   id);
        }
    } else if (!refused[id]) {
        refused[id] = 1;
        printk("vcpu-hotplug: cpu/%u/availability is neither online nor offline; ignored\n", id);
    }
}

/* Any change under cpu/: compare every VCPU's node with what runs. */
static void cpu_changed(struct xs_watch *w, const char *path, void *arg)
{
    unsigned int n = smp_possible_cpus();
    for (unsigned int id = 1; id < n && id < MAX_CPUS; id++)
        check_cpu(id);
    /* A node for a VCPU Xen does not know is the toolstack's mistake: say so. */
    const char *p = path;
    while (*p && strncmp(p, "cpu/", 4) != 0)
        p++;
    if (*p) {
        unsigned long id = 0;
        const char *q = p + 4;
        for (; *q >= '0' && *q <= '9' && id < 100000; q++)
            id = id * 10 + (unsigned long)(*q - '0');
        if (q != p + 4 && id >= n)
            printk("vcpu-hotplug: %s names vcpu %lu, past the %u this domain may have; ignored\n",
                   p, id, n);
    }
}

int vcpu_hotplug_init(void)
{
    int rc = xs_watch(&cpu_watch, "cpu", cpu_changed, NULL);
    if (rc < 0)
        printk("vcpu-hotplug: cannot watch cpu/ (%d); xl vcpu-set will not be followed\n", rc);
    return rc;
}
