/*
 * Time sources. The TSC is always there: its frequency comes from Xen's CPUID
 * leaf (base + 3, subleaf 0, ECX in kHz) or is measured against the PIT over
 * 10 ms. On Xen, pvclock takes over as the monotonic clock (its system time is
 * what set_timer_op deadlines are written in) and supplies the wall clock.
 */
#include "core/kernel.h"
#include "core/time.h"
#include "arch/x86/x86.h"
#include "core/platform.h"

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

/*
 * One PIT reading with the TSC just before and after it. On a busy host QEMU can be
 * preempted around a port read: a wide bracket says this reading's time is unknown.
 */
struct pit_sample {
    uint16_t count;
    uint64_t tsc, width;
};

static struct pit_sample pit_sample(void)
{
    uint64_t a = rdtsc();
    uint16_t count = pit_count();
    uint64_t b = rdtsc();
    return (struct pit_sample){count, a + (b - a) / 2, b - a};
}

/*
 * Channel 0 counting down from 0xffff in mode 0 (its IRQ is masked): TSC ticks per
 * ms over at least 10 ms, between two readings as narrow as the narrowest of the
 * first few (the counter wraps after 55 ms: past 45 ms the last reading is taken).
 */
static uint64_t pit_calibrate(void)
{
    const uint16_t ticks = 11932, give_up = 53000; /* 10 ms, 44 ms at 1.193182 MHz */

    outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    struct pit_sample start = pit_sample();
    for (int i = 0; i < 8; i++) {
        struct pit_sample s = pit_sample();
        if (s.width < start.width)
            start = s;
    }
    for (uint64_t spins = 0;; spins++) {
        struct pit_sample s = pit_sample();
        uint16_t elapsed = (uint16_t)(start.count - s.count);
        if ((elapsed >= ticks && s.width <= 2 * start.width + 64) || elapsed >= give_up)
            return (s.tsc - start.tsc) * 1193182 / ((uint64_t)elapsed * 1000);
        if (spins > 10000000)
            return 0; /* no PIT: the count never moves */
    }
}

static uint64_t tsc_now(void)
{
    /* A multiply, never a 128-bit divide: libgcc's __udivti3 uses the red zone. */
    return (uint64_t)(((unsigned __int128)(rdtsc() - boot_tsc) * tsc_mult) >> 32);
}

void time_init(void)
{
    khz = platform->tsc_khz();
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

uint64_t xenolith_time_now_ns(void)
{
    return (source_now ? source_now() : tsc_now()) + (uint64_t)offset;
}

uint64_t time_to_source_ns(uint64_t ns)
{
    return ns - (uint64_t)offset;
}

void time_suspend(void)
{
    suspended = xenolith_time_now_ns();
}

void time_resume(void)
{
    uint64_t raw = source_now ? source_now() : tsc_now();
    offset = (int64_t)(suspended - raw);
}

uint64_t time_ns_since_boot(void)
{
    return xenolith_time_now_ns() - boot_ns;
}

uint64_t time_wallclock_ns(void)
{
    uint64_t base = source_wallclock ? source_wallclock() : 0;
    return base + time_to_source_ns(xenolith_time_now_ns()) - (source_wallclock ? 0 : boot_ns);
}
