/*
 * Time sources. The TSC is always there: its frequency comes from Xen's CPUID
 * leaf (base + 3, subleaf 0, ECX in kHz) or is measured against the PIT over
 * 10 ms. On Xen, pvclock takes over as the monotonic clock (its system time is
 * what set_timer_op deadlines are written in) and supplies the wall clock.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"

static uint64_t khz;
static uint64_t tsc_mult; /* ns = tsc * tsc_mult >> 32 */
static uint64_t (*source_now)(void);
static uint64_t (*source_wallclock)(void);
static uint64_t boot_ns;
static int64_t offset;     /* our clock minus the source's, changed by a resume */
static uint64_t suspended; /* our clock when the domain suspended */

/* PIT channel 0's count, latched (no port 0x61 gate: QEMU's microvm has none). */
static uint16_t pit_count(void)
{
    outb(0x43, 0x00);
    uint8_t lo = inb(0x40);
    return (uint16_t)(lo | inb(0x40) << 8);
}

/* Channel 0 counting down from 0xffff in mode 0 (its IRQ is masked): TSC ticks in 10 ms. */
static uint64_t pit_calibrate(void)
{
    const uint16_t ticks = 11932; /* 10 ms at 1.193182 MHz */

    outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint16_t start = pit_count();
    uint64_t t0 = rdtsc();
    for (uint64_t spins = 0; (uint16_t)(start - pit_count()) < ticks; spins++)
        if (spins > 10000000)
            return 0; /* no PIT: the count never moves */
    return (rdtsc() - t0) / 10;
}

static uint64_t tsc_now(void)
{
    /* A multiply, never a 128-bit divide: libgcc's __udivti3 uses the red zone. */
    return (uint64_t)(((unsigned __int128)(rdtsc() - boot_tsc) * tsc_mult) >> 32);
}

void time_init(void)
{
    uint32_t a, b, c, d;

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
    tsc_mult = (1000000ULL << 32) / khz;
}

void time_set_source(uint64_t (*now)(void), uint64_t (*wallclock_at_zero)(void))
{
    uint64_t since_boot = time_ns_since_boot();
    source_now = now;
    source_wallclock = wallclock_at_zero;
    boot_ns = now() - since_boot; /* keep "since boot" continuous across the switch */
}

uint64_t tsc_khz(void)
{
    return khz;
}

uint64_t time_now_ns(void)
{
    return (source_now ? source_now() : tsc_now()) + (uint64_t)offset;
}

uint64_t time_to_source_ns(uint64_t ns)
{
    return ns - (uint64_t)offset;
}

void time_suspend(void)
{
    suspended = time_now_ns();
}

void time_resume(void)
{
    uint64_t raw = source_now ? source_now() : tsc_now();
    offset = (int64_t)(suspended - raw);
}

uint64_t time_ns_since_boot(void)
{
    return time_now_ns() - boot_ns;
}

uint64_t time_wallclock_ns(void)
{
    uint64_t base = source_wallclock ? source_wallclock() : 0;
    return base + time_to_source_ns(time_now_ns()) - (source_wallclock ? 0 : boot_ns);
}
