// Host tests for core/ksyms.c: the empty table, an address below the first symbol, each
// symbol's first and last byte, the last symbol (open-ended), a table of 1,000 symbols
// checked at every offset against a linear search, distances of 1 to 5 LEB128 bytes, and
// name expansion: nested tokens, cutting to the buffer, and tokens that break the rules
// (forward, missing) as '?'.
// UNIT-SOURCES: core/ksyms.c
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ksyms.h"

/* Entries as tools/ksyms.sh lays them out, from starts and a blob of n names. */
static struct ksyms table(uint32_t n, const uint32_t *offs, const unsigned char *names,
                          uint32_t ntokens, const unsigned char *tokens)
{
    static unsigned char buf[64 * 1024];
    unsigned char *p = buf;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = offs[i] - prev;
        prev = offs[i];
        do {
            *p++ = (unsigned char)((d & 0x7f) | (d > 0x7f ? 0x80 : 0));
            d >>= 7;
        } while (d);
        do
            *p++ = *names;
        while (*names++);
    }
    return (struct ksyms){n, buf, ntokens, tokens};
}

static const char *name_of(const struct ksyms *t, uint32_t off, uint32_t *within)
{
    static char buf[64];
    long i = ksyms_find(t, off, within);
    if (i < 0)
        return NULL;
    ksyms_name(t, (uint32_t)i, buf, sizeof(buf));
    return buf;
}

static void empty_table_finds_nothing(void **state)
{
    const struct ksyms t = table(0, NULL, NULL, 0, NULL);
    uint32_t within = 77;
    assert_int_equal(ksyms_find(&t, 0, &within), -1);
    assert_int_equal(ksyms_find(&t, 1000, &within), -1);
    assert_int_equal(within, 77);
}

static void each_symbol_covers_up_to_the_next(void **state)
{
    static const uint32_t offs[] = {0x10, 0x20, 0x21, 0x400};
    const struct ksyms t =
        table(4, offs, (const unsigned char *)"alpha\0b\0gamma_delta\0last", 0, NULL);
    uint32_t within = 0;

    assert_null(name_of(&t, 0xf, &within));
    assert_string_equal(name_of(&t, 0x10, &within), "alpha");
    assert_int_equal(within, 0);
    assert_string_equal(name_of(&t, 0x1f, &within), "alpha");
    assert_int_equal(within, 0xf);
    assert_string_equal(name_of(&t, 0x20, &within), "b");
    assert_int_equal(within, 0);
    assert_string_equal(name_of(&t, 0x21, &within), "gamma_delta");
    assert_string_equal(name_of(&t, 0x3ff, &within), "gamma_delta");
    assert_int_equal(within, 0x3ff - 0x21);
    assert_string_equal(name_of(&t, 0x400, &within), "last");
    assert_string_equal(name_of(&t, 0xffffffff, &within), "last");
    assert_int_equal(within, 0xffffffff - 0x400);
}

static void one_symbol_table(void **state)
{
    static const uint32_t offs[] = {0};
    const struct ksyms t = table(1, offs, (const unsigned char *)"only", 0, NULL);
    uint32_t within = 1;
    assert_string_equal(name_of(&t, 0, &within), "only");
    assert_int_equal(within, 0);
    assert_string_equal(name_of(&t, 12345, &within), "only");
    assert_int_equal(within, 12345);
}

#define N 1000

static void thousand_symbols_match_a_linear_search(void **state)
{
    static uint32_t offs[N];
    static char names[N * 8];
    char *p = names;
    uint32_t off = 5, seed = 1;

    for (int i = 0; i < N; i++) {
        offs[i] = off;
        seed = seed * 1103515245 + 12345;
        off += 1 + (seed >> 16) % 50;
        p += sprintf(p, "f%d", i) + 1;
    }
    const struct ksyms t = table(N, offs, (const unsigned char *)names, 0, NULL);
    for (uint32_t a = 0; a < off + 10; a++) {
        int want = -1;
        for (int i = 0; i < N && offs[i] <= a; i++)
            want = i;
        uint32_t within = 0;
        const char *got = name_of(&t, a, &within);
        if (want < 0) {
            assert_null(got);
            continue;
        }
        char name[16];
        snprintf(name, sizeof(name), "f%d", want);
        assert_non_null(got);
        assert_string_equal(got, name);
        assert_int_equal(within, a - offs[want]);
    }
}

/* Distances of every LEB128 length, up to the largest 32-bit start. */
static void long_distances(void **state)
{
    static const uint32_t offs[] = {0x7f, 0xff, 0x4100, 0x210000, 0x10000000, 0xfffffffe};
    const struct ksyms t = table(6, offs, (const unsigned char *)"a\0b\0c\0d\0e\0f", 0, NULL);
    static const char *const want[] = {"a", "b", "c", "d", "e", "f"};
    uint32_t within = 0;

    assert_null(name_of(&t, 0x7e, &within));
    for (int i = 0; i < 6; i++) {
        assert_string_equal(name_of(&t, offs[i], &within), want[i]);
        assert_int_equal(within, 0);
        if (i < 5) {
            assert_string_equal(name_of(&t, offs[i + 1] - 1, &within), want[i]);
            assert_int_equal(within, offs[i + 1] - 1 - offs[i]);
        }
    }
    assert_string_equal(name_of(&t, 0xffffffff, &within), "f");
    assert_int_equal(within, 1);
}

/* Tokens: 0x80 = "xs", 0x81 = 0x80 '_' = "xs_", 0x82 = 0x81 0x81 = "xs_xs_". */
static const unsigned char tokens[] = {'x', 's', 0x80, '_', 0x81, 0x81};

static void tokens_expand_nested(void **state)
{
    static const uint32_t offs[] = {0, 8, 16, 24};
    static const unsigned char names[] = {0x81, 'r', 'e', 'a', 'd', 0,    0x82, 0x80, 0, 'p',
                                          'l',  'a', 'i', 'n', 0,   0x80, 0x80, 0x80, 0};
    const struct ksyms t = table(4, offs, names, 3, tokens);
    char buf[32];

    assert_int_equal(ksyms_name(&t, 0, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "xs_read");
    assert_int_equal(ksyms_name(&t, 1, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "xs_xs_xs");
    assert_int_equal(ksyms_name(&t, 2, buf, sizeof(buf)), 5);
    assert_string_equal(buf, "plain");
    assert_int_equal(ksyms_name(&t, 3, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "xsxsxs");
}

static void names_are_cut_to_the_buffer(void **state)
{
    static const uint32_t offs[] = {0};
    static const unsigned char names[] = {0x82, 'z', 0};
    const struct ksyms t = table(1, offs, names, 3, tokens);
    char buf[8];

    memset(buf, '#', sizeof(buf));
    assert_int_equal(ksyms_name(&t, 0, buf, 5), 7);
    assert_string_equal(buf, "xs_x");
    assert_int_equal(buf[5], '#');
    assert_int_equal(ksyms_name(&t, 0, buf, 0), 7);
    assert_int_equal(buf[0], 'x');
}

static void broken_tokens_show_as_question_marks(void **state)
{
    /* 0x80 names itself, 0x81 a later token, 0x83 is past ntokens */
    static const unsigned char bad[] = {0x80, 'a', 0x82, 'b', 'c', 'd'};
    static const uint32_t offs[] = {0};
    static const unsigned char names[] = {0x80, 0x81, 0x83, 'k', 0};
    const struct ksyms t = table(1, offs, names, 3, bad);
    char buf[16];

    /* 0x80 -> '?' 'a' (itself is not earlier); 0x81 -> '?' (0x82 is later) 'b'; 0x83 -> '?' */
    assert_int_equal(ksyms_name(&t, 0, buf, sizeof(buf)), 6);
    assert_string_equal(buf, "?a?b?k");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_table_finds_nothing),
        cmocka_unit_test(each_symbol_covers_up_to_the_next),
        cmocka_unit_test(one_symbol_table),
        cmocka_unit_test(thousand_symbols_match_a_linear_search),
        cmocka_unit_test(long_distances),
        cmocka_unit_test(tokens_expand_nested),
        cmocka_unit_test(names_are_cut_to_the_buffer),
        cmocka_unit_test(broken_tokens_show_as_question_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
