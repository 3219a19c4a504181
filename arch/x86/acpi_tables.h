/* ACPI table parsing (RSDP, RSDT/XSDT, MADT): pure code, no mappings made here. */
#ifndef XENOLITH_ACPI_TABLES_H
#define XENOLITH_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 256

struct acpi_cpu {
    uint32_t apic_id;
    int enabled;        /* online at boot */
    int online_capable; /* may be brought up later */
};

struct acpi_cpus {
    struct acpi_cpu cpu[ACPI_MAX_CPUS];
    unsigned int n; /* processor entries seen (capped at ACPI_MAX_CPUS) */
    unsigned int n_enabled;
};

/* Does the table at p (len bytes readable) have a valid header and checksum? */
int acpi_table_valid(const void *p, size_t len, const char sig[4]);

/*
 * From a validated RSDP (20 bytes, or 36 for revision >= 2), the physical address
 * of the XSDT (preferred) or RSDT and its entry size (8 or 4). -EINVAL if bad.
 */
int acpi_rsdp_root(const void *rsdp, size_t len, uint64_t *root, unsigned int *entry_size);

/* Entry i of a validated RSDT/XSDT (a physical address), or 0 past the end. */
uint64_t acpi_root_entry(const void *root, unsigned int entry_size, unsigned int i);

/*
 * Read the processors of a validated MADT: local APIC (0) and x2APIC (9) entries.
 * 0, or -EINVAL for a malformed entry list (then out lists none).
 */
int acpi_madt_cpus(const void *madt, struct acpi_cpus *out);

/* The longest table acpi_find_madt_cpus copies. */
#define ACPI_TABLE_MAX (1u << 20)

/*
 * Copy len bytes of guest-physical memory at pa into dst. Returns 0, or a negative
 * errno when any of them cannot be read (then dst is not used).
 */
typedef int (*acpi_read_fn)(void *ctx, uint64_t pa, void *dst, size_t len);

/*
 * Find the processors: the RSDP at rsdp_pa, its XSDT (or RSDT), the MADT it lists.
 * Every table is copied out with read before it is looked at (the firmware's bytes
 * are read once: a checksummed copy cannot change under the parser), at most
 * ACPI_TABLE_MAX bytes each. Root entries that cannot be read are skipped.
 * Returns 0 with *out filled, -EINVAL (a bad RSDP, root or MADT), -ENOENT (no MADT)
 * or -ENOMEM.
 */
int acpi_find_madt_cpus(acpi_read_fn read, void *ctx, uint64_t rsdp_pa, struct acpi_cpus *out);

#endif
