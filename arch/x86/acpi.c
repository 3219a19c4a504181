/*
 * ACPI discovery glue: the tables acpi_tables.c parses are read through here. Each
 * read maps only the pages it needs (read-only, identity, the ones not mapped yet),
 * copies the bytes out and unmaps them again, so nothing a firmware pointer names
 * stays mapped after the parse.
 */
#include "core/kernel.h"
#include "core/page_alloc.h"
#include "arch/x86/acpi.h"
#include "arch/x86/paging.h"
#include <string.h>

/* Below the heap (core/mm.c) every mapping is an identity one: nothing above is a table. */
#define ACPI_PHYS_LIMIT (1ULL << 40)

static int read_phys(void *ctx, uint64_t pa, void *dst, size_t len)
{
    if (!pa || !len || pa >= ACPI_PHYS_LIMIT || len > ACPI_PHYS_LIMIT - pa)
        return -EINVAL;
    char *out = dst;
    while (len) {
        uint64_t page = ALIGN_DOWN(pa, PAGE_SIZE);
        size_t chunk = MIN(len, (size_t)(page + PAGE_SIZE - pa));
        int mapped_here = !vm_lookup(page);
        if (mapped_here && vm_map(page, page, 1, VM_RO) < 0)
            return -ENOMEM;
        memcpy(out, (const void *)(uintptr_t)pa, chunk);
        if (mapped_here)
            vm_unmap(page, 1);
        out += chunk;
        pa += chunk;
        len -= chunk;
    }
    return 0;
}

int acpi_find_cpus(uint64_t rsdp_pa, struct acpi_cpus *out)
{
    return acpi_find_madt_cpus(read_phys, NULL, rsdp_pa, out);
}
