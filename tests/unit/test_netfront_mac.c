// Host tests for drivers/net/netif_mac.c: the MAC text xl writes, and what we refuse.
// UNIT-SOURCES: drivers/net/netif_mac.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/net/netif_mac.h"

static void test_good(void **state)
{
    uint8_t mac[6];
    const uint8_t want[6] = {0x00, 0x16, 0x3e, 0x5a, 0xbc, 0x0f};
    assert_int_equal(netif_parse_mac("00:16:3e:5a:bc:0f", mac), 0);
    assert_memory_equal(mac, want, 6);
    assert_int_equal(netif_parse_mac("00:16:3E:5A:BC:0F", mac), 0);
    assert_memory_equal(mac, want, 6);
    assert_int_equal(netif_parse_mac("02:00:00:00:00:01", mac), 0); /* locally administered */
}

static void test_bad(void **state)
{
    static const char *const bad[] = {
        "",
        "00:16:3e:5a:bc",
        "00:16:3e:5a:bc:0f:",
        "00:16:3e:5a:bc:0f:11",
        "00-16-3e-5a-bc-0f",
        "0:16:3e:5a:bc:0f",
        "000:16:3e:5a:bc:0f",
        "00:16:3e:5a:bc:0g",
        "00:16:3e:5a:bc:0",
        " 00:16:3e:5a:bc:0f",
        "00:16:3e:5a:bc:0f ",
        "00:00:00:00:00:00", /* no address */
        "01:00:5e:00:00:01", /* multicast */
        "ff:ff:ff:ff:ff:ff", /* broadcast */
        "33:33:00:00:00:01",
    };
    uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (netif_parse_mac(bad[i], mac) != -EINVAL)
            fail_msg("accepted '%s'", bad[i]);
    }
    const uint8_t untouched[6] = {1, 2, 3, 4, 5, 6};
    assert_memory_equal(mac, untouched, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
