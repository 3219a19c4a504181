/*
 * Descriptor tables. Each CPU has its own GDT and TSS (the TSS holds its IST
 * stacks: #DF, NMI, #MC and #PF run on known-good stacks, so a stack overflow
 * into a guard page is still reported). All CPUs share one IDT.
 */
#include "core/kernel.h"
#include "core/mm.h"
#include "arch/x86/x86.h"
#include "core/percpu.h"
#include "arch/x86/apic.h"

#define IST_STACK_SIZE (8 * 1024)

struct idt_gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __attribute__((packed));

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[256];
extern void (*const trap_entry_table[32])(void);
void irq_upcall_entry(void);
void irq_spurious_entry(void);

static void idt_set(int vec, void (*fn)(void), int ist)
{
    uintptr_t a = (uintptr_t)fn;
    idt[vec].off_lo = (uint16_t)a;
    idt[vec].sel = GDT_CODE;
    idt[vec].ist = (uint8_t)ist;
    idt[vec].type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
    idt[vec].off_mid = (uint16_t)(a >> 16);
    idt[vec].off_hi = (uint32_t)(a >> 32);
}

void idt_init(void)
{
    for (int v = 0; v < 32; v++) {
        int ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : v == 14 ? IST_PF : 0;
        idt_set(v, trap_entry_table[v], ist);
    }
    idt_set(VECTOR_UPCALL, irq_upcall_entry, 0);
    idt_set(VECTOR_SPURIOUS, irq_spurious_entry, 0);
}

void cpu_init(struct cpu *c, unsigned int id)
{
    c->self = c;
    c->id = id;
    wrmsr(MSR_GS_BASE, (uintptr_t)c); /* first: a contended lock below looks up this CPU */
    c->arch.gdt[0] = 0;
    c->arch.gdt[1] = 0x00af9a000000ffffULL;
    c->arch.gdt[2] = 0x00cf92000000ffffULL;

    int again = c->arch.tss.ist[0] != 0; /* set up before: it keeps its stacks */
    for (int i = 0; i < NR_IST && !again; i++) {
        void *top = stack_alloc(IST_STACK_SIZE);
        if (!top)
            panic("cpu%u: no memory for IST stacks", id);
        c->arch.tss.ist[i] = (uintptr_t)top;
    }
    c->arch.tss.iomap_base = sizeof(c->arch.tss);

    uintptr_t t = (uintptr_t)&c->arch.tss;
    uint64_t limit = sizeof(c->arch.tss) - 1;
    c->arch.gdt[3] = (limit & 0xffff) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
                     (((limit >> 16) & 0xf) << 48) | (((t >> 24) & 0xff) << 56);
    c->arch.gdt[4] = t >> 32;

    struct desc_ptr g = {sizeof(c->arch.gdt) - 1, (uintptr_t)c->arch.gdt};
    struct desc_ptr i = {sizeof(idt) - 1, (uintptr_t)idt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movl %2, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %%eax, %%ss\n\t"
                     "ltr %w3\n\t"
                     "lidt %4"
                     :
                     : "m"(g), "i"(GDT_CODE), "i"(GDT_DATA), "r"(GDT_TSS), "m"(i)
                     : "rax", "memory");
}
