/*
 * Panic and backtraces. The symbol table (.ksyms) is generated from the image's
 * own text symbols by tools/ksyms.sh at the second link; core/ksyms.c searches it.
 */
#include "core/kernel.h"
#include "core/panic.h"
#include "core/ksyms.h"
#include "core/console.h"
#include "core/shutdown.h"
#include "arch/x86/x86.h"
#include "arch/x86/paging.h"
#include "core/platform.h"
#include "core/percpu.h"
#include "core/smp.h"
#include "core/spinlock.h"
#include "core/time.h"

extern const uint32_t ksyms_count, ksyms_ntokens;
extern const unsigned char ksyms_entries[], ksyms_tokens[];

int symbol_lookup(uintptr_t addr, char *name, size_t size, uintptr_t *offset)
{
    const struct ksyms table = {ksyms_count, ksyms_entries, ksyms_ntokens, ksyms_tokens};
    uint32_t within;

    if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end)
        return -ENOENT;
    long i = ksyms_find(&table, (uint32_t)(addr - (uintptr_t)__text_start), &within);
    if (i < 0)
        return -ENOENT;
    ksyms_name(&table, (uint32_t)i, name, size);
    *offset = within;
    return 0;
}

void symbol_print(uintptr_t addr)
{
    char name[128];
    uintptr_t off;
    if (symbol_lookup(addr, name, sizeof(name), &off) == 0)
        printk("<%s+%#lx>", name, (unsigned long)off);
    else
        printk("<?>");
}

static int readable(uintptr_t a)
{
    return (a & 7) == 0 && vm_lookup(a) && vm_lookup(a + 8);
}

static void backtrace_walk(uintptr_t rbp);

/* Does a call instruction end right before ret? (call rel32, or call through a register.) */
static int after_call(uintptr_t ret)
{
    const uint8_t *p = (const uint8_t *)ret;
    if (ret < (uintptr_t)__text_start + 8 || ret > (uintptr_t)__text_end)
        return 0;
    return p[-5] == 0xe8 || (p[-2] == 0xff && (p[-1] & 0x38) == 0x10) ||
           (p[-3] == 0xff && (p[-2] & 0x38) == 0x10);
}

void backtrace_print_trap(uintptr_t pc, uintptr_t rbp, uintptr_t rsp)
{
    /* A leaf function without a frame leaves its return address at the top of stack. */
    uintptr_t top = readable(rsp) ? *(uintptr_t *)rsp : 0;
    uintptr_t framed = readable(rbp) ? ((uintptr_t *)rbp)[1] : 0;
    printk("backtrace:\n  %016lx ", (unsigned long)pc);
    symbol_print(pc);
    printk("\n");
    if (top != framed && after_call(top)) {
        printk("  %016lx ", (unsigned long)top);
        symbol_print(top - 1);
        printk(" (caller of a frameless function)\n");
    }
    backtrace_walk(rbp);
}

void backtrace_print(uintptr_t pc, uintptr_t rbp)
{
    printk("backtrace:\n  %016lx ", (unsigned long)pc);
    symbol_print(pc);
    printk("\n");
    backtrace_walk(rbp);
}

static void backtrace_walk(uintptr_t rbp)
{
    for (int depth = 0; depth < 32 && rbp && readable(rbp); depth++) {
        uintptr_t ret = ((uintptr_t *)rbp)[1];
        uintptr_t next = ((uintptr_t *)rbp)[0];
        if (!ret)
            break;
        /* ret points after the call; ret-1 is inside the caller. */
        printk("  %016lx ", (unsigned long)ret);
        symbol_print(ret - 1);
        printk("\n");
        if (next <= rbp)
            break; /* frames go up the stack; anything else is a corrupt chain */
        rbp = next;
    }
}

/*
 * One VCPU reports a crash at a time; the first one to panic stops the others
 * with an NMI (which reaches them even with interrupts off), and each of them
 * prints its own backtrace before the domain ends.
 */
static int panic_cpu = -1;
static spinlock_t report_lock = SPINLOCK_INIT;
static int stopped_cpus;

void panic_begin(void)
{
    irq_disable();
    console_panic_mode();
    int me = (int)this_cpu()->id, none = -1;
    if (!__atomic_compare_exchange_n(&panic_cpu, &none, me, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST) &&
        panic_cpu != me) {
        /* Another VCPU is already reporting: add our backtrace after it, then stop. */
        panic_nmi_stop(__builtin_frame_address(0));
    }
    spin_lock(&report_lock);
}

/* Report this VCPU's state after another one panicked, then halt for good. */
static _Noreturn void stop_and_report(uintptr_t rip, uintptr_t rbp, uintptr_t rsp)
{
    spin_lock(&report_lock);
    printk("\n*** vcpu %u stopped (panic on vcpu %d)\n", this_cpu()->id, panic_cpu);
    backtrace_print_trap(rip, rbp, rsp);
    spin_unlock(&report_lock);
    __atomic_add_fetch(&stopped_cpus, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        irq_disable();
        halt();
    }
}

_Noreturn void panic_nmi_stop(void *rbp)
{
    stop_and_report((uintptr_t)__builtin_return_address(0), (uintptr_t)rbp, 0);
}

_Noreturn void panic_nmi_stop_frame(uintptr_t rip, uintptr_t rbp, uintptr_t rsp)
{
    stop_and_report(rip, rbp, rsp);
}

int panic_in_progress(void)
{
    return __atomic_load_n(&panic_cpu, __ATOMIC_SEQ_CST) >= 0;
}

_Noreturn void panic_end_domain(void)
{
    spin_unlock(&report_lock);
    int others = smp_num_online() - 1;
    if (others > 0) {
        for (int id = 0; id < MAX_CPUS; id++) {
            struct cpu *c = smp_cpu(id);
            if (c && c != this_cpu())
                platform->stop_cpu((unsigned int)id);
        }
        /* Give them a moment to print; a wedged VCPU must not keep us from ending. */
        uint64_t t0 = rdtsc(), limit = tsc_khz() * 2000;
        while (__atomic_load_n(&stopped_cpus, __ATOMIC_SEQ_CST) < others && rdtsc() - t0 < limit)
            cpu_relax();
    }
    spin_lock(&report_lock);
    printk("xenolith: crashed\n");
    kernel_shutdown(SHUTDOWN_REASON_CRASH, -1);
}

_Noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    uintptr_t rbp = (uintptr_t)__builtin_frame_address(0);

    panic_begin();
    printk("\n*** panic: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
    backtrace_print((uintptr_t)__builtin_return_address(0), ((uintptr_t *)rbp)[0]);
    panic_end_domain();
}
