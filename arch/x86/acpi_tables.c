/*
 * ACPI parsing for CPU discovery. libxl builds these tables for PVH guests; the
 * MADT lists every possible VCPU, "enabled" for those online at boot. All
 * lengths and checksums are checked: a bad table gives an error, not a guess.
 * Pure code, host tested (tests/unit/test_acpi_tables.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "arch/x86/acpi_tables.h"

struct sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));

struct rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __attribute__((packed));

static uint8_t sum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (len--)
        s += *b++;
    return s;
}

int acpi_table_valid(const void *p, size_t len, const char sig[4])
{
    const struct sdt_header *h = p;
    if (len < sizeof(*h) || memcmp(h->signature, sig, 4) != 0)
        return 0;
    if (h->length < sizeof(*h) || h->length > len)
        return 0;
    return sum(p, h->length) == 0;
}

int acpi_rsdp_root(const void *p, size_t len, uint64_t *root, unsigned int *entry_size)
{
    const struct rsdp *r = p;
    if (len < 20 || memcmp(r->signature, "RSD PTR ", 8) != 0 || sum(p, 20) != 0)
        return -EINVAL;
    if (r->revision >= 2 && len >= sizeof(*r) && r->length >= sizeof(*r) && r->length <= len &&
        sum(p, r->length) == 0 && r->xsdt) {
        *root = r->xsdt;
        *entry_size = 8;
        return 0;
    }
    if (!r->rsdt)
        return -EINVAL;
    *root = r->rsdt;
    *entry_size = 4;
    return 0;
}

uint64_t acpi_root_entry(const void *root, unsigned int entry_size, unsigned int i)
{
    const struct sdt_header *h = root;
    size_t off = sizeof(*h) + (size_t)i * entry_size;
    if (off + entry_size > h->length)
        return 0;
    const uint8_t *e = (const uint8_t *)root + off;
    uint64_t v = 0;
    memcpy(&v, e, entry_size);
    return v;
}

static void add_cpu(struct acpi_cpus *out, uint32_t apic_id, uint32_t flags)
{
    if (!(flags & 3))
        return; /* neither enabled nor online-capable: not a usable processor */
    if (out->n >= ACPI_MAX_CPUS)
        return;
    struct acpi_cpu *c = &out->cpu[out->n++];
    c->apic_id = apic_id;
    c->enabled = flags & 1;
    c->online_capable = !!(flags & 2);
    if (c->enabled)
        out->n_enabled++;
}

int acpi_madt_cpus(const void *madt, struct acpi_cpus *out)
{
    const struct sdt_header *h = madt;
    const uint8_t *p = (const uint8_t *)madt + sizeof(*h) + 8; /* LAPIC address + flags */
    const uint8_t *end = (const uint8_t *)madt + h->length;

    out->n = 0;
    out->n_enabled = 0;
    if (h->length < sizeof(*h) + 8)
        return -EINVAL;
    while (p + 2 <= end) {
        uint8_t type = p[0], len = p[1];
        if (len < 2 || p + len > end) {
            out->n = out->n_enabled = 0; /* no half list next to an error */
            return -EINVAL;              /* (a zero length would loop forever) */
        }
        if (type == 0 && len >= 8) {
            uint32_t flags;
            memcpy(&flags, p + 4, 4);
            add_cpu(out, p[3], flags);
        } else if (type == 9 && len >= 16) {
            uint32_t id, flags;
            memcpy(&id, p + 4, 4);
            memcpy(&flags, p + 8, 4);
            add_cpu(out, id, flags);
        }
        p += len;
    }
    return 0;
}

/* A copy of the table at pa, valid and of signature sig, or NULL (free() it). */
static void *copy_table(acpi_read_fn read, void *ctx, uint64_t pa, const char sig[4], int *err)
{
    struct sdt_header h;
    *err = -EINVAL;
    if (read(ctx, pa, &h, sizeof(h)) < 0 || memcmp(h.signature, sig, 4) != 0 ||
        h.length < sizeof(h) || h.length > ACPI_TABLE_MAX)
        return NULL;
    void *t = malloc(h.length);
    if (!t) {
        *err = -ENOMEM;
        return NULL;
    }
    if (read(ctx, pa, t, h.length) < 0 || !acpi_table_valid(t, h.length, sig)) {
        free(t);
        return NULL;
    }
    return t;
}

int acpi_find_madt_cpus(acpi_read_fn read, void *ctx, uint64_t rsdp_pa, struct acpi_cpus *out)
{
    struct rsdp r;
    size_t rlen = 20;
    uint64_t root_pa;
    unsigned int esz;
    int err;

    out->n = out->n_enabled = 0;
    /* Revision 2 adds 16 bytes: read them only when the first 20 say they are there. */
    if (read(ctx, rsdp_pa, &r, 20) < 0)
        return -EINVAL;
    if (r.revision >= 2 && read(ctx, rsdp_pa, &r, sizeof(r)) == 0)
        rlen = sizeof(r);
    if (acpi_rsdp_root(&r, rlen, &root_pa, &esz) < 0)
        return -EINVAL;
    void *root = copy_table(read, ctx, root_pa, esz == 8 ? "XSDT" : "RSDT", &err);
    if (!root)
        return err;
    int rc = -ENOENT;
    uint32_t n = (((const struct sdt_header *)root)->length - sizeof(struct sdt_header)) / esz;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t pa = acpi_root_entry(root, esz, i);
        struct sdt_header h;
        if (!pa || read(ctx, pa, &h, sizeof(h)) < 0 || memcmp(h.signature, "APIC", 4) != 0)
            continue;
        void *madt = copy_table(read, ctx, pa, "APIC", &rc);
        if (madt) {
            rc = acpi_madt_cpus(madt, out);
            free(madt);
        }
        break;
    }
    free(root);
    return rc;
}
