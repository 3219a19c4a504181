/*
 * The boot sequence, from the first C instruction to the application's main():
 * find Xen, read start_info, take over memory with our own page tables and
 * descriptor tables, bring up the console, split the command line, call main.
 */
#include "core/kernel.h"
#include "core/cmdline.h"
#include "core/console.h"
#include "core/mm.h"
#include "core/options.h"
#include "core/shutdown.h"
#include "core/time.h"
#include "boot/start_info.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/paging.h"
#include "arch/x86/apic.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/smp.h"
#include "core/timer.h"
#include "drivers/xen/balloon.h"
#include "drivers/xen/console.h"
#include "drivers/xen/control.h"
#include "drivers/xen/platform.h"
#include "drivers/xen/evtchn.h"
#include "drivers/xen/gnttab.h"
#include "drivers/xen/physmap.h"
#include "drivers/xen/shared_info.h"
#include "drivers/xen/vcpu_hotplug.h"
#include "drivers/xen/xenstore_internal.h"
#include <stdlib.h>

int main(int argc, char **argv);

/* Linked only into the images that use them (<xenolith/link.h>): NULL otherwise. */
#pragma weak balloon_init
#pragma weak vcpu_hotplug_init
#pragma weak gnttab_init

/* Apps may define these to override the defaults. */
__attribute__((weak)) const char xenolith_app_name[] = "app";
__attribute__((weak)) const size_t xenolith_main_stack_size = 256 * 1024;

static struct cpu boot_cpu;
static struct boot_info boot;
static int app_argc;
static char **app_argv;

/* TSC at the end of each boot phase, for the one-line report when main starts. */
enum { PHASE_MEMORY, PHASE_PAGING, PHASE_XEN, PHASE_SMP, PHASE_MAIN, PHASES };
static const char *const phase_name[PHASE_MAIN] = {"memory", "paging", "xen", "smp"};
static uint64_t phase_end[PHASES];
static uint64_t steal_at_entry; /* boot VCPU's stolen time when kernel_start began */

static void phase_done(int p)
{
    phase_end[p] = rdtsc();
}

static unsigned long cycles_us(uint64_t cycles)
{
    return (unsigned long)(cycles * 1000 / tsc_khz());
}

/* "boot: phase-us memory=N ... main=N": each phase's own time, main = entry to main. */
static void report_boot(void)
{
    char line[160];
    size_t n = 0;
    uint64_t prev = boot_tsc;
    line[0] = '\0';
    for (int p = 0; p < PHASE_MAIN && n < sizeof(line); p++) {
        n += (size_t)ksnprintf(line + n, sizeof(line) - n, " %s=%lu", phase_name[p],
                               cycles_us(phase_end[p] - prev));
        prev = phase_end[p];
    }
    /* Stolen: the time Xen ran others (dom0, on a shared CPU) while we were ready. */
    printk("boot: phase-us%s main=%lu stolen=%lu\n", line,
           cycles_us(phase_end[PHASE_MAIN] - boot_tsc),
           (unsigned long)((xen_vcpu_steal_ns(0) - steal_at_entry) / 1000));

    struct mm_usage u;
    mm_usage(&u);
    printk("memory: pages kernel=%lu pagetables=%lu stacks=%lu heap=%lu free=%lu\n",
           (unsigned long)u.kernel, (unsigned long)u.pagetables, (unsigned long)u.stacks,
           (unsigned long)u.heap, (unsigned long)u.free);
}

static int opt_debugcon;
KERNEL_OPTION(opt_debugcon, "debugcon", OPT_BOOL, "keep copying the console to port 0xe9");

static void print_memmap(const struct memmap *m, const char *source)
{
    printk("memory: %lu KiB RAM, map from %s:\n", (unsigned long)(memmap_ram_bytes(m) >> 10),
           source);
    for (unsigned int i = 0; i < m->n; i++)
        printk("  %016lx-%016lx %s\n", (unsigned long)m->e[i].addr,
               (unsigned long)(m->e[i].addr + m->e[i].size - 1), memmap_type_name(m->e[i].type));
}

/* Kernel options leave argv; the rest, after argv[0], is the app's. */
static void setup_argv(char *cmdline)
{
    int max = (int)(__builtin_strlen(cmdline) / 2 + 2);
    char **words = malloc((size_t)max * sizeof(char *));
    app_argv = malloc(((size_t)max + 1) * sizeof(char *));
    if (!words || !app_argv)
        panic("boot: no memory for argv");

    int n = cmdline_split(cmdline, words, max), app_only = 0;
    app_argv[app_argc++] = (char *)xenolith_app_name;
    for (int i = 0; i < n; i++) {
        if (!app_only && __builtin_strcmp(words[i], "--") == 0) {
            app_only = 1;
            continue;
        }
        if (!app_only && options_parse(words[i]))
            continue;
        app_argv[app_argc++] = words[i];
    }
    app_argv[app_argc] = NULL;
    free(words);
}

/*
 * Xen services that wait for xenstored's replies: a thread of their own, so main
 * does not wait for them (xenstore requests made meanwhile wait for the ring).
 */
static void *xen_services_late(void *arg)
{
    int rc = xenstore_init();
    if (rc == 0)
        rc = control_init();
    if (rc == 0) {
        if (balloon_init)
            balloon_init();
        if (vcpu_hotplug_init)
            vcpu_hotplug_init();
    }
    printk("xenstore: %s\n", rc == 0 ? "connected, watching control/shutdown" : "unavailable");
    return NULL;
}

static void start_xen_services_late(void)
{
    struct xenolith_thread *t = xenolith_thread_create("xenbus-up", xen_services_late, NULL, 0, 0);
    if (!t)
        panic("boot: no memory for the xenstore thread");
    xenolith_thread_detach(t);
}

static void *app_start(void *arg)
{
    phase_done(PHASE_MAIN);
    uint64_t cycles = phase_end[PHASE_MAIN] - boot_tsc;
    printk("boot: entry to main in %lu cycles (%lu us)\n", (unsigned long)cycles,
           cycles_us(cycles));
    report_boot();
    if (xen.present)
        xen_console_boot_done();
    __asm__ volatile("fninit");
    exit(main(app_argc, app_argv));
}

/* Xen services on the boot CPU: shared_info, events, time, timers, console. */
static void xen_services_early(void)
{
    physmap_init(&boot.memmap);
    if (shared_info_init() < 0 || vcpu_info_register(&boot_cpu) < 0)
        panic("xen: cannot map shared_info / vcpu_info");
    time_set_source(pvclock_now, pvclock_wallclock_at_zero);
    if (evtchn_init() < 0)
        panic("xen: no event channel upcall");
    xen_console_init(opt_debugcon);
    printk("events: %s, %s %#x\n", evtchn_abi_name(), evtchn_upcall_name(), VECTOR_UPCALL);
    if (gnttab_init && gnttab_init() < 0) /* linked only when something grants */
        panic("xen: no grant table");
}

void kernel_start(uint32_t start_info_paddr);

void kernel_start(uint32_t start_info_paddr)
{
    /* GS first: fault reporting needs this_cpu(). */
    boot_cpu.self = &boot_cpu;
    wrmsr(MSR_GS_BASE, (uintptr_t)&boot_cpu);
    (void)newlib_glue_anchor();

    int on_xen = xen_detect_and_init();
    if (on_xen)
        xen_platform_register();
    steal_at_entry = xen_vcpu_steal_ns(0);
    console_init_early(on_xen);
    if (on_xen)
        printk("xenolith: Xen %u.%u, PVH\n", xen.major, xen.minor);
    else
        printk("xenolith: no Xen found, running on bare hardware/QEMU\n");

    if (start_info_parse(start_info_paddr, &boot) < 0)
        panic("boot: unusable start_info; cannot continue");
    print_memmap(&boot.memmap, boot.memmap_source);

    mm_init(&boot.memmap, boot.reserved, boot.nreserved);
    phase_done(PHASE_MEMORY);
    paging_init(&boot.memmap);
    idt_init();
    cpu_init(&boot_cpu, 0);
    if (!on_xen)
        pic_disable();
    time_init();
    setup_argv(boot.cmdline);

    smp_register_cpu(&boot_cpu);
    sched_init_cpu(&boot_cpu, "idle0");
    phase_done(PHASE_PAGING);
    if (on_xen)
        xen_services_early();
    if (timer_init_cpu(&boot_cpu) < 0 || (on_xen && smp_init_ipi(&boot_cpu) < 0))
        panic("boot: cannot bind the timer or IPI event channels");
    if (on_xen)
        xen_console_enable_events();
    phase_done(PHASE_XEN);
    if (on_xen)
        smp_boot_aps(boot.rsdp_paddr);
    phase_done(PHASE_SMP);
    printk("memory: %lu KiB free of %lu KiB; page tables W^X%s\n",
           (unsigned long)(mm_free_pages() * 4), (unsigned long)(mm_total_pages() * 4),
           boot_nx_supported ? "" : " (no NX on this CPU)");

    /* main first in the run queue: xenbus-up's first request wakes dom0, which then
     * takes the CPU (one physical CPU nested), and main need not wait for that. */
    if (on_xen)
        xenstore_expect(); /* main's xenstore requests wait for xenbus-up */
    struct xenolith_thread *t =
        xenolith_thread_create("main", app_start, NULL, 0, xenolith_main_stack_size);
    if (!t)
        panic("boot: no memory for the main thread");
    xenolith_thread_detach(t);
    if (on_xen)
        start_xen_services_late();
    irq_enable();
    sched_idle_loop();
}
