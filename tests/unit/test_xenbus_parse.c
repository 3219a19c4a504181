// Host tests for drivers/xen/xenbus_parse.c: backend property values parsed strictly
// (digits only, no sign, space or trailing bytes, no overflow).
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_numbers),
        cmocka_unit_test(test_everything_else_refused_and_untouched),
        cmocka_unit_test(test_overflow_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
