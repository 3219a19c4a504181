// libFuzzer target for arch/x86/acpi_tables.c: the ACPI tables the toolstack builds (or a
// hostile one fakes). The input is guest-physical memory from MEM_BASE, the RSDP at its
// start; acpi_find_madt_cpus walks RSDP -> XSDT/RSDT -> MADT through a reader that refuses
// anything outside it. The CPUs found must be consistent (within ACPI_MAX_CPUS, each
// enabled or online-capable, n_enabled counted right), and the same bytes given to the
// single-table parsers must agree with an independent count of MADT processor entries.
// FUZZ-SOURCES: arch/x86/acpi_tables.c
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "arch/x86/acpi_tables.h"

#define MEM_BASE 0x1000u

struct mem {
    const uint8_t *p;
    size_t n;
};

static int mem_read(void *ctx, uint64_t pa, void *dst, size_t len)
{
    const struct mem *m = ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > m->n || len > m->n - (pa - MEM_BASE))
        return -EFAULT;
    memcpy(dst, m->p + (pa - MEM_BASE), len);
    return 0;
}

static void check_cpus(const struct acpi_cpus *c)
{
    unsigned int enabled = 0;
    CHECK(c->n <= ACPI_MAX_CPUS && c->n_enabled <= c->n);
    for (unsigned int i = 0; i < c->n; i++) {
        CHECK(c->cpu[i].enabled == 0 || c->cpu[i].enabled == 1);
        CHECK(c->cpu[i].enabled || c->cpu[i].online_capable);
        enabled += (unsigned int)c->cpu[i].enabled;
    }
    CHECK(enabled == c->n_enabled);
}

/* Processor entries (LAPIC or x2APIC, enabled or online-capable) of a valid MADT. */
static int count_madt_cpus(const uint8_t *t, uint32_t len, unsigned int *n)
{
    *n = 0;
    for (uint32_t off = 44; off + 2 <= len;) {
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || off + elen > len)
            return -EINVAL;
        uint32_t flags = 0;
        if (type == 0 && elen >= 8)
            memcpy(&flags, t + off + 4, 4);
        else if (type == 9 && elen >= 16)
            memcpy(&flags, t + off + 8, 4);
        if ((flags & 3) && *n < ACPI_MAX_CPUS)
            (*n)++;
        off += elen;
    }
    return 0;
}

static struct acpi_cpus cpus;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem m = {data, size};
    memset(&cpus, 0xa5, sizeof(cpus));
    int rc = acpi_find_madt_cpus(mem_read, &m, MEM_BASE, &cpus);
    CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT);
    if (rc == 0)
        check_cpus(&cpus);
    else
        CHECK(cpus.n == 0 && cpus.n_enabled == 0);

    /* The single-table parsers on the raw bytes. */
    if (acpi_table_valid(data, size, "APIC")) {
        uint32_t len;
        unsigned int n;
        memcpy(&len, data + 4, 4);
        CHECK(len >= 36 && len <= size);
        int want = len < 44 ? -EINVAL : count_madt_cpus(data, len, &n);
        rc = acpi_madt_cpus(data, &cpus);
        CHECK(rc == want);
        if (rc == 0) {
            check_cpus(&cpus);
            CHECK(cpus.n == n);
        }
    }
    uint64_t root;
    unsigned int esz;
    if (acpi_rsdp_root(data, size, &root, &esz) == 0) {
        uint64_t x = 0;
        uint32_t r = 0;
        memcpy(&r, data + 16, 4);
        if (size >= 32)
            memcpy(&x, data + 24, 8);
        CHECK((esz == 8 && root == x && x != 0) || (esz == 4 && root == r && r != 0));
    }
    for (const char *sig = "XSDT"; sig; sig = sig[0] == 'X' ? "RSDT" : NULL) {
        if (!acpi_table_valid(data, size, sig))
            continue;
        uint32_t len;
        memcpy(&len, data + 4, 4);
        unsigned int e = sig[0] == 'X' ? 8 : 4;
        for (unsigned int i = 0; i < (len - 36) / e + 2; i++) {
            uint64_t v = acpi_root_entry(data, e, i), want = 0;
            if (36 + (size_t)(i + 1) * e <= len)
                memcpy(&want, data + 36 + i * e, e);
            CHECK(v == want);
        }
    }
    return 0;
}
