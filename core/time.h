/* Time since boot from the TSC (pvclock refines this with the events work). */
#ifndef XENOLITH_TIME_H
#define XENOLITH_TIME_H

#include <stdint.h>

/* Find the TSC frequency: from Xen's CPUID leaf, else by the PIT. */
void time_init(void);

uint64_t time_ns_since_boot(void);
uint64_t tsc_khz(void);

#endif
