// Host tests for core/ksyms.c: the empty table, an address below the first symbol, each
// symbol's first and last byte, the last symbol (open-ended), and a table of 1,000
// symbols checked at every offset against a linear search.
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

static void empty_table_finds_nothing(void **state)
{
    const struct ksyms t = {0, NULL, ""};
    uint32_t within = 77;
    assert_null(ksyms_find(&t, 0, &within));
    assert_null(ksyms_find(&t, 1000, &within));
    assert_int_equal(within, 77);
}

static void each_symbol_covers_up_to_the_next(void **state)
{
    static const uint32_t offs[] = {0x10, 0x20, 0x21, 0x400};
    const struct ksyms t = {4, offs, "alpha\0b\0gamma_delta\0last"};
    uint32_t within = 0;

    assert_null(ksyms_find(&t, 0xf, &within));
    assert_string_equal(ksyms_find(&t, 0x10, &within), "alpha");
    assert_int_equal(within, 0);
    assert_string_equal(ksyms_find(&t, 0x1f, &within), "alpha");
    assert_int_equal(within, 0xf);
    assert_string_equal(ksyms_find(&t, 0x20, &within), "b");
    assert_int_equal(within, 0);
    assert_string_equal(ksyms_find(&t, 0x21, &within), "gamma_delta");
    assert_string_equal(ksyms_find(&t, 0x3ff, &within), "gamma_delta");
    assert_int_equal(within, 0x3ff - 0x21);
    assert_string_equal(ksyms_find(&t, 0x400, &within), "last");
    assert_string_equal(ksyms_find(&t, 0xffffffff, &within), "last");
    assert_int_equal(within, 0xffffffff - 0x400);
}

static void one_symbol_table(void **state)
{
    static const uint32_t offs[] = {0};
    const struct ksyms t = {1, offs, "only"};
    uint32_t within = 1;
    assert_string_equal(ksyms_find(&t, 0, &within), "only");
    assert_int_equal(within, 0);
    assert_string_equal(ksyms_find(&t, 12345, &within), "only");
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
    const struct ksyms t = {N, offs, names};
    for (uint32_t a = 0; a < off + 10; a++) {
        int want = -1;
        for (int i = 0; i < N && offs[i] <= a; i++)
            want = i;
        uint32_t within = 0;
        const char *got = ksyms_find(&t, a, &within);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_table_finds_nothing),
        cmocka_unit_test(each_symbol_covers_up_to_the_next),
        cmocka_unit_test(one_symbol_table),
        cmocka_unit_test(thousand_symbols_match_a_linear_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
