/*
 * Exceptions. Every one of the 32 is fatal for a unikernel: print what happened
 * (vector, error code, RIP, CR2, every register), a symbolized backtrace, and end
 * the domain as crashed.
 */
#include "core/kernel.h"
#include "core/panic.h"
#include "arch/x86/x86.h"
#include "core/percpu.h"
#include "arch/x86/traps.h"

static const char *const trap_names[32] = {"#DE divide error",
                                           "#DB debug",
                                           "NMI",
                                           "#BP breakpoint",
                                           "#OF overflow",
                                           "#BR bound range",
                                           "#UD invalid opcode",
                                           "#NM device not available",
                                           "#DF double fault",
                                           "coprocessor overrun",
                                           "#TS invalid TSS",
                                           "#NP segment not present",
                                           "#SS stack fault",
                                           "#GP general protection",
                                           "#PF page fault",
                                           "reserved 15",
                                           "#MF x87 error",
                                           "#AC alignment check",
                                           "#MC machine check",
                                           "#XM SIMD error",
                                           "#VE virtualization",
                                           "#CP control protection",
                                           "reserved 22",
                                           "reserved 23",
                                           "reserved 24",
                                           "reserved 25",
                                           "reserved 26",
                                           "reserved 27",
                                           "#HV injection",
                                           "#VC VMM communication",
                                           "#SX security",
                                           "reserved 31"};

static void describe_pf(uint64_t err, uint64_t cr2)
{
    printk("  %s %s in %s mode%s; address %#lx%s\n",
           err & 1 ? "protection violation" : "not present",
           err & 16  ? "on instruction fetch"
           : err & 2 ? "on write"
                     : "on read",
           err & 4 ? "user" : "kernel", err & 8 ? " (reserved bit)" : "", (unsigned long)cr2,
           cr2 < 4096 ? " (NULL pointer)" : "");
}

void trap_handler(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    uint64_t cr2 = read_cr2();

    if (f->vector == 2) {
        if (panic_in_progress())
            panic_nmi_stop_frame(f->rip, f->rbp, f->rsp);
        printk("nmi: unexpected NMI on vcpu %u ignored\n", c->id);
        return;
    }

    if (c->in_fault++) {
        printk("\n*** fault %lu at %#lx (CR2 %#lx) while reporting a fault; stopping\n",
               (unsigned long)f->vector, (unsigned long)f->rip, (unsigned long)cr2);
        panic_end_domain();
    }
    panic_begin();
    printk("\n*** fault on vcpu %u: vector %lu (%s), error code %#lx\n", c->id,
           (unsigned long)f->vector, trap_names[f->vector & 31], (unsigned long)f->error);
    if (f->vector == 14)
        describe_pf(f->error, cr2);
    printk("RIP %016lx ", (unsigned long)f->rip);
    symbol_print(f->rip);
    printk("\nCR2 %016lx  RSP %016lx  RFLAGS %08lx  CS %lx  SS %lx\n", (unsigned long)cr2,
           (unsigned long)f->rsp, (unsigned long)f->rflags, (unsigned long)f->cs,
           (unsigned long)f->ss);
    printk("RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", (unsigned long)f->rax,
           (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
    printk("RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx\n", (unsigned long)f->rsi,
           (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
    printk("R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx\n", (unsigned long)f->r9,
           (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
    printk("R13 %016lx  R14 %016lx  R15 %016lx  CR3 %016lx\n", (unsigned long)f->r13,
           (unsigned long)f->r14, (unsigned long)f->r15, (unsigned long)read_cr3());
    backtrace_print_trap(f->rip, f->rbp, f->rsp);
    panic_end_domain();
}
