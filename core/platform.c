/*
 * The platform hooks core/ calls (core/platform.h), and the defaults for bare QEMU
 * (qemu -kernel, microvm): no timer interrupt, so the idle loop polls the timers;
 * TSC frequency calibrated by time.c; shutdown through isa-debug-exit.
 */
#include "core/kernel.h"
#include "core/platform.h"
#include "arch/x86/x86.h"

static void bare_idle_wait(void)
{
    irq_enable();
    cpu_relax();
    irq_disable();
}

static void bare_nothing(void)
{
}

static uint32_t bare_tsc_khz(void)
{
    return 0;
}

static void bare_timer_set(uint64_t deadline_ns)
{
}

static int bare_timer_init_cpu(struct cpu *c, void (*fire)(void), int resume)
{
    return 0;
}

static void bare_stop_cpu(unsigned int id)
{
}

static void bare_shutdown(int reason)
{
}

static const struct platform bare = {
    .name = "bare",
    .idle_wait = bare_idle_wait,
    .yield = bare_nothing,
    .tsc_khz = bare_tsc_khz,
    .timer_set = bare_timer_set,
    .timer_init_cpu = bare_timer_init_cpu,
    .stop_cpu = bare_stop_cpu,
    .shutdown = bare_shutdown,
};

const struct platform *platform = &bare;

void platform_register(const struct platform *p)
{
    platform = p;
}
