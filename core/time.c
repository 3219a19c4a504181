/*
 * TSC-based time. On Xen the TSC frequency comes from the hypervisor's CPUID
 * leaf (base + 3, subleaf 0, ECX in kHz); without Xen it is measured against the
 * PIT over 10 ms.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"

static uint64_t khz;
static uint64_t tsc_at_boot;

static uint64_t pit_calibrate(void)
{
    const uint16_t count = 11932; /* 10 ms at 1.193182 MHz */

    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate channel 2 on, speaker off */
    outb(0x43, 0xb0);                                  /* channel 2, lo/hi, mode 0 */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    uint64_t t0 = rdtsc();
    for (uint64_t spins = 0; !(inb(0x61) & 0x20); spins++)
        if (spins > 100000000)
            return 0; /* no PIT */
    return (rdtsc() - t0) / 10;
}

void time_init(void)
{
    uint32_t a, b, c, d;

    tsc_at_boot = boot_tsc;
    if (xen.present) {
        cpuid(xen.cpuid_base + 3, 0, &a, &b, &c, &d);
        khz = c;
    }
    if (!khz)
        khz = pit_calibrate();
    if (!khz) {
        printk("time: TSC frequency unknown; assuming 1 GHz\n");
        khz = 1000000;
    }
}

uint64_t tsc_khz(void)
{
    return khz;
}

uint64_t time_ns_since_boot(void)
{
    uint64_t t = rdtsc() - tsc_at_boot;
    /* t * 1e6 / khz without overflow for centuries of uptime. */
    return (uint64_t)((unsigned __int128)t * 1000000u / khz);
}
