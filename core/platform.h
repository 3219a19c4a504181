/*
 * What core/ needs from the machine under it, as hooks: Xen's are registered at
 * boot once Xen is found (drivers/xen/platform.c); until then, and on bare QEMU,
 * the defaults in core/platform.c run. core/ calls only these, never a hypercall.
 */
#ifndef XENOLITH_PLATFORM_H
#define XENOLITH_PLATFORM_H

#include <stdint.h>

struct cpu;

struct platform {
    const char *name;
    /* Sleep until an interrupt; interrupts off on entry and on return. */
    void (*idle_wait)(void);
    /* Give the physical CPU to someone else for a moment (a spinning lock waiter). */
    void (*yield)(void);
    /* TSC frequency in kHz, or 0 if the platform does not say. */
    uint32_t (*tsc_khz)(void);
    /* Ask for this CPU's timer interrupt at deadline_ns (xenolith_time_now_ns scale). */
    void (*timer_set)(uint64_t deadline_ns);
    /* Route c's timer interrupt to fire(); again after a resume in a new domain. */
    int (*timer_init_cpu)(struct cpu *c, void (*fire)(void), int resume);
    /* Stop another CPU at once, whatever it is doing (a panic): an NMI. */
    void (*stop_cpu)(unsigned int id);
    /* End the domain (reason: enum shutdown_reason); returns only if it could not. */
    void (*shutdown)(int reason);
    /*
     * VCPU offline, both on the CPU going (interrupts off). cpu_move_events: route
     * the device events bound to c to `to` and run what is already queued for c;
     * returns how many moved. cpu_down: stop this CPU until it is started again;
     * returns then (0), its hypervisor state in place, or -errno if it could not
     * stop. NULL: CPUs cannot go offline.
     */
    unsigned int (*cpu_move_events)(struct cpu *c, struct cpu *to);
    int (*cpu_down)(struct cpu *c);
    /* Per-CPU event state for the state dump, or NULL. */
    void (*dump_cpu)(struct cpu *c);
};

extern const struct platform *platform;

/* Boot, once the platform is known; the hooks must outlive the domain. */
void platform_register(const struct platform *p);

#endif
