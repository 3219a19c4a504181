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
#include "drivers/xen/evtchn.h"
#include "drivers/xen/gnttab.h"
#include "drivers/xen/physmap.h"
#include "drivers/xen/shared_info.h"
#include "drivers/xen/vcpu_hotplug.h"
#include "drivers/xen/xenstore_internal.h"
#include <stdlib.h>

int main(int argc, char **argv);

/* Apps may define these to override the defaults. */
__attribute__((weak)) const char xenolith_app_name[] = "app";
__attribute__((weak)) const size_t xenolith_main_stack_size = 256 * 1024;

static struct cpu boot_cpu;
static struct boot_info boot;
static int app_argc;
static char **app_argv;

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

/* Xen services that need threads (they wait for replies): run in the main thread. */
static void xen_services_late(void)
{
    int rc = xenstore_init();
    if (rc == 0)
        rc = control_init();
    if (rc == 0) {
        balloon_init();
        vcpu_hotplug_init();
    }
    printk("xenstore: %s\n", rc == 0 ? "connected, watching control/shutdown" : "unavailable");
}

static void *app_start(void *arg)
{
    if (xen.present)
        xen_services_late();
    uint64_t cycles = rdtsc() - boot_tsc;
    printk("boot: entry to main in %lu cycles (%lu us)\n", (unsigned long)cycles,
           (unsigned long)(cycles * 1000 / tsc_khz()));
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
    unsigned int frames, max;
    if (gnttab_init() < 0)
        panic("xen: no grant table");
    gnttab_frames(&frames, &max);
    printk("grants: v1, %u of %u frames mapped (%u refs each)\n", frames, max, 512);
}

void kernel_start(uint32_t start_info_paddr);

void kernel_start(uint32_t start_info_paddr)
{
    /* GS first: fault reporting needs this_cpu(). */
    boot_cpu.self = &boot_cpu;
    wrmsr(MSR_GS_BASE, (uintptr_t)&boot_cpu);
    (void)newlib_glue_anchor();

    int on_xen = xen_detect_and_init();
    console_init_early(on_xen);
    if (on_xen)
        printk("xenolith: Xen %u.%u, PVH\n", xen.major, xen.minor);
    else
        printk("xenolith: no Xen found, running on bare hardware/QEMU\n");

    if (start_info_parse(start_info_paddr, &boot) < 0)
        panic("boot: unusable start_info; cannot continue");
    print_memmap(&boot.memmap, boot.memmap_source);

    mm_init(&boot.memmap, boot.reserved, boot.nreserved);
    paging_init(&boot.memmap);
    idt_init();
    cpu_init(&boot_cpu, 0);
    if (!on_xen)
        pic_disable();
    time_init();
    setup_argv(boot.cmdline);

    smp_register_cpu(&boot_cpu);
    sched_init_cpu(&boot_cpu, "idle0");
    if (on_xen)
        xen_services_early();
    if (timer_init_cpu(&boot_cpu) < 0 || smp_init_ipi(&boot_cpu) < 0)
        panic("boot: cannot bind the timer or IPI event channels");
    if (on_xen) {
        xen_console_enable_events();
        smp_boot_aps(boot.rsdp_paddr);
    }
    printk("memory: %lu KiB free of %lu KiB; page tables W^X%s\n",
           (unsigned long)(mm_free_pages() * 4), (unsigned long)(mm_total_pages() * 4),
           boot_nx_supported ? "" : " (no NX on this CPU)");

    struct thread *t = thread_create("main", app_start, NULL, 0, xenolith_main_stack_size);
    if (!t)
        panic("boot: no memory for the main thread");
    thread_detach(t);
    irq_enable();
    sched_idle_loop();
}
