/*
 * Local APIC. Xen delivers the per-VCPU event upcall vector through the
 * emulated LAPIC, so it must be software-enabled and each upcall EOI'd. x2APIC
 * (MSRs) when CPUID offers it, else the xAPIC page mapped uncached.
 */
#include "core/kernel.h"
#include "arch/x86/x86.h"
#include "arch/x86/apic.h"
#include "arch/x86/paging.h"

#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define XAPIC_PHYS       0xfee00000ULL

#define REG_ID  0x02
#define REG_EOI 0x0b
#define REG_SVR 0x0f

static int x2apic;
static volatile uint32_t *xapic;

static void apic_write(unsigned int reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + reg, v);
    else
        xapic[reg * 4] = v;
}

static uint32_t apic_read(unsigned int reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + reg) : xapic[reg * 4];
}

int apic_init_cpu(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (!(d & (1u << 9)) && !(c & (1u << 21)))
        return -ENODEV;
    x2apic = !!(c & (1u << 21));
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (x2apic) {
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
    } else {
        if (!xapic && vm_map(XAPIC_PHYS, XAPIC_PHYS, 1, VM_MMIO) < 0)
            return -ENOMEM;
        xapic = (volatile uint32_t *)(uintptr_t)XAPIC_PHYS;
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    }
    apic_write(REG_SVR, 0x100 | VECTOR_SPURIOUS);
    return 0;
}

void apic_eoi(void)
{
    apic_write(REG_EOI, 0);
}

uint32_t apic_id(void)
{
    uint32_t id = apic_read(REG_ID);
    return x2apic ? id : id >> 24;
}

void pic_disable(void)
{
    /* Remap the 8259s away from the exception vectors (0x20-0x2f), then mask all:
     * a BIOS-programmed PIT would otherwise arrive as vector 8, a fake #DF. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}
