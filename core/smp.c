/*
 * The table of online CPUs, kicks between them, and the idle wait. A kick is an
 * event channel IPI whose handler does nothing: taking the interrupt is what
 * ends the other CPU's halt.
 */
#include "core/kernel.h"
#include "core/percpu.h"
#include "core/smp.h"
#include <xenolith/thread.h>
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"
#include <xen/sched.h>

static struct cpu *cpus[MAX_CPUS];
static int nonline;
static unsigned int next_pick;

void smp_register_cpu(struct cpu *c)
{
    BUG_ON(c->id >= MAX_CPUS);
    c->online = 1;
    __atomic_store_n(&cpus[c->id], c, __ATOMIC_RELEASE);
    __atomic_add_fetch(&nonline, 1, __ATOMIC_SEQ_CST);
}

struct cpu *smp_cpu(int id)
{
    if (id < 0 || id >= MAX_CPUS)
        return NULL;
    return __atomic_load_n(&cpus[id], __ATOMIC_ACQUIRE);
}

int smp_num_online(void)
{
    return nonline;
}

int xenolith_online_cpus(void)
{
    return nonline;
}

struct cpu *smp_pick_cpu(void)
{
    for (int tries = 0; tries < MAX_CPUS; tries++) {
        unsigned int id = __atomic_fetch_add(&next_pick, 1, __ATOMIC_RELAXED) % MAX_CPUS;
        struct cpu *c = smp_cpu((int)id);
        if (c)
            return c;
    }
    return this_cpu();
}

static void kick_handler(evtchn_port_t port, void *arg)
{
}

int smp_init_ipi(struct cpu *c)
{
    if (!xen.present)
        return 0;
    return evtchn_bind_ipi(c->id, kick_handler, NULL, &c->evtchn.ipi_port);
}

void smp_kick_cpu(struct cpu *c)
{
    if (c != this_cpu() && c->evtchn.ipi_port)
        evtchn_send(c->evtchn.ipi_port);
}

void spin_backoff(void)
{
    if (xen.present)
        hypercall_sched_op(SCHEDOP_yield, NULL);
}

void smp_idle_wait(void)
{
    if (xen.present) {
        /* sti takes effect after hlt starts: no interrupt is lost in between. */
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    } else {
        /* No interrupt sources without Xen: the idle loop polls the timers. */
        irq_enable();
        cpu_relax();
        irq_disable();
    }
}
