// libFuzzer target for the xenstore wire code: arbitrary bytes as a hostile xenstored's
// reply stream, reassembled in chunk sizes taken from the input (directly and through a
// ring with input-chosen indices), every complete message run through every decoder;
// and the input's strings through the encoders, whose output must decode back.
// FUZZ-SOURCES: drivers/xen/xs_wire.c drivers/xen/xs_ring.c
#include "tests/fuzz/fuzz.h"

#include "drivers/xen/xs_ring.h"
#include "drivers/xen/xs_wire.h"

static struct xs_reader reader;
static struct xenstore_domain_interface intf;
static char value[XENSTORE_PAYLOAD_MAX + 1];
static unsigned char enc[XS_MSG_MAX];

static void decode_all(const struct xs_msg *m)
{
    static const uint32_t acks[] = {XS_WRITE,           XS_MKDIR,        XS_RM,
                                    XS_SET_PERMS,       XS_WATCH,        XS_UNWATCH,
                                    XS_TRANSACTION_END, XS_RESET_WATCHES};
    struct xs_dir_iter it;
    struct xenolith_xs_perm perms[8];
    const char *path, *token;
    uint32_t tx;
    size_t need;
    int r;

    CHECK(xs_wire_check_header(&m->hdr) == 0);
    r = xs_wire_decode_read(m, value, sizeof(value), &need);
    CHECK(r < 0 || (uint32_t)r == m->hdr.len);
    r = xs_wire_decode_read(m, value, 3, &need);
    CHECK(r != -ERANGE || need == (size_t)m->hdr.len + 1);
    r = xs_wire_decode_directory(m, &it);
    if (r >= 0) {
        int n = 0;
        for (const char *name; (name = xs_dir_next(&it)) != NULL; n++)
            CHECK(name[0] != '\0' && name >= m->body && name < m->body + m->hdr.len);
        CHECK(n == r);
    }
    r = xs_wire_decode_perms(m, perms, 8);
    CHECK(r != 0 && r <= 8);
    r = xs_wire_decode_perms(m, NULL, 0);
    CHECK(r != 0);
    if (xs_wire_decode_transaction_start(m, &tx) == 0)
        CHECK(tx != 0);
    if (xs_wire_decode_watch_event(m, &path, &token) == 0)
        CHECK(path[0] != '\0' && token + strlen(token) + 1 == m->body + m->hdr.len);
    for (size_t i = 0; i < sizeof(acks) / sizeof(acks[0]); i++)
        CHECK(xs_wire_decode_ack(m, acks[i]) <= 0);
    CHECK(xs_wire_reply_status(m, XS_READ) <= 0);
}

/* The stream in chunks whose sizes come from the input itself. */
static void feed_chunks(const uint8_t *data, size_t size)
{
    size_t off = 0;
    unsigned int k = 0;
    xs_reader_init(&reader);
    while (off < size) {
        size_t chunk = 1 + data[k++ % size] * 17u % 700u, used;
        struct xs_msg m;
        if (chunk > size - off)
            chunk = size - off;
        int r = xs_reader_feed(&reader, data + off, chunk, &used, &m);
        CHECK(used <= chunk);
        off += used;
        if (r < 0) {
            CHECK(r == -EIO);
            return;
        }
        if (r == 1)
            decode_all(&m);
        else
            CHECK(used == chunk);
    }
}

/* The same bytes through a reply ring whose indices start where the input says. */
static void feed_ring(const uint8_t *data, size_t size)
{
    uint32_t start = 0, off = 0;
    if (size >= 4)
        memcpy(&start, data, 4);
    memset(&intf, 0, sizeof(intf));
    intf.rsp_cons = intf.rsp_prod = start;
    xs_reader_init(&reader);
    while (off < size) {
        uint32_t space = XENSTORE_RING_SIZE - (intf.rsp_prod - intf.rsp_cons);
        uint32_t n = (uint32_t)(size - off) < space ? (uint32_t)(size - off) : space;
        struct xs_msg m;
        int r;
        for (uint32_t i = 0; i < n; i++)
            intf.rsp[MASK_XENSTORE_IDX(intf.rsp_prod + i)] = (char)data[off + i];
        intf.rsp_prod += n;
        off += n;
        while ((r = xs_reader_pull(&reader, &intf, &m)) == 1)
            decode_all(&m);
        if (r < 0)
            return;
        CHECK(intf.rsp_cons == intf.rsp_prod);
    }
    /* Indices the server scribbled on must be refused, never followed. */
    intf.rsp_prod = intf.rsp_cons + XENSTORE_RING_SIZE + 1 + (size > 4 ? data[4] : 0);
    CHECK(xs_ring_read(&intf, value, sizeof(value)) == -EIO);
}

/* Strings from the input through the encoders; what they build must decode back. */
static void encode_round_trip(const uint8_t *data, size_t size)
{
    char path[XENSTORE_ABS_PATH_MAX + 2], token[64];
    size_t plen = size < sizeof(path) - 1 ? size : sizeof(path) - 1;
    int n;

    memcpy(path, data, plen);
    path[plen] = '\0';
    snprintf(token, sizeof(token), "t%zu", size);
    n = xs_wire_encode_watch(enc, sizeof(enc), XS_WATCH, 1, path, token);
    if (n > 0) {
        struct xs_msg m;
        const char *p, *t;
        memcpy(&m.hdr, enc, XS_HDR_SIZE);
        m.body = (const char *)enc + XS_HDR_SIZE;
        CHECK((uint32_t)n == XS_HDR_SIZE + m.hdr.len && m.hdr.len <= XENSTORE_PAYLOAD_MAX);
        m.hdr.type = XS_WATCH_EVENT;
        CHECK(xs_wire_decode_watch_event(&m, &p, &t) == 0);
        CHECK(strcmp(p, path) == 0 && strcmp(t, token) == 0);
    }
    n = xs_wire_encode_write(enc, sizeof(enc), 2, 3, "/a", data, size);
    CHECK(n < 0 ? (n == -E2BIG && size > XENSTORE_PAYLOAD_MAX - 3)
                : (size_t)n == XS_HDR_SIZE + 3 + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    feed_chunks(data, size);
    feed_ring(data, size);
    encode_round_trip(data, size);
    return 0;
}
