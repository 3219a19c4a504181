/*
 * Writes the seed inputs of tests/fuzz/corpus/NAME/ (committed; rerun with
 * `make fuzz-corpus` after changing a target's input format). Each seed is a small,
 * valid example of what its target parses, laid out as that target reads its input:
 * libFuzzer mutates from there and so reaches past checksums and magic numbers.
 * Built for the host with the Xen public headers; nothing here is fetched.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/io/xs_wire.h>

#include "../unit/cpio_writer.h"

static const char *root;

static void put(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, target);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void put_str(const char *target, const char *name, const char *s)
{
    put(target, name, s, strlen(s));
}

static void le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void checksum(uint8_t *t, size_t len, size_t at)
{
    uint8_t s = 0;
    t[at] = 0;
    for (size_t i = 0; i < len; i++)
        s += t[i];
    t[at] = (uint8_t)-s;
}

/* ---- acpi: guest memory from 0x1000, the RSDP first ---- */

static size_t sdt(uint8_t *t, const char *sig, const uint8_t *body, size_t blen)
{
    memcpy(t, sig, 4);
    le(t + 4, 36 + blen, 4);
    t[8] = 1;
    memcpy(t + 10, "XENOLI", 6);
    memcpy(t + 36, body, blen);
    checksum(t, 36 + blen, 9);
    return 36 + blen;
}

static size_t madt_body(uint8_t *b, int ncpus)
{
    size_t n = 0;
    le(b, 0xfee00000, 4);
    le(b + 4, 0, 4);
    n = 8;
    for (int i = 0; i < ncpus; i++, n += 8) {
        b[n] = 0;
        b[n + 1] = 8;
        b[n + 2] = (uint8_t)i;
        b[n + 3] = (uint8_t)(2 * i);
        le(b + n + 4, i < ncpus - 1 ? 1 : 2, 4); /* the last one online-capable only */
    }
    b[n] = 9; /* an x2APIC entry */
    b[n + 1] = 16;
    le(b + n + 4, 300, 4);
    le(b + n + 8, 1, 4);
    le(b + n + 12, 300, 4);
    return n + 16;
}

static void acpi(void)
{
    static uint8_t m[0x400], body[256];
    size_t n;
    /* RSDP v2 at 0x1000 -> XSDT at 0x1040 -> FACP at 0x1100, MADT at 0x1140. */
    memset(m, 0, sizeof(m));
    memcpy(m, "RSD PTR ", 8);
    memcpy(m + 9, "XENOLI", 6);
    m[15] = 2;
    le(m + 16, 0x1080, 4);
    le(m + 20, 36, 4);
    le(m + 24, 0x1040, 8);
    checksum(m, 20, 8);
    checksum(m, 36, 32);
    le(body, 0x1100, 8);
    le(body + 8, 0x1140, 8);
    sdt(m + 0x40, "XSDT", body, 16);
    le(body, 0x1140, 4);
    sdt(m + 0x80, "RSDT", body, 4);
    memset(body, 0, 64);
    sdt(m + 0x100, "FACP", body, 8);
    n = madt_body(body, 4);
    size_t end = 0x140 + sdt(m + 0x140, "APIC", body, n);
    put("acpi", "rsdp2-xsdt-madt", m, end);
    /* The same with a revision 1 RSDP: RSDT only. */
    m[15] = 0;
    checksum(m, 20, 8);
    put("acpi", "rsdp1-rsdt-madt", m, end);
    /* Bare tables, for the single-table parsers. */
    put("acpi", "madt", m + 0x140, end - 0x140);
    put("acpi", "xsdt", m + 0x40, 52);
}

/* ---- start_info: byte 0 = layout (0: at 1 MiB, 1: ending at 4 GiB), then memory ---- */

static void start_info(void)
{
    static uint8_t m[1 + 0x200];
    struct hvm_start_info si;
    struct hvm_memmap_table_entry e[3] = {
        {0, 0x9fc00, 1, 0}, {0x100000, 0x3f00000, 1, 0}, {0xfeff8000, 0x8000, 2, 0}};
    uint64_t base = 0x100000;
    const char *cmd = "hello 'two words' \"x\\\"y\" xenolith.debugcon=1 -- --app";

    memset(m, 0, sizeof(m));
    memset(&si, 0, sizeof(si));
    si.magic = XEN_HVM_START_MAGIC_VALUE;
    si.version = 1;
    si.cmdline_paddr = base + 0x40;
    si.rsdp_paddr = 0xfc000;
    si.memmap_paddr = base + 0x100;
    si.memmap_entries = 3;
    si.nr_modules = 1;
    si.modlist_paddr = base + 0x180;
    memcpy(m + 1, &si, sizeof(si));
    memcpy(m + 1 + 0x40, cmd, strlen(cmd) + 1);
    memcpy(m + 1 + 0x100, e, sizeof(e));
    put("start_info", "v1-at-1mib", m, 1 + 0x1a0);
    /* v0: no memory map fields. */
    si.version = 0;
    si.nr_modules = 0;
    memcpy(m + 1, &si, sizeof(si));
    put("start_info", "v0-at-1mib", m, 1 + 0x100);

    /* At the 4 GiB edge: 0x80 bytes of memory, a command line with no NUL to the end. */
    size_t size = 0x80;
    base = (1ULL << 32) - size;
    memset(m, 0, sizeof(m));
    m[0] = 1;
    si.version = 1;
    si.cmdline_paddr = base + 0x40;
    si.memmap_paddr = base + 0x38;
    si.memmap_entries = 0;
    memcpy(m + 1, &si, sizeof(si));
    memset(m + 1 + 0x40, 'x', size - 0x40);
    put("start_info", "cmdline-to-the-4gib-edge", m, 1 + size);
}

/* ---- frame: 4 bytes (hdr_len lo, hi, frame_len selector, extra), then the frame ---- */

static size_t eth(uint8_t *f, uint16_t type, int vlan)
{
    memset(f, 0, 12);
    f[0] = 0x02;
    f[6] = 0x02;
    f[11] = 1;
    size_t o = 12;
    if (vlan) {
        f[o++] = 0x81;
        f[o++] = 0x00;
        f[o++] = 0;
        f[o++] = 5;
    }
    f[o++] = (uint8_t)(type >> 8);
    f[o++] = (uint8_t)type;
    return o;
}

static void frame_seed(const char *name, const uint8_t *fr, size_t n)
{
    uint8_t buf[4 + 256];
    buf[0] = (uint8_t)n;
    buf[1] = (uint8_t)(n >> 8);
    buf[2] = 1; /* frame_len = the bytes given */
    buf[3] = 0;
    memcpy(buf + 4, fr, n);
    put("frame", name, buf, 4 + n);
}

static void frame(void)
{
    uint8_t f[256];
    for (int proto = 0; proto < 3; proto++) {
        int vlan = proto == 2;
        size_t o = eth(f, 0x0800, vlan), l4 = proto == 1 ? 8 + 4 : 20 + 4;
        uint8_t *ip = f + o;
        memset(ip, 0, 20 + l4);
        ip[0] = 0x45;
        ip[2] = 0;
        ip[3] = (uint8_t)(20 + l4);
        ip[8] = 64;
        ip[9] = proto == 1 ? 17 : 6;
        memcpy(ip + 12, "\xa9\xfe\x02\x06\xa9\xfe\x02\x01", 8);
        frame_seed(proto == 0   ? "ipv4-tcp"
                   : proto == 1 ? "ipv4-udp"
                                : "vlan-ipv4-tcp",
                   f, o + 20 + l4);
        if (proto == 1) {
            ip[6] = 0x20; /* more fragments */
            frame_seed("ipv4-udp-fragment", f, o + 20 + l4);
        }
    }
    /* IPv6: hop-by-hop options, then a fragment header, then TCP. */
    size_t o = eth(f, 0x86dd, 0);
    uint8_t *ip = f + o;
    memset(ip, 0, 40 + 8 + 8 + 20);
    ip[0] = 0x60;
    ip[5] = 8 + 8 + 20;
    ip[6] = 0; /* hop-by-hop */
    ip[7] = 64;
    ip[8] = 0xfe;
    ip[9] = 0x80;
    ip[23] = 1;
    ip[24] = 0xfe;
    ip[25] = 0x80;
    ip[39] = 2;
    ip[40] = 44; /* next: fragment */
    ip[41] = 0;
    ip[48] = 6; /* next: TCP */
    frame_seed("ipv6-hbh-frag-tcp", f, o + 40 + 8 + 8 + 20);
    ip[6] = 17;
    ip[5] = 8;
    frame_seed("ipv6-udp", f, o + 40 + 8);
}

/* ---- xs_wire: xenstored's reply stream ---- */

static size_t xs_msg(uint8_t *p, uint32_t type, uint32_t req, const char *body, size_t blen)
{
    struct xsd_sockmsg h = {type, req, 0, (uint32_t)blen};
    memcpy(p, &h, sizeof(h));
    memcpy(p + sizeof(h), body, blen);
    return sizeof(h) + blen;
}

static void xs_wire(void)
{
    uint8_t m[512];
    size_t n = 0;
    n += xs_msg(m + n, XS_READ, 1, "hello-from-dom0", 15);
    n += xs_msg(m + n, XS_DIRECTORY, 2, "0\0001\0vif\0", 10);
    n += xs_msg(m + n, XS_WATCH_EVENT, 0, "device/vif/0/state\0tok1\0", 24);
    n += xs_msg(m + n, XS_ERROR, 3, "ENOENT\0", 7);
    n += xs_msg(m + n, XS_TRANSACTION_START, 4, "17\0", 3);
    n += xs_msg(m + n, XS_GET_PERMS, 5, "b0\0r1\0", 6);
    n += xs_msg(m + n, XS_WRITE, 6, "OK\0", 3);
    put("xs_wire", "replies", m, n);
    n = xs_msg(m, XS_WATCH_EVENT, 0, "control/shutdown\0xenolith-control\0", 34);
    put("xs_wire", "watch-event", m, n);
}

/* ---- memmap: entries as fuzz_memmap takes them (short form: k, shift) ---- */

static void memmap(void)
{
    /* addr: 0x00 0x00 = 0; len 0x27 0x0c = 39 << 24 ...; type. Short forms only. */
    const uint8_t qemu[] = {0x00, 0x00, 0x27, 0x04, 1, /* 0, 39 << 16: low RAM */
                            0x09, 0x0c, 0x01, 0x0c, 2, /* 9 << 24 .. reserved */
                            0x01, 0x08, 0x3f, 0x08, 1, /* 1 MiB, 63 MiB RAM */
                            0x7f, 0x14, 0x01, 0x13, 2, /* high reserved */
                            0x00, 0x00, 0x01, 0x00, 1, /* overlap at 0 */
                            0x02, 0x08, 0x02, 0x08, 3, /* ACPI inside RAM */
                            0x81, 0,    0,    0,    0, 0, 0, 0xf0, 0xff, 0x10, 0x0f, 4};
    put("memmap", "qemu-like", qemu, sizeof(qemu));
}

static void text(void)
{
    put_str("cmdline", "plain", "\x10hello world");
    put_str("cmdline", "quotes",
            "\x20"
            "app 'two words' \"a \\\" b\" c\\ d '' \"\" -- x");
    put_str("cmdline", "unterminated",
            "\x03"
            "a 'b c");
    put_str("cmdline", "options", "\x08xenolith.ip=169.254.2.6/16 xenolith.debugcon=1\targ\n");
    put_str("xenbus", "one", "1");
    put_str("xenbus", "zero", "0");
    put_str("xenbus", "max", "18446744073709551615");
    put_str("xenbus", "over", "18446744073709551616");
    put_str("xenbus", "sectors", "2097152");
}

/* ---- ring scripts: op bytes as each target's switch reads them ---- */

static void scripts(void)
{
    /* blkif: start index, then issue x3 (op 0), respond x3 (op 2: how 0, slot), take (3). */
    const uint8_t blk[] = {0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 4, 2, 0, 0, 2, 0, 1,
                           2,    0,    2,    3,    0, 2, 3, 4, 0, 1, 3, 5, 0, 0, 0, 0,
                           0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    put("blkif", "issue-respond-take", blk, sizeof(blk));
    /* netif_rx: sg+gso, 60 buffers, start near the wrap; a data slot with more_data,
     * a GSO extra, the last slot; take, refill, arm. */
    const uint8_t rx[] = {3, 12, 0xfe, 0xff, 0xff, 0xff,
                          0, 0,  0x05, 0xe8, 0x03,    /* data: flags more_data|extra, 1000 */
                          0, 1,  0x01, 0xb4, 0x05, 1, /* extra GSO: flags 0, size 1460, type 1 */
                          0, 0,  0x00, 0x64, 0x00,    /* data: 100 bytes, last */
                          2, 1,  3,    4};
    put("netif_rx", "sg-gso-frame", rx, sizeof(rx));
    /* netif_tx: 16 buffers; put a 6000-byte frame with GSO; answer both slots; reap. */
    const uint8_t tx[] = {16, 0, 0, 0, 0, 0, 0x02, 0x70, 0x17, 2, 0x00, 0x00, 1, 0xb4, 0x05, 1,
                          0,  0, 0, 1, 0, 1, 0,    0,    3,    3, 2,    0,    0, 0,    3};
    put("netif_tx", "gso-frame", tx, sizeof(tx));
    /* evtchn_fifo: one page; ports 5 -> 7 -> 9 linked and pending, HEAD[0] = 5; walk. */
    const uint8_t ev[] = {2, 3, 5, 0, 0xb0 | 0x1, 7, 0, 7, 0, 0xb0, 9, 0, 9, 0, 0xa0, 5, 0, 0,
                          0, 0, 0, 0, 0,          0, 0, 0, 0, 0,    0, 0, 0, 0, 0,    0, 0, 0,
                          0, 0, 0, 0, 0,          0, 0, 0, 0, 0,    0, 1, 0, 0, 0,    0, 0};
    put("evtchn_fifo", "chain", ev, sizeof(ev));
}

/* ---- cpio: archives as `find . | cpio -o -H newc` writes them ---- */

static void cpio(void)
{
    static uint8_t b[4096];
    struct cpio_out o = {b, 0, sizeof(b)};
    cpio_add(&o, "070701", ".", 040755, 1, 3, "", 0);
    cpio_add(&o, "070701", "./etc", 040755, 2, 2, "", 0);
    cpio_add(&o, "070701", "./etc/motd", 0100644, 3, 1, "hello\n", 6);
    cpio_add(&o, "070701", "./a", 0100644, 4, 2, "", 0);
    cpio_add(&o, "070701", "./b", 0100644, 4, 2, "linked", 6);
    cpio_add(&o, "070701", "./etc/link", 0120777, 5, 1, "motd", 4);
    cpio_trailer(&o);
    put("cpio", "tree", b, o.len);
    o.len = 0;
    cpio_add(&o, "070702", "deep/er/file", 0100600, 9, 1, "checksummed", 11);
    cpio_add(&o, "070701", "../escape", 0100644, 10, 1, "x", 1);
    cpio_trailer(&o);
    put("cpio", "crc-and-odd-names", b, o.len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    mkdir(root, 0755);
    acpi();
    start_info();
    frame();
    xs_wire();
    memmap();
    text();
    scripts();
    cpio();
    return 0;
}
