/* Per-CPU state, reached through the GS base; GDT, TSS and IDT set-up. */
#ifndef XENOLITH_CPU_H
#define XENOLITH_CPU_H

#include <stdint.h>

#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3
#define IST_PF  4
#define NR_IST  4

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS  0x18

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

/* The x86 part of the per-CPU block (core/percpu.h). */
struct arch_cpu {
    uint64_t gdt[5]; /* null, code, data, tss (two slots) */
    struct tss tss;
    void *idle_stack; /* a secondary VCPU's: the top of the stack it started on */
};

struct cpu;

/* Load this CPU's GDT, TSS (with IST stacks), the shared IDT, and the GS base. Again for a
 * CPU that starts afresh (a VCPU restarted in a new domain): the same tables and stacks. */
void cpu_init(struct cpu *c, unsigned int id);

/* Fill the shared IDT once, before the first cpu_init. */
void idt_init(void);

#endif
