/* VCPU hotplug: follow the toolstack's cpu/N/availability. */
#ifndef XENOLITH_VCPU_HOTPLUG_H
#define XENOLITH_VCPU_HOTPLUG_H

struct cpu;

/*
 * Watch cpu/ (needs xenstore). 0 or negative errno. Boot calls it through a weak
 * reference: an image that links no VCPU hotplug (<xenolith/link.h>) has none.
 */
int vcpu_hotplug_init(void);

#endif
