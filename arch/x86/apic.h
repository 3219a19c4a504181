/* The local APIC: just enough to receive the event channel upcall vector. */
#ifndef XENOLITH_APIC_H
#define XENOLITH_APIC_H

#include <stdint.h>

/* Vectors we use. 0xf3: event channel upcall; 0xff: spurious. */
#define VECTOR_UPCALL   0xf3
#define VECTOR_SPURIOUS 0xff

/* Software-enable this CPU's LAPIC (x2APIC when offered, else xAPIC MMIO). */
int apic_init_cpu(void);
void apic_eoi(void);
uint32_t apic_id(void);

/* Mask the legacy 8259 PICs (present under QEMU, absent on PVH). */
void pic_disable(void);

#endif
