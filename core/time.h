/* Time: a monotonic clock for timers, time since boot, and the wall clock. */
#ifndef XENOLITH_TIME_H
#define XENOLITH_TIME_H

#include <stdint.h>

/* Find the TSC frequency: from Xen's CPUID leaf, else by the PIT. */
void time_init(void);

/*
 * Monotonic nanoseconds, in the base timer deadlines use: Xen system time once
 * pvclock is up, TSC-derived before that and without Xen.
 */
uint64_t xenolith_time_now_ns(void);

uint64_t time_ns_since_boot(void);

/* Nanoseconds since the Unix epoch (0-based at boot when nobody tells us the date). */
uint64_t time_wallclock_ns(void);

uint64_t tsc_khz(void);

/* A better clock (pvclock): its now(), and the wall clock at its time zero. */
void time_set_source(uint64_t (*now)(void), uint64_t (*wallclock_at_zero)(void));

/*
 * Across a suspend the source may start again from another origin (a new host's
 * system time). time_suspend notes where our clock stood; time_resume makes it
 * carry on from there, so xenolith_time_now_ns never goes back. Deadlines handed to the
 * hypervisor are converted with time_to_source_ns.
 */
void time_suspend(void);
void time_resume(void);
uint64_t time_to_source_ns(uint64_t ns);

#endif
