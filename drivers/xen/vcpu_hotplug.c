/*
 * VCPU hotplug: the toolstack (xl vcpu-set) writes cpu/N/availability = "online"
 * or "offline" for each VCPU up to maxvcpus. Online brings VCPU N up: through the
 * boot path the first time (smp_hotplug_cpu), with VCPUOP_up after it was
 * offline (it then returns from its VCPUOP_down and rejoins by itself), or, when
 * it was offline across a restore or a migration (Xen kept nothing of it, and
 * VCPUOP_up says it is uninitialised), afresh on its own per-CPU block and idle
 * stack (smp_restart_cpu). Offline
 * moves its threads, timers and device events to VCPUs that stay and lets it
 * take itself down with VCPUOP_down (core/smp.c: smp_offline_cpu); we wait until
 * Xen says it is down. VCPU 0 stays. Runs in the xenstore watch thread, one
 * request at a time (a suspend, a watch too, never runs in the middle of one).
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/vcpu_hotplug.h"
#include <xenolith/link.h>
#include <xenolith/xenstore.h>
#include <xen/vcpu.h>
#include <string.h>

const char xenolith_link_vcpu_hotplug = 1;

#define MS      1000000ULL
#define WAIT_MS 10000 /* for a VCPU to go down or come back */

static struct xenolith_xs_watch cpu_watch;
static unsigned char said[MAX_CPUS]; /* a bad value or a refusal, said once per change */

static int xen_vcpu_is_up(unsigned int id)
{
    return (int)hypercall_vcpu_op(VCPUOP_is_up, id, NULL);
}

/* After smp_offline_begin: wait until it left, and until Xen says it is down. */
static void offline_done(unsigned int id)
{
    int rc = smp_offline_wait(id);
    if (rc < 0) {
        printk("vcpu-hotplug: vcpu %u did not go offline (%d)\n", id, rc);
        return;
    }
    int i = 0;
    while (xen_vcpu_is_up(id) > 0 && i++ < WAIT_MS)
        xenolith_thread_sleep_ns(MS);
    struct smp_left *left = &smp_known_cpu((int)id)->smp.left;
    printk("vcpu-hotplug: vcpu %u offline%s: moved %u threads, %u timers and %u event channels to "
           "vcpu %u; %d online\n",
           id, i > WAIT_MS ? " (but Xen still runs it)" : "", left->threads, left->timers,
           left->ports, left->to, smp_num_online());
}

/* A VCPU that was offline: up again in Xen, and it rejoins by itself. */
static int bring_back(struct cpu *c)
{
    long rc = hypercall_vcpu_op(VCPUOP_up, c->id, NULL);
    if (rc == -EINVAL) /* uninitialised: the domain is new since it went down */
        return smp_restart_cpu(c);
    if (rc < 0)
        return (int)rc;
    for (int i = 0; !__atomic_load_n(&c->online, __ATOMIC_ACQUIRE); i++) {
        if (i >= WAIT_MS)
            return -ETIMEDOUT;
        xenolith_thread_sleep_ns(MS);
    }
    printk("vcpu-hotplug: vcpu %u online again; %d online\n", c->id, smp_num_online());
    return 0;
}

static void bring_online(unsigned int id)
{
    struct cpu *known = smp_known_cpu((int)id);
    int rc = known ? bring_back(known) : smp_hotplug_cpu(id);
    if (rc < 0)
        printk("vcpu-hotplug: cannot bring vcpu %u up (%d)\n", id, rc);
}

enum want { WANT_NOTHING, WANT_ONLINE, WANT_OFFLINE };

static enum want read_cpu(unsigned int id)
{
    char path[32], what[16];
    ksnprintf(path, sizeof(path), "cpu/%u/availability", id);
    if (xenolith_xs_read(XENOLITH_XS_NO_TX, path, what, sizeof(what)) < 0)
        return WANT_NOTHING; /* no node: the toolstack says nothing about this VCPU */
    int online = !strcmp(what, "online"), offline = !strcmp(what, "offline");
    if (online || (offline && id != 0)) {
        said[id] = 0;
        return online ? WANT_ONLINE : WANT_OFFLINE;
    }
    if (!said[id] && offline)
        printk("vcpu-hotplug: vcpu 0 cannot go offline (it is the one that always stays); it "
               "stays online\n");
    else if (!said[id])
        printk("vcpu-hotplug: cpu/%u/availability is neither online nor offline; ignored\n", id);
    said[id] = 1;
    return WANT_NOTHING;
}

/*
 * Every VCPU that is to go starts leaving before any is waited for: then none of
 * them is picked to take another's threads. Then those that are to come up.
 */
static void follow_toolstack(unsigned int n)
{
    static unsigned char want[MAX_CPUS], going[MAX_CPUS];
    for (unsigned int id = 0; id < n; id++) {
        want[id] = (unsigned char)read_cpu(id);
        going[id] = 0;
        if (want[id] == WANT_OFFLINE && smp_cpu((int)id)) {
            int rc = smp_offline_begin(id);
            going[id] = rc == 0;
            if (rc < 0)
                printk("vcpu-hotplug: vcpu %u cannot go offline (%d); it stays online\n", id, rc);
        }
    }
    for (unsigned int id = 0; id < n; id++)
        if (going[id])
            offline_done(id);
    for (unsigned int id = 0; id < n; id++)
        if (want[id] == WANT_ONLINE && !smp_cpu((int)id))
            bring_online(id);
}

/* Any change under cpu/: compare every VCPU's node with what runs. */
static void cpu_changed(struct xenolith_xs_watch *w, const char *path, void *arg)
{
    unsigned int n = smp_possible_cpus();
    follow_toolstack(n < MAX_CPUS ? n : MAX_CPUS);
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
    int rc = xenolith_xs_watch(&cpu_watch, "cpu", cpu_changed, NULL);
    if (rc < 0)
        printk("vcpu-hotplug: cannot watch cpu/ (%d); xl vcpu-set will not be followed\n", rc);
    return rc;
}
