/* ACPI discovery on the running kernel: maps what it reads, only while it reads it. */
#ifndef XENOLITH_ACPI_H
#define XENOLITH_ACPI_H

#include <stdint.h>
#include "arch/x86/acpi_tables.h"

/*
 * The processors the MADT lists, from the RSDP at rsdp_pa (start_info's rsdp_paddr).
 * 0, or -EINVAL / -ENOENT / -ENOMEM (see acpi_find_madt_cpus). Leaves no mapping behind.
 */
int acpi_find_cpus(uint64_t rsdp_pa, struct acpi_cpus *out);

#endif
