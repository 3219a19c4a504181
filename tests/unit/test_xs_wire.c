// Host tests for drivers/xen/xs_wire.c: every request encoder with exact bytes and its
// limits (path lengths, payload size, caller buffer), header checks, every error name,
// each reply decoder on good and malformed payloads (missing NUL, empty names, bad
// numbers, type mismatch, overlong lengths), plus random bytes through every decoder.
// Reply payloads live in exactly-sized heap blocks so ASan catches any overread.
// UNIT-SOURCES: drivers/xen/xs_wire.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/xen/xs_wire.h"

#define CANARY 0xa5

static unsigned char out[XS_MSG_MAX + 64];

/* A reply whose body is a heap block of exactly len bytes; freed by msg_free_all(). */
static void *owned[256];
static unsigned int nowned;

static struct xs_msg msg_make(uint32_t type, const void *body, uint32_t len)
{
    char *mem = malloc(len ? len : 1);
    assert_non_null(mem);
    assert_true(nowned < sizeof(owned) / sizeof(owned[0]));
    owned[nowned++] = mem;
    if (len)
        memcpy(mem, body, len);
    struct xs_msg m = {.hdr = {.type = type, .req_id = 9, .tx_id = 0, .len = len}, .body = mem};
    return m;
}

/* MSG(type, "literal"): the literal's bytes without the compiler's final NUL. */
#define MSG(type, lit) msg_make((type), (lit), (uint32_t)(sizeof(lit) - 1))

static int msg_free_all(void **state)
{
    for (unsigned int i = 0; i < nowned; i++)
        free(owned[i]);
    nowned = 0;
    return 0;
}

static int clear_out(void **state)
{
    memset(out, CANARY, sizeof(out));
    return 0;
}

/* out holds a message of this header and payload, followed by untouched canary bytes. */
static void check_out(int ret, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *payload,
                      size_t len, const char *file, int line)
{
    struct xsd_sockmsg hdr;
    if (ret != (int)(16 + len)) {
        print_error("returned %d, expected %zu\n", ret, 16 + len);
        _fail(file, line);
    }
    memcpy(&hdr, out, sizeof(hdr));
    if (hdr.type != type || hdr.req_id != req_id || hdr.tx_id != tx_id || hdr.len != len) {
        print_error("header {%u %u %u %u}, expected {%u %u %u %zu}\n", hdr.type, hdr.req_id,
                    hdr.tx_id, hdr.len, type, req_id, tx_id, len);
        _fail(file, line);
    }
    if (memcmp(out + 16, payload, len) != 0) {
        print_error("payload differs\n");
        _fail(file, line);
    }
    for (size_t i = 16 + len; i < sizeof(out); i++)
        if (out[i] != CANARY) {
            print_error("byte %zu past the message was written\n", i);
            _fail(file, line);
        }
}

#define CHECK_OUT(ret, type, req, tx, lit)                                                         \
    check_out((ret), (type), (req), (tx), (lit), sizeof(lit) - 1, __FILE__, __LINE__)

static void assert_out_untouched(void)
{
    for (size_t i = 0; i < sizeof(out); i++)
        assert_int_equal(out[i], CANARY);
}

/* A path of exactly n bytes: first char c0 then 'a's. */
static char *make_path(char c0, size_t n)
{
    char *p = malloc(n + 1);
    assert_non_null(p);
    memset(p, 'a', n);
    if (n)
        p[0] = c0;
    p[n] = '\0';
    owned[nowned++] = p;
    return p;
}

/* ---- encoders ---- */

static void test_header_layout_exact_bytes(void **state)
{
    static const unsigned char want[] = {
        0x02, 0x00, 0x00, 0x00, /* type XS_READ */
        0x04, 0x03, 0x02, 0x01, /* req_id */
        0x78, 0x56, 0x34, 0x12, /* tx_id */
        0x08, 0x00, 0x00, 0x00, /* len */
        '/',  'v',  'm',  '/',  'a', 'b', 'c', 0x00,
    };
    int ret = xs_wire_encode_path(out, sizeof(out), XS_READ, 0x01020304, 0x12345678, "/vm/abc");
    assert_int_equal(ret, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(XS_HDR_SIZE, 16);
    assert_int_equal(XS_MSG_MAX, 4112);
}

static void test_encode_path_types(void **state)
{
    static const uint32_t ok[] = {XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM};
    static const uint32_t bad[] = {XS_WRITE,           XS_WATCH,   XS_UNWATCH,     XS_ERROR,
                                   XS_TRANSACTION_END, XS_CONTROL, XS_WATCH_EVENT, 999};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        clear_out(NULL);
        int ret = xs_wire_encode_path(out, sizeof(out), ok[i], 5, 6, "device/vif/0");
        CHECK_OUT(ret, ok[i], 5, 6, "device/vif/0\0");
    }
    clear_out(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(xs_wire_encode_path(out, sizeof(out), bad[i], 1, 0, "/a"), -EINVAL);
    assert_out_untouched();
}

static void test_encode_path_limits(void **state)
{
    /* Absolute (and '@' special) paths: up to 3072 bytes; relative: up to 2048. */
    char *abs_ok = make_path('/', XENSTORE_ABS_PATH_MAX);
    char *abs_long = make_path('/', XENSTORE_ABS_PATH_MAX + 1);
    char *at_ok = make_path('@', XENSTORE_ABS_PATH_MAX);
    char *at_long = make_path('@', XENSTORE_ABS_PATH_MAX + 1);
    char *rel_ok = make_path('a', XENSTORE_REL_PATH_MAX);
    char *rel_long = make_path('a', XENSTORE_REL_PATH_MAX + 1);

    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_READ, 1, 0, abs_ok), 16 + 3073);
    assert_int_equal(memcmp(out + 16, abs_ok, 3073), 0);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_READ, 1, 0, at_ok), 16 + 3073);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_READ, 1, 0, rel_ok), 16 + 2049);

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_READ, 1, 0, abs_long), -ENAMETOOLONG);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_RM, 1, 0, at_long), -ENAMETOOLONG);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_MKDIR, 1, 0, rel_long),
                     -ENAMETOOLONG);
    assert_int_equal(xs_wire_encode_path(out, sizeof(out), XS_READ, 1, 0, ""), -EINVAL);
    assert_out_untouched();
    msg_free_all(NULL);
}

static void test_encode_small_buffer(void **state)
{
    /* "/a\0" needs 19 bytes; one less is -ERANGE and writes nothing. */
    assert_int_equal(xs_wire_encode_path(out, 18, XS_READ, 1, 0, "/a"), -ERANGE);
    assert_int_equal(xs_wire_encode_path(out, 15, XS_READ, 1, 0, "/a"), -ERANGE);
    assert_int_equal(xs_wire_encode_path(out, 0, XS_READ, 1, 0, "/a"), -ERANGE);
    assert_int_equal(xs_wire_encode_path(NULL, 0, XS_READ, 1, 0, "/a"), -ERANGE);
    assert_int_equal(xs_wire_encode_write(out, 20, 1, 0, "/a", "xy", 2), -ERANGE);
    assert_int_equal(xs_wire_encode_watch(out, 22, XS_WATCH, 1, "/a", "tok"), -ERANGE);
    assert_int_equal(xs_wire_encode_transaction_start(out, 16, 1), -ERANGE);
    assert_int_equal(xs_wire_encode_transaction_end(out, 17, 1, 3, 1), -ERANGE);
    assert_int_equal(xs_wire_encode_reset_watches(out, 16, 1), -ERANGE);
    struct xenolith_xs_perm p[] = {{XENOLITH_XS_PERM_BOTH, 0}};
    assert_int_equal(xs_wire_encode_set_perms(out, 21, 1, 0, "/a", p, 1), -ERANGE);
    assert_out_untouched();

    int ret = xs_wire_encode_path(out, 19, XS_READ, 1, 0, "/a");
    CHECK_OUT(ret, XS_READ, 1, 0, "/a\0");
    clear_out(NULL);
    ret = xs_wire_encode_set_perms(out, 22, 1, 0, "/a", p, 1);
    CHECK_OUT(ret, XS_SET_PERMS, 1, 0, "/a\0b0\0");
}

static void test_encode_write(void **state)
{
    int ret = xs_wire_encode_write(out, sizeof(out), 11, 22, "device/vif/0/state", "4", 1);
    CHECK_OUT(ret, XS_WRITE, 11, 22,
              "device/vif/0/state\0"
              "4");

    clear_out(NULL);
    ret = xs_wire_encode_write(out, sizeof(out), 1, 0, "/x", "", 0);
    CHECK_OUT(ret, XS_WRITE, 1, 0, "/x\0");

    clear_out(NULL);
    ret = xs_wire_encode_write(out, sizeof(out), 1, 0, "/x", NULL, 0);
    CHECK_OUT(ret, XS_WRITE, 1, 0, "/x\0");

    /* Values are raw bytes: NULs inside are kept, none is added at the end. */
    clear_out(NULL);
    ret = xs_wire_encode_write(out, sizeof(out), 1, 0, "/x", "a\0b\0", 4);
    CHECK_OUT(ret, XS_WRITE, 1, 0, "/x\0a\0b\0");

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_write(out, sizeof(out), 1, 0, "/x", NULL, 3), -EINVAL);
    assert_int_equal(xs_wire_encode_write(out, sizeof(out), 1, 0, "", "v", 1), -EINVAL);
    assert_out_untouched();
}

static void test_encode_write_payload_limit(void **state)
{
    static char value[XENSTORE_PAYLOAD_MAX + 8];
    memset(value, 'v', sizeof(value));

    /* "/a\0" is 3 bytes: 4093 value bytes make exactly XENSTORE_PAYLOAD_MAX. */
    int ret = xs_wire_encode_write(out, sizeof(out), 1, 0, "/a", value, 4093);
    assert_int_equal(ret, 16 + 4096);
    assert_int_equal(memcmp(out + 16, "/a\0", 3), 0);
    assert_int_equal(memcmp(out + 19, value, 4093), 0);
    assert_int_equal(out[16 + 4096], CANARY);

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_write(out, sizeof(out), 1, 0, "/a", value, 4094), -E2BIG);
    assert_int_equal(xs_wire_encode_write(out, sizeof(out), 1, 0, "/a", value, SIZE_MAX), -E2BIG);
    assert_int_equal(xs_wire_encode_write(out, sizeof(out), 1, 0, "/a", value, SIZE_MAX - 2),
                     -E2BIG);
    /* The payload limit wins over the buffer size. */
    assert_int_equal(xs_wire_encode_write(out, 20, 1, 0, "/a", value, 4094), -E2BIG);
    assert_out_untouched();
}

static void test_encode_watch(void **state)
{
    int ret = xs_wire_encode_watch(out, sizeof(out), XS_WATCH, 3, "control/shutdown", "cs");
    CHECK_OUT(ret, XS_WATCH, 3, 0, "control/shutdown\0cs\0");

    clear_out(NULL);
    ret = xs_wire_encode_watch(out, sizeof(out), XS_UNWATCH, 4, "@releaseDomain", "");
    CHECK_OUT(ret, XS_UNWATCH, 4, 0, "@releaseDomain\0\0");

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_watch(out, sizeof(out), XS_READ, 1, "/a", "t"), -EINVAL);
    assert_int_equal(xs_wire_encode_watch(out, sizeof(out), XS_WATCH, 1, "", "t"), -EINVAL);
    char *rel_long = make_path('a', XENSTORE_REL_PATH_MAX + 1);
    assert_int_equal(xs_wire_encode_watch(out, sizeof(out), XS_WATCH, 1, rel_long, "t"),
                     -ENAMETOOLONG);

    /* 3073 bytes of path + a 1023-byte token with its NUL is exactly 4096. */
    char *path = make_path('/', XENSTORE_ABS_PATH_MAX);
    char *tok_ok = make_path('t', 1022);
    char *tok_long = make_path('t', 1023);
    assert_int_equal(xs_wire_encode_watch(out, sizeof(out), XS_WATCH, 1, path, tok_long), -E2BIG);
    assert_out_untouched();
    assert_int_equal(xs_wire_encode_watch(out, sizeof(out), XS_WATCH, 1, path, tok_ok), 16 + 4096);
    msg_free_all(NULL);
}

static void test_encode_transactions(void **state)
{
    int ret = xs_wire_encode_transaction_start(out, sizeof(out), 77);
    CHECK_OUT(ret, XS_TRANSACTION_START, 77, 0, "\0");

    clear_out(NULL);
    ret = xs_wire_encode_transaction_end(out, sizeof(out), 78, 0xdeadbeef, 1);
    CHECK_OUT(ret, XS_TRANSACTION_END, 78, 0xdeadbeef, "T\0");

    clear_out(NULL);
    ret = xs_wire_encode_transaction_end(out, sizeof(out), 79, 5, 0);
    CHECK_OUT(ret, XS_TRANSACTION_END, 79, 5, "F\0");

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_transaction_end(out, sizeof(out), 80, 0, 1), -EINVAL);
    assert_out_untouched();

    ret = xs_wire_encode_reset_watches(out, sizeof(out), 81);
    CHECK_OUT(ret, XS_RESET_WATCHES, 81, 0, "\0");
}

static void test_encode_perms(void **state)
{
    char buf[64];
    const struct xenolith_xs_perm p[] = {{XENOLITH_XS_PERM_BOTH, 0},
                                         {XENOLITH_XS_PERM_READ, 5},
                                         {XENOLITH_XS_PERM_WRITE, 65535},
                                         {XENOLITH_XS_PERM_NONE, 7}};
    static const char want[] = "b0\0r5\0w65535\0n7\0";

    memset(buf, CANARY, sizeof(buf));
    assert_int_equal(xs_wire_encode_perms(buf, sizeof(buf), p, 4), sizeof(want) - 1);
    assert_memory_equal(buf, want, sizeof(want) - 1);
    assert_int_equal((unsigned char)buf[sizeof(want) - 1], CANARY);

    /* Exactly enough room, then one byte short. */
    assert_int_equal(xs_wire_encode_perms(buf, sizeof(want) - 1, p, 4), sizeof(want) - 1);
    assert_int_equal(xs_wire_encode_perms(buf, sizeof(want) - 2, p, 4), -ERANGE);

    assert_int_equal(xs_wire_encode_perms(buf, sizeof(buf), p, 0), -EINVAL);
    const struct xenolith_xs_perm bad[] = {{XENOLITH_XS_PERM_BOTH, 0},
                                           {(enum xenolith_xs_perm_access)'x', 1}};
    assert_int_equal(xs_wire_encode_perms(buf, sizeof(buf), bad, 2), -EINVAL);
}

static void test_encode_set_perms(void **state)
{
    const struct xenolith_xs_perm p[] = {
        {XENOLITH_XS_PERM_NONE, 3}, {XENOLITH_XS_PERM_READ, 0}, {XENOLITH_XS_PERM_BOTH, 12345}};
    int ret = xs_wire_encode_set_perms(out, sizeof(out), 8, 9, "data/x", p, 3);
    CHECK_OUT(ret, XS_SET_PERMS, 8, 9, "data/x\0n3\0r0\0b12345\0");

    clear_out(NULL);
    assert_int_equal(xs_wire_encode_set_perms(out, sizeof(out), 8, 9, "data/x", p, 0), -EINVAL);
    const struct xenolith_xs_perm bad[] = {{XENOLITH_XS_PERM_NONE, 3},
                                           {(enum xenolith_xs_perm_access)0, 1}};
    assert_int_equal(xs_wire_encode_set_perms(out, sizeof(out), 8, 9, "data/x", bad, 2), -EINVAL);
    assert_int_equal(xs_wire_encode_set_perms(out, sizeof(out), 8, 9, "", p, 1), -EINVAL);

    /* 3073 path bytes + 146 * "w65535\0" (1022) = 4095 fits; 147 does not. */
    static struct xenolith_xs_perm many[200];
    for (int i = 0; i < 200; i++)
        many[i] = (struct xenolith_xs_perm){XENOLITH_XS_PERM_WRITE, 65535};
    char *path = make_path('/', XENSTORE_ABS_PATH_MAX);
    assert_int_equal(xs_wire_encode_set_perms(out, sizeof(out), 1, 0, path, many, 147), -E2BIG);
    assert_int_equal(xs_wire_encode_set_perms(out, sizeof(out), 1, 0, path, many, 200), -E2BIG);
    assert_out_untouched();
    ret = xs_wire_encode_set_perms(out, sizeof(out), 1, 0, path, many, 146);
    assert_int_equal(ret, 16 + 4095);
    assert_int_equal(memcmp(out + 16 + 3073, "w65535\0w65535\0", 14), 0);
    assert_int_equal(memcmp(out + 16 + 4095 - 7, "w65535\0", 7), 0);
    assert_int_equal(out[16 + 4095], CANARY);
    msg_free_all(NULL);
}

/* ---- header ---- */

static void test_check_header(void **state)
{
    struct xsd_sockmsg h = {XS_READ, 1, 0, 0};
    assert_int_equal(xs_wire_check_header(&h), 0);
    h.len = XENSTORE_PAYLOAD_MAX;
    assert_int_equal(xs_wire_check_header(&h), 0);
    h.len = XENSTORE_PAYLOAD_MAX + 1;
    assert_int_equal(xs_wire_check_header(&h), -EIO);
    h.len = UINT32_MAX;
    assert_int_equal(xs_wire_check_header(&h), -EIO);

    h.len = 3;
    for (uint32_t t = 0; t < 64; t++) {
        h.type = t;
        int want = (t <= XS_DIRECTORY_PART && t != 20) ? 0 : -EIO;
        assert_int_equal(xs_wire_check_header(&h), want);
    }
    h.type = XS_INVALID;
    assert_int_equal(xs_wire_check_header(&h), -EIO);
    h.type = 0x80000002;
    assert_int_equal(xs_wire_check_header(&h), -EIO);
}

/* ---- XS_ERROR ---- */

static const struct {
    const char *name;
    int err;
} errnames[] = {
    {"EINVAL", EINVAL},       {"EACCES", EACCES},   {"EEXIST", EEXIST}, {"EISDIR", EISDIR},
    {"ENOENT", ENOENT},       {"ENOMEM", ENOMEM},   {"ENOSPC", ENOSPC}, {"EIO", EIO},
    {"ENOTEMPTY", ENOTEMPTY}, {"ENOSYS", ENOSYS},   {"EROFS", EROFS},   {"EBUSY", EBUSY},
    {"EAGAIN", EAGAIN},       {"EISCONN", EISCONN}, {"E2BIG", E2BIG},   {"EPERM", EPERM},
};

static void test_decode_error_every_name(void **state)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
        const char *n = errnames[i].name;
        size_t len = strlen(n);
        char *exact = malloc(len + 1);
        memcpy(exact, n, len + 1);
        /* As xenstored sends it (with the NUL) and without. */
        assert_int_equal(xs_wire_decode_error(exact, (uint32_t)len + 1), -errnames[i].err);
        assert_int_equal(xs_wire_decode_error(exact, (uint32_t)len), -errnames[i].err);
        /* A prefix is not the name. */
        assert_int_equal(xs_wire_decode_error(exact, (uint32_t)len - 1), -EIO);
        free(exact);

        /* Through an XS_ERROR reply to some request. */
        struct xs_msg m = msg_make(XS_ERROR, n, (uint32_t)len + 1);
        assert_int_equal(xs_wire_reply_status(&m, XS_READ), -errnames[i].err);
        assert_int_equal(xs_wire_decode_ack(&m, XS_WRITE), -errnames[i].err);
    }
    msg_free_all(NULL);
}

static void test_decode_error_malformed(void **state)
{
    static const struct {
        const char *s;
        uint32_t len;
        int want;
    } cases[] = {
        {"EQUOTA", 7, -ENOSPC}, /* oxenstored's quota error */
        {"EQUOTA", 6, -ENOSPC},
        {"", 0, -EIO},
        {"", 1, -EIO},
        {"ENOENTX", 8, -EIO},
        {"enoent", 7, -EIO},
        {"ENOENT\0\0", 8, -EIO},
        {"EN\0OENT", 8, -EIO},
        {"\0ENOENT", 8, -EIO},
        {"ENOENT\n", 8, -EIO},
        {" ENOENT", 8, -EIO},
        {"EINVAL: Could not convert", 26, -EIO},
        {"EWHATEVER", 10, -EIO},
        {"E", 2, -EIO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xs_msg m = msg_make(XS_ERROR, cases[i].s, cases[i].len);
        assert_int_equal(xs_wire_decode_error(m.body, cases[i].len), cases[i].want);
        assert_int_equal(xs_wire_reply_status(&m, XS_DIRECTORY), cases[i].want);
    }
    assert_int_equal(xs_wire_decode_error("ENOENT", XENSTORE_PAYLOAD_MAX + 1), -EIO);
    msg_free_all(NULL);
}

static void test_reply_status(void **state)
{
    struct xs_msg m = MSG(XS_READ, "value");
    assert_int_equal(xs_wire_reply_status(&m, XS_READ), 0);
    assert_int_equal(xs_wire_reply_status(&m, XS_DIRECTORY), -EIO);
    assert_int_equal(xs_wire_reply_status(&m, XS_WATCH_EVENT), -EIO);
    m.hdr.len = XENSTORE_PAYLOAD_MAX + 1;
    assert_int_equal(xs_wire_reply_status(&m, XS_READ), -EIO);
    struct xs_msg e = MSG(XS_ERROR, "EAGAIN\0");
    assert_int_equal(xs_wire_reply_status(&e, XS_TRANSACTION_END), -EAGAIN);
    msg_free_all(NULL);
}

/* ---- acks ---- */

static void test_decode_ack(void **state)
{
    static const uint32_t types[] = {XS_WRITE,           XS_MKDIR,        XS_RM,
                                     XS_SET_PERMS,       XS_WATCH,        XS_UNWATCH,
                                     XS_TRANSACTION_END, XS_RESET_WATCHES};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct xs_msg with_nul = MSG(types[i], "OK\0");
        struct xs_msg without = MSG(types[i], "OK");
        assert_int_equal(xs_wire_decode_ack(&with_nul, types[i]), 0);
        assert_int_equal(xs_wire_decode_ack(&without, types[i]), 0);
        /* Another request type's ack is not ours. */
        uint32_t other = types[(i + 1) % (sizeof(types) / sizeof(types[0]))];
        assert_int_equal(xs_wire_decode_ack(&with_nul, other), -EIO);
    }

    static const struct {
        const char *s;
        uint32_t len;
    } bad[] = {{"", 0},     {"\0", 1},     {"O", 1},    {"OK\0\0", 4}, {"OK\n", 3},
               {"ok\0", 3}, {"OKAY\0", 5}, {"KO\0", 3}, {"O\0K", 3},   {"\0OK", 3}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xs_msg m = msg_make(XS_WRITE, bad[i].s, bad[i].len);
        assert_int_equal(xs_wire_decode_ack(&m, XS_WRITE), -EIO);
    }

    struct xs_msg m = MSG(XS_READ, "OK\0");
    assert_int_equal(xs_wire_decode_ack(&m, XS_WRITE), -EIO);   /* type mismatch */
    assert_int_equal(xs_wire_decode_ack(&m, XS_READ), -EINVAL); /* not an ack request */
    struct xs_msg e = MSG(XS_ERROR, "EAGAIN\0");
    assert_int_equal(xs_wire_decode_ack(&e, XS_TRANSACTION_END), -EAGAIN);
    struct xs_msg big = MSG(XS_WRITE, "OK\0");
    big.hdr.len = XENSTORE_PAYLOAD_MAX + 1;
    assert_int_equal(xs_wire_decode_ack(&big, XS_WRITE), -EIO);
    msg_free_all(NULL);
}

/* ---- XS_READ ---- */

static void test_decode_read(void **state)
{
    char buf[16];
    size_t need = 0;
    struct xs_msg m = MSG(XS_READ, "hello");

    memset(buf, CANARY, sizeof(buf));
    assert_int_equal(xs_wire_decode_read(&m, buf, 6, &need), 5);
    assert_memory_equal(buf, "hello\0", 6);
    assert_int_equal((unsigned char)buf[6], CANARY);

    memset(buf, CANARY, sizeof(buf));
    assert_int_equal(xs_wire_decode_read(&m, buf, 5, &need), -ERANGE);
    assert_int_equal(need, 6);
    assert_int_equal((unsigned char)buf[0], CANARY);
    assert_int_equal(xs_wire_decode_read(&m, buf, 0, NULL), -ERANGE);

    struct xs_msg empty = MSG(XS_READ, "");
    assert_int_equal(xs_wire_decode_read(&empty, buf, 1, &need), 0);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(xs_wire_decode_read(&empty, buf, 0, &need), -ERANGE);
    assert_int_equal(need, 1);

    /* Binary values: NULs inside are data; the length tells where the value ends. */
    struct xs_msg bin = MSG(XS_READ, "a\0b\0");
    assert_int_equal(xs_wire_decode_read(&bin, buf, sizeof(buf), NULL), 4);
    assert_memory_equal(buf, "a\0b\0\0", 5);

    struct xs_msg err = MSG(XS_ERROR, "ENOENT\0");
    assert_int_equal(xs_wire_decode_read(&err, buf, sizeof(buf), NULL), -ENOENT);
    struct xs_msg wrong = MSG(XS_DIRECTORY, "hello");
    assert_int_equal(xs_wire_decode_read(&wrong, buf, sizeof(buf), NULL), -EIO);
    msg_free_all(NULL);
}

static void test_decode_read_max_and_overlong(void **state)
{
    static char value[XENSTORE_PAYLOAD_MAX];
    static char buf[XENSTORE_PAYLOAD_MAX + 1];
    size_t need = 0;
    for (size_t i = 0; i < sizeof(value); i++)
        value[i] = (char)('A' + i % 26);

    struct xs_msg m = msg_make(XS_READ, value, XENSTORE_PAYLOAD_MAX);
    assert_int_equal(xs_wire_decode_read(&m, buf, sizeof(buf), &need), XENSTORE_PAYLOAD_MAX);
    assert_memory_equal(buf, value, XENSTORE_PAYLOAD_MAX);
    assert_int_equal(buf[XENSTORE_PAYLOAD_MAX], '\0');
    assert_int_equal(xs_wire_decode_read(&m, buf, XENSTORE_PAYLOAD_MAX, &need), -ERANGE);
    assert_int_equal(need, XENSTORE_PAYLOAD_MAX + 1);

    /* A header claiming more than the protocol allows is refused before any copy. */
    m.hdr.len = XENSTORE_PAYLOAD_MAX + 1;
    need = 0;
    assert_int_equal(xs_wire_decode_read(&m, buf, sizeof(buf), &need), -EIO);
    assert_int_equal(need, 0);
    msg_free_all(NULL);
}

/* ---- XS_DIRECTORY ---- */

static void test_decode_directory(void **state)
{
    struct xs_dir_iter it;
    struct xs_msg m = MSG(XS_DIRECTORY, "backend\0device\0x\0");

    assert_int_equal(xs_wire_decode_directory(&m, &it), 3);
    assert_string_equal(xs_dir_next(&it), "backend");
    assert_string_equal(xs_dir_next(&it), "device");
    const char *x = xs_dir_next(&it);
    assert_string_equal(x, "x");
    assert_ptr_equal(x, m.body + 15);
    assert_null(xs_dir_next(&it));
    assert_null(xs_dir_next(&it));

    /* No children: xenstored sends an empty payload. */
    struct xs_msg empty = MSG(XS_DIRECTORY, "");
    assert_int_equal(xs_wire_decode_directory(&empty, &it), 0);
    assert_null(xs_dir_next(&it));

    struct xs_msg one = MSG(XS_DIRECTORY, "0\0");
    assert_int_equal(xs_wire_decode_directory(&one, &it), 1);
    assert_string_equal(xs_dir_next(&it), "0");
    assert_null(xs_dir_next(&it));
    msg_free_all(NULL);
}

static void test_decode_directory_malformed(void **state)
{
    static const struct {
        const char *s;
        uint32_t len;
    } bad[] = {
        {"a\0b", 3},     /* last name not terminated */
        {"abc", 3},      /* no NUL at all */
        {"\0", 1},       /* one empty name */
        {"\0a\0", 3},    /* empty first name */
        {"a\0\0b\0", 5}, /* empty name in the middle */
        {"a\0b\0\0", 5}, /* empty last name */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xs_dir_iter it = {NULL, NULL};
        struct xs_msg m = msg_make(XS_DIRECTORY, bad[i].s, bad[i].len);
        assert_int_equal(xs_wire_decode_directory(&m, &it), -EIO);
        assert_null(it.next); /* iterator untouched on error */
    }
    struct xs_dir_iter it;
    struct xs_msg wrong = MSG(XS_READ, "a\0");
    assert_int_equal(xs_wire_decode_directory(&wrong, &it), -EIO);
    struct xs_msg err = MSG(XS_ERROR, "EACCES\0");
    assert_int_equal(xs_wire_decode_directory(&err, &it), -EACCES);

    /* A hand-made iterator over unterminated bytes still stops at the end. */
    char raw[3] = {'a', '\0', 'b'};
    struct xs_dir_iter hand = {raw, raw + 3};
    assert_string_equal(xs_dir_next(&hand), "a");
    assert_null(xs_dir_next(&hand));
    msg_free_all(NULL);
}

static void test_decode_directory_full_payload(void **state)
{
    static char body[XENSTORE_PAYLOAD_MAX];
    struct xs_dir_iter it;
    for (int i = 0; i < XENSTORE_PAYLOAD_MAX; i += 2) {
        body[i] = (char)('a' + (i / 2) % 26);
        body[i + 1] = '\0';
    }
    struct xs_msg m = msg_make(XS_DIRECTORY, body, XENSTORE_PAYLOAD_MAX);
    assert_int_equal(xs_wire_decode_directory(&m, &it), 2048);
    int n = 0;
    for (const char *name; (name = xs_dir_next(&it)) != NULL; n++) {
        assert_int_equal(strlen(name), 1);
        assert_int_equal(name[0], 'a' + n % 26);
    }
    assert_int_equal(n, 2048);
    msg_free_all(NULL);
}

/* ---- XS_TRANSACTION_START ---- */

static void test_decode_transaction_start(void **state)
{
    static const struct {
        const char *s;
        uint32_t len;
        int want;
        uint32_t id;
    } cases[] = {
        {"1\0", 2, 0, 1},
        {"42\0", 3, 0, 42},
        {"4294967295\0", 11, 0, UINT32_MAX},
        {"007\0", 4, 0, 7},
        {"4294967296\0", 11, -EIO, 0},
        {"99999999999999999999\0", 21, -EIO, 0},
        {"0\0", 2, -EIO, 0}, /* 0 means "no transaction" */
        {"12", 2, -EIO, 0},  /* not NUL-terminated */
        {"\0", 1, -EIO, 0},
        {"", 0, -EIO, 0},
        {"1a\0", 3, -EIO, 0},
        {"-1\0", 3, -EIO, 0},
        {"+1\0", 3, -EIO, 0},
        {" 1\0", 3, -EIO, 0},
        {"1 \0", 3, -EIO, 0},
        {"1\0\0", 3, -EIO, 0},
        {"1\0"
         "2\0",
         4, -EIO, 0},
        {"0x10\0", 5, -EIO, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t id = 0xabcdef;
        struct xs_msg m = msg_make(XS_TRANSACTION_START, cases[i].s, cases[i].len);
        assert_int_equal(xs_wire_decode_transaction_start(&m, &id), cases[i].want);
        assert_int_equal(id, cases[i].want == 0 ? cases[i].id : 0xabcdef);
    }
    uint32_t id;
    struct xs_msg err = MSG(XS_ERROR, "EAGAIN\0");
    assert_int_equal(xs_wire_decode_transaction_start(&err, &id), -EAGAIN);
    struct xs_msg wrong = MSG(XS_TRANSACTION_END, "5\0");
    assert_int_equal(xs_wire_decode_transaction_start(&wrong, &id), -EIO);
    msg_free_all(NULL);
}

/* ---- XS_GET_PERMS ---- */

static void test_decode_perms(void **state)
{
    struct xenolith_xs_perm p[8];
    memset(p, 0xff, sizeof(p));
    struct xs_msg m = MSG(XS_GET_PERMS, "n0\0r1\0w2\0b3\0");

    assert_int_equal(xs_wire_decode_perms(&m, p, 8), 4);
    assert_int_equal(p[0].perm, XENOLITH_XS_PERM_NONE);
    assert_int_equal(p[0].domid, 0);
    assert_int_equal(p[1].perm, XENOLITH_XS_PERM_READ);
    assert_int_equal(p[1].domid, 1);
    assert_int_equal(p[2].perm, XENOLITH_XS_PERM_WRITE);
    assert_int_equal(p[2].domid, 2);
    assert_int_equal(p[3].perm, XENOLITH_XS_PERM_BOTH);
    assert_int_equal(p[3].domid, 3);
    assert_int_equal(p[4].domid, 0xffff); /* untouched */

    assert_int_equal(xs_wire_decode_perms(&m, p, 4), 4);
    assert_int_equal(xs_wire_decode_perms(&m, p, 3), -ERANGE);
    assert_int_equal(xs_wire_decode_perms(&m, p, 0), -ERANGE);
    assert_int_equal(xs_wire_decode_perms(&m, NULL, 0), 4);

    struct xs_msg big = MSG(XS_GET_PERMS, "b65535\0n32753\0");
    assert_int_equal(xs_wire_decode_perms(&big, p, 8), 2);
    assert_int_equal(p[0].perm, XENOLITH_XS_PERM_BOTH);
    assert_int_equal(p[0].domid, 65535);
    assert_int_equal(p[1].perm, XENOLITH_XS_PERM_NONE);
    assert_int_equal(p[1].domid, 32753);
    msg_free_all(NULL);
}

static void test_decode_perms_malformed(void **state)
{
    static const struct {
        const char *s;
        uint32_t len;
    } bad[] = {
        {"", 0},       {"\0", 1},       {"n0", 2},
        {"n0\0r1", 5}, {"b65536\0", 7}, {"b99999999999\0", 13},
        {"x1\0", 3},   {"N0\0", 3},     {"n\0", 2},
        {"n-1\0", 4},  {"n 1\0", 4},    {"n+1\0", 4},
        {"n1x\0", 4},  {"n0\0\0", 4},   {"\0n0\0", 4},
        {"nn0\0", 4},  {"0\0", 2},      {"n0\0r\0", 5},
    };
    struct xenolith_xs_perm p[8];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct xs_msg m = msg_make(XS_GET_PERMS, bad[i].s, bad[i].len);
        assert_int_equal(xs_wire_decode_perms(&m, p, 8), -EIO);
        assert_int_equal(xs_wire_decode_perms(&m, NULL, 0), -EIO);
    }
    struct xs_msg err = MSG(XS_ERROR, "ENOENT\0");
    assert_int_equal(xs_wire_decode_perms(&err, p, 8), -ENOENT);
    struct xs_msg wrong = MSG(XS_READ, "n0\0");
    assert_int_equal(xs_wire_decode_perms(&wrong, p, 8), -EIO);
    msg_free_all(NULL);
}

static void test_perms_round_trip(void **state)
{
    struct xenolith_xs_perm in[40], back[40];
    static const enum xenolith_xs_perm_access acc[] = {XENOLITH_XS_PERM_NONE, XENOLITH_XS_PERM_READ,
                                                       XENOLITH_XS_PERM_WRITE,
                                                       XENOLITH_XS_PERM_BOTH};
    char buf[400];
    for (int i = 0; i < 40; i++)
        in[i] = (struct xenolith_xs_perm){acc[i % 4], (uint16_t)(i * 1681)};
    int len = xs_wire_encode_perms(buf, sizeof(buf), in, 40);
    assert_true(len > 0);
    struct xs_msg m = msg_make(XS_GET_PERMS, buf, (uint32_t)len);
    assert_int_equal(xs_wire_decode_perms(&m, back, 40), 40);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(back[i].perm, in[i].perm);
        assert_int_equal(back[i].domid, in[i].domid);
    }
    msg_free_all(NULL);
}

/* ---- XS_WATCH_EVENT ---- */

static void test_decode_watch_event(void **state)
{
    const char *path = NULL, *token = NULL;
    struct xs_msg m = MSG(XS_WATCH_EVENT, "/local/domain/0/backend/vif\0tok-1\0");
    assert_int_equal(xs_wire_decode_watch_event(&m, &path, &token), 0);
    assert_ptr_equal(path, m.body);
    assert_string_equal(path, "/local/domain/0/backend/vif");
    assert_string_equal(token, "tok-1");

    struct xs_msg empty_tok = MSG(XS_WATCH_EVENT, "p\0\0");
    assert_int_equal(xs_wire_decode_watch_event(&empty_tok, &path, &token), 0);
    assert_string_equal(path, "p");
    assert_string_equal(token, "");

    /* 3072-byte path is fine, 3073 is not. */
    static char body[XENSTORE_ABS_PATH_MAX + 8];
    memset(body, 'a', sizeof(body));
    body[0] = '/';
    body[XENSTORE_ABS_PATH_MAX] = '\0';
    body[XENSTORE_ABS_PATH_MAX + 1] = 't';
    body[XENSTORE_ABS_PATH_MAX + 2] = '\0';
    struct xs_msg longest = msg_make(XS_WATCH_EVENT, body, XENSTORE_ABS_PATH_MAX + 3);
    assert_int_equal(xs_wire_decode_watch_event(&longest, &path, &token), 0);
    assert_int_equal(strlen(path), XENSTORE_ABS_PATH_MAX);
    body[XENSTORE_ABS_PATH_MAX] = 'a';
    body[XENSTORE_ABS_PATH_MAX + 1] = '\0';
    body[XENSTORE_ABS_PATH_MAX + 2] = 't';
    body[XENSTORE_ABS_PATH_MAX + 3] = '\0';
    struct xs_msg too_long = msg_make(XS_WATCH_EVENT, body, XENSTORE_ABS_PATH_MAX + 4);
    assert_int_equal(xs_wire_decode_watch_event(&too_long, &path, &token), -EIO);
    msg_free_all(NULL);
}

static void test_decode_watch_event_malformed(void **state)
{
    static const struct {
        const char *s;
        uint32_t len;
    } bad[] = {
        {"", 0},         {"p\0", 2},  {"p\0tok", 5}, {"\0tok\0", 5}, {"p\0t\0x\0", 6},
        {"p\0t\0\0", 5}, {"ptok", 4}, {"\0\0", 2},   {"p\0t\0x", 5},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *path = NULL, *token = NULL;
        struct xs_msg m = msg_make(XS_WATCH_EVENT, bad[i].s, bad[i].len);
        assert_int_equal(xs_wire_decode_watch_event(&m, &path, &token), -EIO);
        assert_null(path);
        assert_null(token);
    }
    const char *path, *token;
    struct xs_msg err = MSG(XS_ERROR, "p\0t\0");
    assert_int_equal(xs_wire_decode_watch_event(&err, &path, &token), -EIO);
    struct xs_msg rd = MSG(XS_READ, "p\0t\0");
    assert_int_equal(xs_wire_decode_watch_event(&rd, &path, &token), -EIO);
    struct xs_msg big = MSG(XS_WATCH_EVENT, "p\0t\0");
    big.hdr.len = XENSTORE_PAYLOAD_MAX + 1;
    assert_int_equal(xs_wire_decode_watch_event(&big, &path, &token), -EIO);
    msg_free_all(NULL);
}

/* ---- random bytes through every decoder ---- */

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_decoders_random_bytes(void **state)
{
    static const char alphabet[] = "\0\0\0OKnrwb0123456789/aE";
    static char value[XENSTORE_PAYLOAD_MAX + 1];
    static const uint32_t types[] = {XS_READ,  XS_DIRECTORY,         XS_GET_PERMS,
                                     XS_WRITE, XS_TRANSACTION_START, XS_WATCH_EVENT,
                                     XS_ERROR};

    for (int iter = 0; iter < 20000; iter++) {
        uint32_t len = rng() % 24;
        if (iter % 100 == 0)
            len = rng() % (XENSTORE_PAYLOAD_MAX + 1);
        char *body = malloc(len ? len : 1);
        for (uint32_t i = 0; i < len; i++)
            body[i] = (iter & 1) ? (char)rng() : alphabet[rng() % (sizeof(alphabet) - 1)];
        struct xs_msg m = {{types[rng() % 7], 1, 0, len}, body};
        struct xs_dir_iter it;
        struct xenolith_xs_perm p[4];
        const char *a, *b;
        uint32_t id;
        size_t need;

        int r = xs_wire_decode_read(&m, value, sizeof(value), &need);
        if (m.hdr.type == XS_READ)
            assert_int_equal(r, len);
        else if (m.hdr.type == XS_ERROR)
            assert_true(r < 0 && r != -ERANGE);
        else
            assert_int_equal(r, -EIO);
        r = xs_wire_decode_directory(&m, &it);
        if (r >= 0) {
            int n = 0;
            for (const char *name; (name = xs_dir_next(&it)) != NULL; n++)
                assert_true(name[0] != '\0');
            assert_int_equal(n, r);
        }
        r = xs_wire_decode_perms(&m, p, 4);
        assert_true(r != 0);
        r = xs_wire_decode_transaction_start(&m, &id);
        if (r == 0)
            assert_true(id != 0);
        if (xs_wire_decode_watch_event(&m, &a, &b) == 0) {
            assert_true(a[0] != '\0');
            assert_true(b + strlen(b) + 1 == body + len);
        }
        xs_wire_decode_ack(&m, XS_WRITE);
        xs_wire_decode_error(body, len);
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_header_layout_exact_bytes, clear_out),
        cmocka_unit_test_setup(test_encode_path_types, clear_out),
        cmocka_unit_test_setup(test_encode_path_limits, clear_out),
        cmocka_unit_test_setup(test_encode_small_buffer, clear_out),
        cmocka_unit_test_setup(test_encode_write, clear_out),
        cmocka_unit_test_setup(test_encode_write_payload_limit, clear_out),
        cmocka_unit_test_setup(test_encode_watch, clear_out),
        cmocka_unit_test_setup(test_encode_transactions, clear_out),
        cmocka_unit_test(test_encode_perms),
        cmocka_unit_test_setup(test_encode_set_perms, clear_out),
        cmocka_unit_test(test_check_header),
        cmocka_unit_test(test_decode_error_every_name),
        cmocka_unit_test(test_decode_error_malformed),
        cmocka_unit_test(test_reply_status),
        cmocka_unit_test(test_decode_ack),
        cmocka_unit_test(test_decode_read),
        cmocka_unit_test(test_decode_read_max_and_overlong),
        cmocka_unit_test(test_decode_directory),
        cmocka_unit_test(test_decode_directory_malformed),
        cmocka_unit_test(test_decode_directory_full_payload),
        cmocka_unit_test(test_decode_transaction_start),
        cmocka_unit_test(test_decode_perms),
        cmocka_unit_test(test_decode_perms_malformed),
        cmocka_unit_test(test_perms_round_trip),
        cmocka_unit_test(test_decode_watch_event),
        cmocka_unit_test(test_decode_watch_event_malformed),
        cmocka_unit_test(test_decoders_random_bytes),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    msg_free_all(NULL);
    return failed;
}
