/* VCPU hotplug: follow the toolstack's cpu/N/availability. */
#ifndef XENOLITH_VCPU_HOTPLUG_H
#define XENOLITH_VCPU_HOTPLUG_H

/*
 * Watch cpu/ (needs xenstore). 0 or negative errno. Weak: NULL in an image that
 * links no VCPU hotplug (<xenolith/link.h>).
 */
extern int vcpu_hotplug_init(void) __attribute__((weak));

#endif
