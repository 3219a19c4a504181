// Host tests for drivers/xen/xenbus_parse.c: backend property values parsed strictly
// (digits only, no sign, space or trailing bytes, no overflow), and absurd counts
// (queues, ring orders, segments) clamped into what a frontend can use.
// UNIT-SOURCES: drivers/xen/xenbus_parse.c
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "drivers/xen/xenbus_parse.h"

static void test_plain_numbers(void **state)
{
    unsigned long v = 99;
    assert_int_equal(xenbus_parse_ulong("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(xenbus_parse_ulong("1", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(xenbus_parse_ulong("007", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(xenbus_parse_ulong("18446744073709551615", &v), 0);
    assert_true(v == ULONG_MAX);
}

static void test_everything_else_refused_and_untouched(void **state)
{
    static const char *const bad[] = {"",   " 1", "1 ",  "-1",  "+1", "0x10",
                                      "1a", "a",  "1.5", "1\n", "١",  "12abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned long v = 42;
        assert_int_equal(xenbus_parse_ulong(bad[i], &v), -EINVAL);
        assert_int_equal(v, 42);
    }
}

/* strtol clamps these to LONG_MAX; a sector count past 2^64 must not become a size. */
static void test_overflow_is_an_error(void **state)
{
    unsigned long v = 42;
    assert_int_equal(xenbus_parse_ulong("18446744073709551616", &v), -ERANGE);
    assert_int_equal(xenbus_parse_ulong("99999999999999999999999", &v), -ERANGE);
    /* Found by fuzz_xenbus: digits past the overflow, then a '+': not a number at all. */
    assert_int_equal(xenbus_parse_ulong("0866444004444444444444+46", &v), -EINVAL);
    assert_int_equal(v, 42);
    char s[32];
    snprintf(s, sizeof(s), "%lu", ULONG_MAX / 10 + 1);
    assert_int_equal(xenbus_parse_ulong(s, &v), 0);
    snprintf(s, sizeof(s), "%lu0", ULONG_MAX / 10 + 1);
    assert_int_equal(xenbus_parse_ulong(s, &v), -ERANGE);
}

/* What blkfront and netfront do with the hostile backend's values (tests/xen/hostile.manifest). */
static void test_fit_clamps_absurd_counts(void **state)
{
    static const struct {
        unsigned long offer, lo, hi, use;
        enum xenbus_fit fit;
    } cases[] = {
        /* multi-queue-max-queues into [1, 16] */
        {4294967295UL, 1, 16, 16, XENBUS_CAPPED},
        {ULONG_MAX, 1, 16, 16, XENBUS_CAPPED},
        {0, 1, 16, 1, XENBUS_RAISED},
        {1, 1, 16, 1, XENBUS_FITS},
        {16, 1, 16, 16, XENBUS_FITS},
        {17, 1, 16, 16, XENBUS_CAPPED},
        /* max-ring-page-order into [0, 4]: 1 << use must stay defined */
        {4294967295UL, 0, 4, 4, XENBUS_CAPPED},
        {64, 0, 4, 4, XENBUS_CAPPED},
        {0, 0, 4, 0, XENBUS_FITS},
        /* feature-max-indirect-segments into [0, 4096] */
        {4294967295UL, 0, 4096, 4096, XENBUS_CAPPED},
        {256, 0, 4096, 256, XENBUS_FITS},
        /* a range of one value */
        {5, 3, 3, 3, XENBUS_CAPPED},
        {2, 3, 3, 3, XENBUS_RAISED},
        {3, 3, 3, 3, XENBUS_FITS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned long use = 99;
        assert_int_equal(xenbus_fit(cases[i].offer, cases[i].lo, cases[i].hi, &use), cases[i].fit);
        assert_true(use == cases[i].use);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_numbers),
        cmocka_unit_test(test_everything_else_refused_and_untouched),
        cmocka_unit_test(test_overflow_is_an_error),
        cmocka_unit_test(test_fit_clamps_absurd_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
