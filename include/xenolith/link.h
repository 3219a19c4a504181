/*
 * What the toolstack may ask of a running domain beyond poweroff and reboot is
 * linked only into the images that want it, so the others do not carry its bytes.
 * An app gets a part by calling its API (named below), or by naming it in any one
 * of its source files:
 *
 *     #include <xenolith/link.h>
 *     XENOLITH_LINK(suspend);
 *
 * suspend       xl save, restore, save -c, migrate. Also linked by
 *               xenolith_on_suspend() / xenolith_on_resume() and by the disk and
 *               network drivers. Without it the domain does not offer
 *               control/feature-suspend and answers a suspend request with a
 *               console line, leaving it unacknowledged; the domain goes on.
 * balloon       xl mem-set (memory/target). Also linked by xenolith_memory_on_change().
 *               Without it the domain keeps the memory it booted with.
 * vcpu_hotplug  xl vcpu-set (cpu/N/availability). Without it the domain keeps the
 *               VCPUs it booted with, and links no VCPU offline path (moving
 *               threads, timers and events off a VCPU that goes).
 *
 * Not parts but linked the same way: newlib's exit procedures come with atexit()
 * (newlib's lite exit; without them exit() flushes the streams and ends).
 */
#ifndef XENOLITH_LINK_H
#define XENOLITH_LINK_H

extern const char xenolith_link_suspend;
extern const char xenolith_link_balloon;
extern const char xenolith_link_vcpu_hotplug;

/* A reference the linker resolves from the kernel library: it brings the part in. */
#define XENOLITH_LINK(part)                                                                        \
    __attribute__((used)) static const char *const xenolith_link_ref_##part = &xenolith_link_##part

#endif
