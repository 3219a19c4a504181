/* shared_info, per-VCPU vcpu_info, and pvclock time from them. */
#ifndef XENOLITH_SHARED_INFO_H
#define XENOLITH_SHARED_INFO_H

#include <stdint.h>
#include <xen/xen.h>

struct cpu;

extern struct shared_info *shared_info;

/* Map shared_info into a guest-physical hole. 0 or -errno. */
int shared_info_init(void);
int shared_info_resume(void);

/*
 * Point Xen at this CPU's own vcpu_info (inside struct cpu) with
 * VCPUOP_register_vcpu_info; required past 32 VCPUs, done for all. 0 or -errno.
 */
int vcpu_info_register(struct cpu *c);

/* Xen system time in ns, from this CPU's vcpu_time_info. */
uint64_t pvclock_now(void);

/* Wall clock (ns since the epoch) at system time zero, from shared_info. */
uint64_t pvclock_wallclock_at_zero(void);

#endif
