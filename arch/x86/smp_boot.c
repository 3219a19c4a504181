/*
 * Secondary VCPUs. The MADT that libxl builds for PVH lists every possible VCPU
 * (entry i is VCPU i), "enabled" for those online at boot; VCPUOP_is_up
 * cross-checks the count. Each online VCPU is started straight in 64-bit mode
 * with VCPUOP_initialise (a vcpu_hvm_context sharing our page tables) and
 * VCPUOP_up, on its own stack with a guard page, and brings itself up in ap_main.
 * One that was offline across a restore or a migration is started the same way
 * again, on the same stack, and sets itself up again in ap_restart_main.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/time.h"
#include "arch/x86/x86.h"
#include "arch/x86/acpi.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/shared_info.h"
#include <xen/hvm/hvm_vcpu.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AP_STACK_SIZE (64 * 1024)
#define AP_TIMEOUT_NS (10ULL * 1000000000ULL)

void ap_entry64(void);
void ap_restart64(void);
_Noreturn void ap_main(struct cpu *c);
_Noreturn void ap_restart_main(struct cpu *c);

static unsigned int possible_cpus = 1;

unsigned int smp_possible_cpus(void)
{
    return possible_cpus;
}

/* How many VCPU ids Xen knows for us: is_up answers 0/1 for them, -ENOENT past. */
static unsigned int xen_vcpu_count(void)
{
    unsigned int n = 0;
    while (n < MAX_CPUS && hypercall_vcpu_op(VCPUOP_is_up, n, NULL) >= 0)
        n++;
    return n;
}

/*
 * A VCPU's own hypervisor state, in the one order a VCPU's start, a resume in a
 * new domain (each VCPU for itself, drivers/xen/suspend.c) and a restart of one
 * that was offline across it (ap_restart_main, resume = 1) all use: events
 * (FIFO control block, upcall vector), the timer interrupt, the IPIs. Runs on c.
 * The boot VCPU's first set-up is part of kernel_start (it also picks the ABI).
 */
int xen_cpu_setup(struct cpu *c, int resume)
{
    int rc = resume ? evtchn_resume_cpu(c) : evtchn_init_cpu(c);
    if (rc == 0)
        rc = resume ? timer_resume_cpu(c) : timer_init_cpu(c);
    if (rc == 0)
        rc = smp_init_ipi(c);
    return rc;
}

_Noreturn void ap_main(struct cpu *c)
{
    cpu_init(c, c->id); /* GS base first: everything else finds its CPU through it */
    char name[16];
    ksnprintf(name, sizeof(name), "idle%u", c->id);
    sched_init_cpu(c, name);
    if (xen_cpu_setup(c, 0) < 0)
        panic("vcpu %u: cannot set up its events, timer or IPIs", c->id);
    smp_register_cpu(c);
    irq_enable();
    sched_idle_loop();
}

/*
 * A VCPU that was offline when the domain was saved, started again in the new one
 * (smp_restart_cpu): Xen kept nothing of it, so it starts like a fresh AP, at the
 * top of its idle stack (the frames it went down in, the idle loop's and
 * smp_cpu_offline_self's, are left behind: they held no lock). Its per-CPU block,
 * idle thread, run queue and timers are as it left them; its hypervisor state is
 * set up again as a parked VCPU's is after a resume, by the same function.
 */
_Noreturn void ap_restart_main(struct cpu *c)
{
    cpu_init(c, c->id); /* its tables and IST stacks again */
    if (xen_cpu_setup(c, 1) < 0)
        panic("vcpu %u: cannot set up its events, timer or IPIs again", c->id);
    smp_cpu_restarted(c);
    irq_enable();
    sched_idle_loop();
}

static uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

/*
 * Start VCPU c->id at entry (rsp = stack, rdi = c) with VCPUOP_initialise and
 * VCPUOP_up, sharing our page tables, and wait until it is online. t0: when its
 * bring-up began.
 */
static int launch_ap(struct cpu *c, void *stack, void (*entry)(void), uint64_t t0)
{
    unsigned int id = c->id;
    /* Xen refuses to initialise a VCPU past the 32 legacy slots without a vcpu_info. */
    if (vcpu_info_register(c) < 0)
        return -EINVAL;

    static struct vcpu_hvm_context ctx; /* one at a time: launch_ap waits for each */
    memset(&ctx, 0, sizeof(ctx));
    ctx.mode = VCPU_HVM_MODE_64B;
    ctx.cpu_regs.x86_64.rip = (uintptr_t)entry;
    ctx.cpu_regs.x86_64.rsp = (uintptr_t)stack;
    ctx.cpu_regs.x86_64.rdi = (uintptr_t)c;
    ctx.cpu_regs.x86_64.rflags = 0x2;
    ctx.cpu_regs.x86_64.cr0 = read_cr0();
    ctx.cpu_regs.x86_64.cr3 = read_cr3();
    ctx.cpu_regs.x86_64.cr4 = read_cr4();
    ctx.cpu_regs.x86_64.efer = rdmsr(MSR_EFER);

    long rc = hypercall_vcpu_op(VCPUOP_initialise, id, &ctx);
    if (rc == 0)
        rc = hypercall_vcpu_op(VCPUOP_up, id, NULL);
    if (rc < 0) {
        printk("smp: starting vcpu %u failed (%ld)\n", id, rc);
        return (int)rc;
    }
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        if (xenolith_time_now_ns() - t0 > AP_TIMEOUT_NS) {
            printk("smp: vcpu %u did not come up\n", id);
            return -ETIMEDOUT;
        }
        /* Let Xen run the new VCPU now when it shares our physical CPU. */
        hypercall_sched_op(SCHEDOP_yield, NULL);
    }
    c->bringup_ns = xenolith_time_now_ns() - t0;
    return 0;
}

static int start_ap(unsigned int id)
{
    uint64_t t0 = xenolith_time_now_ns();
    size_t npages = ALIGN_UP(sizeof(struct cpu), PAGE_SIZE) / PAGE_SIZE;
    struct cpu *c = pages_alloc(npages);
    char *stack = stack_alloc(AP_STACK_SIZE);
    if (!c || !stack)
        return -ENOMEM;
    memset(c, 0, npages * PAGE_SIZE);
    c->self = c;
    c->id = id;
    c->arch.idle_stack = stack;
    return launch_ap(c, stack, ap_entry64, t0);
}

/* One bring-up at a time: start_ap's context is static. */
static struct mutex hotplug_lock = MUTEX_INIT(hotplug_lock);

int smp_hotplug_cpu(unsigned int id)
{
    if (id == 0 || id >= possible_cpus)
        return -EINVAL;
    mutex_lock(&hotplug_lock);
    int rc = smp_cpu((int)id) ? -EEXIST : start_ap(id);
    mutex_unlock(&hotplug_lock);
    if (rc == 0)
        printk("smp: vcpu %u up in %lu us (hotplug); %d online\n", id,
               (unsigned long)(smp_cpu((int)id)->bringup_ns / 1000), smp_num_online());
    return rc;
}

int smp_restart_cpu(struct cpu *c)
{
    uint64_t t0 = xenolith_time_now_ns();
    mutex_lock(&hotplug_lock);
    int rc = -EEXIST;
    if (!smp_cpu((int)c->id)) {
        /* Its ports were the old domain's: nothing may signal or poll them meanwhile. */
        c->smp.ipi_port = c->smp.lock_port = 0;
        c->timers.virq_port = 0;
        rc = launch_ap(c, c->arch.idle_stack, ap_restart64, t0);
    }
    mutex_unlock(&hotplug_lock);
    if (rc == 0)
        printk("smp: vcpu %u started again in %lu us (offline across a restore or migration: a new "
               "context, its own per-CPU block and idle stack); %d online\n",
               c->id, (unsigned long)(c->bringup_ns / 1000), smp_num_online());
    return rc;
}

void smp_boot_aps(uint64_t rsdp_pa)
{
    struct acpi_cpus *cpus = calloc(1, sizeof(*cpus));
    unsigned int xen_n = xen_vcpu_count();
    int have_madt = cpus && acpi_find_cpus(rsdp_pa, cpus) == 0 && cpus->n > 0;

    /* Xen knows every possible VCPU; libxl's MADT lists those online at boot. */
    possible_cpus = MAX(xen_n, 1);
    if (!have_madt)
        printk("smp: no usable MADT; starting all %u VCPUs Xen knows\n", possible_cpus);
    else if (cpus->n > possible_cpus)
        printk("smp: MADT lists %u VCPUs but Xen knows only %u\n", cpus->n, possible_cpus);

    uint64_t total = 0, slowest = 0;
    int up = 1;
    for (unsigned int id = 1; id < possible_cpus; id++) {
        if (have_madt && (id >= cpus->n || !cpus->cpu[id].enabled))
            continue; /* offline at boot (maxvcpus > vcpus): known, not started */
        if (start_ap(id) == 0) {
            uint64_t ns = smp_cpu((int)id)->bringup_ns;
            up++;
            total += ns;
            slowest = MAX(slowest, ns);
        }
    }
    free(cpus);
    printk("smp: %d online / %u possible VCPUs; bring-up %lu us per VCPU on average, %lu us at "
           "most\n",
           up, possible_cpus, (unsigned long)(up > 1 ? total / 1000 / (uint64_t)(up - 1) : 0),
           (unsigned long)(slowest / 1000));
}
