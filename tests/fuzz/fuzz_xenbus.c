// libFuzzer target for drivers/xen/xenbus_parse.c: a backend's property value (as xenstore
// returns it, NUL-terminated). Accepted exactly when it is one or more decimal digits
// whose value fits an unsigned long (checked against 128-bit arithmetic), and then it
// prints back as the same digits less leading zeros; refused values leave *out alone.
// FUZZ-SOURCES: drivers/xen/xenbus_parse.c
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <limits.h>
#include "drivers/xen/xenbus_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128], back[32];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    n = strlen(s);

    int want = n ? 0 : -EINVAL;
    unsigned __int128 ref = 0;
    for (size_t i = 0; i < n && want != -EINVAL; i++) {
        if (s[i] < '0' || s[i] > '9')
            want = -EINVAL;
        else if ((ref = ref * 10 + (unsigned)(s[i] - '0')) > ULONG_MAX)
            want = -ERANGE, ref = (unsigned __int128)ULONG_MAX + 1;
    }
    unsigned long v = 0x5a5a5a5aUL;
    int rc = xenbus_parse_ulong(s, &v);
    CHECK(rc == want);
    if (rc < 0) {
        CHECK(v == 0x5a5a5a5aUL);
        return 0;
    }
    CHECK(v == (unsigned long)ref);
    const char *digits = s;
    while (digits[0] == '0' && digits[1])
        digits++;
    snprintf(back, sizeof(back), "%lu", v);
    CHECK(strcmp(back, digits) == 0);
    return 0;
}
