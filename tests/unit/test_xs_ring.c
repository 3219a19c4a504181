// Host tests for drivers/xen/xs_ring.c: request/reply ring copies at every start offset
// and across the 2^32 index wrap, full and empty rings, impossible indices, the
// reconnect and error fields, and message reassembly fed 1 byte at a time, in random
// chunks (fixed seed), straight from a ring filled by a fake xenstored, and with a bad
// header in the middle of the stream.
// UNIT-SOURCES: drivers/xen/xs_ring.c drivers/xen/xs_wire.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/xen/xs_ring.h"

#define RING XENSTORE_RING_SIZE
#define FILL 0xee

static struct xenstore_domain_interface intf;

static int reset_intf(void **state)
{
    memset(&intf, 0, sizeof(intf));
    memset(intf.req, FILL, RING);
    memset(intf.rsp, FILL, RING);
    return 0;
}

static uint32_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static unsigned char pattern(uint32_t i)
{
    return (unsigned char)(i * 7 + 3);
}

/* ---- layout ---- */

static void test_page_layout(void **state)
{
    /* Offsets from docs/misc/xenstore-ring.txt. */
    assert_int_equal(offsetof(struct xenstore_domain_interface, req), 0);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp), 1024);
    assert_int_equal(offsetof(struct xenstore_domain_interface, req_cons), 2048);
    assert_int_equal(offsetof(struct xenstore_domain_interface, req_prod), 2052);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp_cons), 2056);
    assert_int_equal(offsetof(struct xenstore_domain_interface, rsp_prod), 2060);
    assert_int_equal(offsetof(struct xenstore_domain_interface, server_features), 2064);
    assert_int_equal(offsetof(struct xenstore_domain_interface, connection), 2068);
    assert_int_equal(offsetof(struct xenstore_domain_interface, error), 2072);
}

/* ---- xs_ring_write ---- */

static void test_write_simple(void **state)
{
    assert_int_equal(xs_ring_write(&intf, "abc", 3), 3);
    assert_memory_equal(intf.req, "abc", 3);
    assert_int_equal((unsigned char)intf.req[3], FILL);
    assert_int_equal(intf.req_prod, 3);
    assert_int_equal(intf.req_cons, 0);
    assert_int_equal(xs_ring_write(&intf, "de", 2), 2);
    assert_memory_equal(intf.req, "abcde", 5);
    assert_int_equal(intf.req_prod, 5);
    assert_int_equal(xs_ring_write(&intf, "x", 0), 0);
    assert_int_equal(intf.req_prod, 5);
}

/* From each start index, write len bytes into an empty ring; check every slot. */
static void write_at(uint32_t start, uint32_t len)
{
    unsigned char src[RING];
    for (uint32_t i = 0; i < len; i++)
        src[i] = pattern(i);
    reset_intf(NULL);
    intf.req_cons = intf.req_prod = start;
    assert_int_equal(xs_ring_write(&intf, src, len), len);
    assert_int_equal(intf.req_prod, start + len);
    assert_int_equal(intf.req_cons, start);
    for (uint32_t slot = 0; slot < RING; slot++) {
        uint32_t i = (slot - start) % RING; /* stream offset stored at this slot */
        unsigned char want = i < len ? pattern(i) : FILL;
        if ((unsigned char)intf.req[slot] != want) {
            print_error("start %u len %u: slot %u is %#x, want %#x\n", start, len, slot,
                        (unsigned char)intf.req[slot], want);
            fail();
        }
    }
}

static void test_write_wrap_every_offset(void **state)
{
    for (uint32_t start = 0; start < RING; start++) {
        write_at(start, 100);
        write_at(start, RING); /* the whole ring from any offset */
        write_at(start, 1);
    }
    /* Free-running indices across 2^32. */
    for (uint32_t k = 0; k < 2 * RING; k += 37)
        write_at(UINT32_MAX - RING + 1 + k, 300);
    write_at(UINT32_MAX, 2);
}

static void test_write_full_and_partial(void **state)
{
    unsigned char src[RING + 10];
    memset(src, 'z', sizeof(src));

    /* More than fits: exactly the free space is taken. */
    intf.req_cons = 500;
    intf.req_prod = 500 + 1000;
    assert_int_equal(xs_ring_write(&intf, src, 100), 24);
    assert_int_equal(intf.req_prod, 500 + 1024);

    /* Full: 0, nothing touched. */
    memset(intf.req, FILL, RING);
    assert_int_equal(xs_ring_write(&intf, src, 1), 0);
    assert_int_equal(intf.req_prod, 500 + 1024);
    for (int i = 0; i < RING; i++)
        assert_int_equal((unsigned char)intf.req[i], FILL);

    /* Full across the index wrap. */
    intf.req_cons = UINT32_MAX - 10;
    intf.req_prod = UINT32_MAX - 10 + RING;
    assert_int_equal(xs_ring_write(&intf, src, 5), 0);

    /* Empty ring, oversized buffer. */
    reset_intf(NULL);
    assert_int_equal(xs_ring_write(&intf, src, sizeof(src)), RING);
    assert_int_equal(intf.req_prod, RING);
}

static void test_write_corrupt_indices(void **state)
{
    static const uint32_t cases[][2] = {
        /* {cons, prod} */
        {0, RING + 1},   {100, 100 + RING + 1}, {1, 0}, /* consumer ahead of producer */
        {UINT32_MAX, 5},                                /* prod - cons = 6: fine, checked below */
        {0x80000000, 0}, {5, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reset_intf(NULL);
        intf.req_cons = cases[i][0];
        intf.req_prod = cases[i][1];
        uint32_t used = cases[i][1] - cases[i][0];
        int want = used > RING ? -EIO : (int)(used == RING ? 0 : 1);
        assert_int_equal(xs_ring_write(&intf, "q", 1), want);
        if (want < 0) {
            assert_int_equal(intf.req_prod, cases[i][1]);
            assert_int_equal(intf.req_cons, cases[i][0]);
            for (int j = 0; j < RING; j++)
                assert_int_equal((unsigned char)intf.req[j], FILL);
        }
    }
    /* The rsp indices do not matter to a write. */
    reset_intf(NULL);
    intf.rsp_prod = 5000;
    assert_int_equal(xs_ring_write(&intf, "q", 1), 1);
}

/* ---- xs_ring_read ---- */

static void read_at(uint32_t start, uint32_t avail, uint32_t want_len)
{
    unsigned char dst[RING + 8];
    uint32_t expect = avail < want_len ? avail : want_len;

    reset_intf(NULL);
    for (uint32_t i = 0; i < avail; i++)
        intf.rsp[(start + i) % RING] = (char)pattern(i);
    intf.rsp_cons = start;
    intf.rsp_prod = start + avail;
    memset(dst, FILL, sizeof(dst));
    assert_int_equal(xs_ring_read(&intf, dst, want_len), expect);
    for (uint32_t i = 0; i < expect; i++)
        if (dst[i] != pattern(i)) {
            print_error("start %u avail %u: byte %u is %#x, want %#x\n", start, avail, i, dst[i],
                        pattern(i));
            fail();
        }
    assert_int_equal(dst[expect], FILL);
    assert_int_equal(intf.rsp_cons, start + expect);
    assert_int_equal(intf.rsp_prod, start + avail);
}

static void test_read_wrap_every_offset(void **state)
{
    for (uint32_t start = 0; start < RING; start++) {
        read_at(start, 100, 100);
        read_at(start, RING, RING);
        read_at(start, RING, RING + 8);
        read_at(start, 200, 37);
        read_at(start, 1, 1);
    }
    for (uint32_t k = 0; k < 2 * RING; k += 37)
        read_at(UINT32_MAX - RING + 1 + k, 300, 300);
    read_at(UINT32_MAX, 2, 2);
}

static void test_read_empty_and_corrupt(void **state)
{
    char dst[8];
    intf.rsp_cons = intf.rsp_prod = 1234;
    assert_int_equal(xs_ring_read(&intf, dst, sizeof(dst)), 0);
    assert_int_equal(intf.rsp_cons, 1234);
    intf.rsp_prod = 1235;
    assert_int_equal(xs_ring_read(&intf, dst, 0), 0);
    assert_int_equal(intf.rsp_cons, 1234);

    static const uint32_t cases[][2] = {
        {0, RING + 1}, {10, 9}, {UINT32_MAX, RING}, {0, 0xffffffff}, {7, 7 + 0x10000}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        intf.rsp_cons = cases[i][0];
        intf.rsp_prod = cases[i][1];
        memset(dst, FILL, sizeof(dst));
        assert_int_equal(xs_ring_read(&intf, dst, sizeof(dst)), -EIO);
        assert_int_equal(intf.rsp_cons, cases[i][0]);
        assert_int_equal((unsigned char)dst[0], FILL);
    }
    /* prod - cons == RING exactly is a full ring, not corruption. */
    intf.rsp_cons = UINT32_MAX;
    intf.rsp_prod = UINT32_MAX + RING;
    assert_int_equal(xs_ring_read(&intf, dst, sizeof(dst)), sizeof(dst));
}

/* ---- reconnect and error fields ---- */

static void test_reconnect_and_error(void **state)
{
    /* No features: nothing to wait for, no reconnect, no error field. */
    intf.connection = 0;
    intf.error = XENSTORE_ERROR_RINGIDX;
    assert_int_equal(xs_ring_server_features(&intf), 0);
    assert_int_equal(xs_ring_error(&intf), 0);
    assert_int_equal(xs_ring_reconnect_done(&intf), 1);
    assert_int_equal(xs_ring_reconnect_start(&intf), -ENOTSUP);
    assert_int_equal(intf.connection, 0);
    intf.connection = 1; /* garbage in a field the server does not use */
    assert_int_equal(xs_ring_reconnect_done(&intf), 1);

    /* Error indicator advertised. */
    intf.server_features = XENSTORE_SERVER_FEATURE_ERROR;
    assert_int_equal(xs_ring_error(&intf), XENSTORE_ERROR_RINGIDX);
    intf.error = 77; /* future values are passed through */
    assert_int_equal(xs_ring_error(&intf), 77);
    intf.error = XENSTORE_ERROR_NONE;
    assert_int_equal(xs_ring_error(&intf), 0);
    assert_int_equal(xs_ring_reconnect_start(&intf), -ENOTSUP);

    /* Reconnection advertised: start, wait, server completes. */
    intf.server_features = XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR |
                           0x100; /* unknown bits are ignored */
    intf.connection = XENSTORE_CONNECTED;
    assert_int_equal(xs_ring_reconnect_done(&intf), 1);
    intf.req_prod = 42;
    assert_int_equal(xs_ring_reconnect_start(&intf), 0);
    assert_int_equal(intf.connection, XENSTORE_RECONNECT);
    assert_int_equal(intf.req_prod, 42); /* nothing else touched */
    assert_int_equal(xs_ring_reconnect_done(&intf), 0);
    intf.connection = XENSTORE_CONNECTED;
    assert_int_equal(xs_ring_reconnect_done(&intf), 1);
}

/* ---- reassembly ---- */

#define MAX_MSGS 64

struct stream {
    unsigned char bytes[MAX_MSGS * XS_MSG_MAX];
    size_t len;
    unsigned int n;
    size_t end[MAX_MSGS]; /* stream offset just past message i */
    struct xsd_sockmsg hdr[MAX_MSGS];
    size_t body_off[MAX_MSGS];
};

static struct stream st;
static struct xs_reader reader;

static void stream_add(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *body,
                       uint32_t len)
{
    struct xsd_sockmsg h = {type, req_id, tx_id, len};
    assert_true(st.n < MAX_MSGS);
    memcpy(st.bytes + st.len, &h, 16);
    st.hdr[st.n] = h;
    st.body_off[st.n] = st.len + 16;
    memcpy(st.bytes + st.len + 16, body, len);
    st.len += 16 + len;
    st.end[st.n++] = st.len;
}

/* A stream of varied valid replies: empty payloads, the largest one, events. */
static void stream_build(uint32_t seed)
{
    static unsigned char big[XENSTORE_PAYLOAD_MAX];
    memset(&st, 0, sizeof(st));
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = pattern((uint32_t)i);
    stream_add(XS_WATCH_EVENT, 0, 0, "control/shutdown\0cs\0", 20);
    stream_add(XS_READ, 1, 0, "poweroff", 8);
    stream_add(XS_DIRECTORY, 2, 0, "", 0);
    stream_add(XS_READ, 3, 7, big, XENSTORE_PAYLOAD_MAX);
    stream_add(XS_ERROR, 4, 7, "EAGAIN\0", 7);
    stream_add(XS_TRANSACTION_END, 5, 7, "OK\0", 3);
    rng_state = seed;
    while (st.n < 40) {
        uint32_t len = rng() % 4 == 0 ? rng() % (XENSTORE_PAYLOAD_MAX + 1) : rng() % 64;
        stream_add(XS_READ, 100 + st.n, rng(), big + rng() % 64 % (XENSTORE_PAYLOAD_MAX - len + 1),
                   len);
    }
}

static void check_msg(const struct xs_msg *m, unsigned int i)
{
    assert_int_equal(m->hdr.type, st.hdr[i].type);
    assert_int_equal(m->hdr.req_id, st.hdr[i].req_id);
    assert_int_equal(m->hdr.tx_id, st.hdr[i].tx_id);
    assert_int_equal(m->hdr.len, st.hdr[i].len);
    assert_ptr_equal(m->body, reader.buf + 16);
    if (st.hdr[i].len)
        assert_memory_equal(m->body, st.bytes + st.body_off[i], st.hdr[i].len);
}

static void test_reader_whole_message(void **state)
{
    struct xs_msg m;
    size_t used;
    stream_build(1);
    xs_reader_init(&reader);

    /* Fed the whole stream, the reader stops at the end of the first message. */
    assert_int_equal(xs_reader_feed(&reader, st.bytes, st.len, &used, &m), 1);
    assert_int_equal(used, st.end[0]);
    assert_int_equal(m.hdr.type, XS_WATCH_EVENT);
    assert_int_equal(m.hdr.len, 20);
    assert_memory_equal(m.body, "control/shutdown\0cs\0", 20);

    size_t off = used;
    for (unsigned int i = 1; i < st.n; i++) {
        assert_int_equal(xs_reader_feed(&reader, st.bytes + off, st.len - off, &used, &m), 1);
        off += used;
        assert_int_equal(off, st.end[i]);
        check_msg(&m, i);
    }
    assert_int_equal(xs_reader_feed(&reader, st.bytes, 0, &used, &m), 0);
    assert_int_equal(used, 0);
}

static void test_reader_one_byte_at_a_time(void **state)
{
    struct xs_msg m;
    size_t used;
    unsigned int next = 0;
    stream_build(2);
    xs_reader_init(&reader);

    for (size_t off = 0; off < st.len; off++) {
        int ret = xs_reader_feed(&reader, st.bytes + off, 1, &used, &m);
        assert_int_equal(used, 1);
        if (off + 1 == st.end[next]) {
            assert_int_equal(ret, 1);
            check_msg(&m, next);
            next++;
        } else {
            assert_int_equal(ret, 0);
        }
    }
    assert_int_equal(next, st.n);
}

static void test_reader_random_chunks(void **state)
{
    for (uint32_t seed = 1; seed <= 20; seed++) {
        struct xs_msg m;
        unsigned int next = 0;
        size_t off = 0;
        stream_build(seed * 7919);
        xs_reader_init(&reader);
        rng_state = seed;
        while (off < st.len) {
            size_t chunk = rng() % 3 ? rng() % 40 : rng() % 6000;
            size_t used;
            if (chunk > st.len - off)
                chunk = st.len - off;
            /* Feed the chunk until consumed: each call takes at most one message. */
            size_t taken = 0;
            do {
                int ret = xs_reader_feed(&reader, st.bytes + off + taken, chunk - taken, &used, &m);
                taken += used;
                if (ret == 1) {
                    assert_int_equal(off + taken, st.end[next]);
                    check_msg(&m, next);
                    next++;
                } else {
                    assert_int_equal(ret, 0);
                    assert_int_equal(taken, chunk);
                }
            } while (taken < chunk);
            off += chunk;
        }
        assert_int_equal(next, st.n);
    }
}

/* A fake xenstored: pushes stream bytes into the rsp ring in random amounts. */
static size_t server_push(size_t off, size_t max)
{
    uint32_t prod = intf.rsp_prod, cons = intf.rsp_cons;
    size_t space = RING - (prod - cons), n = rng() % (max + 1);
    if (n > space)
        n = space;
    if (n > st.len - off)
        n = st.len - off;
    for (size_t i = 0; i < n; i++)
        intf.rsp[(prod + i) % RING] = (char)st.bytes[off + i];
    intf.rsp_prod = prod + (uint32_t)n;
    return n;
}

static void test_reader_pull_from_ring(void **state)
{
    static const uint32_t starts[] = {0, 1, 1023, 5000, UINT32_MAX - 3000, UINT32_MAX};
    for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
        struct xs_msg m;
        unsigned int next = 0;
        size_t off = 0;
        reset_intf(NULL);
        intf.rsp_cons = intf.rsp_prod = starts[s];
        stream_build((uint32_t)s + 100);
        rng_state = (uint32_t)s + 1;
        xs_reader_init(&reader);
        for (int spins = 0; next < st.n; spins++) {
            assert_true(spins < 1000000);
            off += server_push(off, s % 2 ? 1 : RING);
            int ret;
            while ((ret = xs_reader_pull(&reader, &intf, &m)) == 1) {
                check_msg(&m, next);
                /* The reader takes nothing past the message it returns. */
                assert_int_equal(intf.rsp_cons - starts[s], st.end[next]);
                next++;
            }
            assert_int_equal(ret, 0);
        }
        assert_int_equal(off, st.len);
        assert_int_equal(intf.rsp_cons, intf.rsp_prod);
    }
}

static void test_reader_partial_header_then_dry(void **state)
{
    struct xs_msg m;
    struct xsd_sockmsg h = {XS_READ, 9, 0, 2};
    xs_reader_init(&reader);
    memcpy(intf.rsp, &h, 10);
    intf.rsp_prod = 10;
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 0);
    assert_int_equal(intf.rsp_cons, 10);
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 0);
    memcpy(intf.rsp + 10, (char *)&h + 10, 6);
    memcpy(intf.rsp + 16, "hi", 2);
    intf.rsp_prod = 17;
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 0);
    intf.rsp_prod = 18;
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 1);
    assert_int_equal(m.hdr.req_id, 9);
    assert_int_equal(m.hdr.len, 2);
    assert_memory_equal(m.body, "hi", 2);
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 0);
}

static void test_reader_bad_header_mid_stream(void **state)
{
    static const struct xsd_sockmsg bad[] = {
        {XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1},
        {XS_READ, 1, 0, UINT32_MAX},
        {20, 1, 0, 0}, /* the removed XS_RESTRICT */
        {XS_TYPE_COUNT, 1, 0, 0},
        {XS_INVALID, 1, 0, 2},
    };
    for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        struct xs_msg m;
        size_t used, off = 0;
        memset(&st, 0, sizeof(st));
        stream_add(XS_READ, 1, 0, "ok", 2);
        size_t bad_at = st.len;
        memcpy(st.bytes + st.len, &bad[b], 16);
        st.len += 16;
        stream_add(XS_READ, 2, 0, "after", 5);

        /* Byte by byte: the first message, then -EIO exactly at the bad header's end. */
        xs_reader_init(&reader);
        for (; off < st.len; off++) {
            int ret = xs_reader_feed(&reader, st.bytes + off, 1, &used, &m);
            if (off + 1 < st.end[0]) {
                assert_int_equal(ret, 0);
            } else if (off + 1 == st.end[0]) {
                assert_int_equal(ret, 1);
                check_msg(&m, 0);
            } else if (off + 1 < bad_at + 16) {
                assert_int_equal(ret, 0);
            } else {
                assert_int_equal(ret, -EIO);
                assert_int_equal(used, off + 1 == bad_at + 16 ? 1 : 0);
            }
        }
        /* Sticky until init; then a fresh stream works. */
        assert_int_equal(xs_reader_feed(&reader, st.bytes, st.end[0], &used, &m), -EIO);
        assert_int_equal(used, 0);
        xs_reader_init(&reader);
        assert_int_equal(xs_reader_feed(&reader, st.bytes, st.len, &used, &m), 1);
        check_msg(&m, 0);

        /* In one chunk: stops right after the bad header. */
        xs_reader_init(&reader);
        assert_int_equal(xs_reader_feed(&reader, st.bytes, st.len, &used, &m), 1);
        assert_int_equal(xs_reader_feed(&reader, st.bytes + used, st.len - used, &used, &m), -EIO);
        assert_int_equal(used, 16);

        /* From the ring: rsp_cons stops right after the bad header. */
        reset_intf(NULL);
        memcpy(intf.rsp, st.bytes, st.len);
        intf.rsp_prod = (uint32_t)st.len;
        xs_reader_init(&reader);
        assert_int_equal(xs_reader_pull(&reader, &intf, &m), 1);
        assert_int_equal(xs_reader_pull(&reader, &intf, &m), -EIO);
        assert_int_equal(intf.rsp_cons, bad_at + 16);
        assert_int_equal(xs_reader_pull(&reader, &intf, &m), -EIO);
        assert_int_equal(intf.rsp_cons, bad_at + 16);
    }
}

static void test_reader_corrupt_ring(void **state)
{
    struct xs_msg m;
    size_t used;
    xs_reader_init(&reader);
    intf.rsp_cons = 100;
    intf.rsp_prod = 100 + RING + 1;
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), -EIO);
    assert_int_equal(intf.rsp_cons, 100);
    /* Sticky, even once the indices look sane again. */
    intf.rsp_prod = 100;
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), -EIO);
    assert_int_equal(xs_reader_feed(&reader, "x", 1, &used, &m), -EIO);
    xs_reader_init(&reader);
    assert_int_equal(xs_reader_pull(&reader, &intf, &m), 0);
}

static void test_reader_largest_message_exact(void **state)
{
    static unsigned char msg[XS_MSG_MAX + 1];
    struct xsd_sockmsg h = {XS_READ, 5, 0, XENSTORE_PAYLOAD_MAX};
    struct xs_msg m;
    size_t used;
    memcpy(msg, &h, 16);
    for (int i = 0; i < XENSTORE_PAYLOAD_MAX; i++)
        msg[16 + i] = pattern((uint32_t)i);
    msg[XS_MSG_MAX] = 0x42; /* first byte of a next message: must not be taken */
    xs_reader_init(&reader);
    assert_int_equal(xs_reader_feed(&reader, msg, sizeof(msg), &used, &m), 1);
    assert_int_equal(used, XS_MSG_MAX);
    assert_int_equal(m.hdr.len, XENSTORE_PAYLOAD_MAX);
    assert_memory_equal(m.body, msg + 16, XENSTORE_PAYLOAD_MAX);
    assert_ptr_equal(m.body, reader.buf + 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_layout),
        cmocka_unit_test_setup(test_write_simple, reset_intf),
        cmocka_unit_test_setup(test_write_wrap_every_offset, reset_intf),
        cmocka_unit_test_setup(test_write_full_and_partial, reset_intf),
        cmocka_unit_test_setup(test_write_corrupt_indices, reset_intf),
        cmocka_unit_test_setup(test_read_wrap_every_offset, reset_intf),
        cmocka_unit_test_setup(test_read_empty_and_corrupt, reset_intf),
        cmocka_unit_test_setup(test_reconnect_and_error, reset_intf),
        cmocka_unit_test(test_reader_whole_message),
        cmocka_unit_test(test_reader_one_byte_at_a_time),
        cmocka_unit_test(test_reader_random_chunks),
        cmocka_unit_test_setup(test_reader_pull_from_ring, reset_intf),
        cmocka_unit_test_setup(test_reader_partial_header_then_dry, reset_intf),
        cmocka_unit_test_setup(test_reader_bad_header_mid_stream, reset_intf),
        cmocka_unit_test_setup(test_reader_corrupt_ring, reset_intf),
        cmocka_unit_test(test_reader_largest_message_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
