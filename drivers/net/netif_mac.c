/* MAC address text from xenstore (see netif_mac.h). */
#include <errno.h>
#include "drivers/net/netif_mac.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int netif_parse_mac(const char *s, uint8_t mac[6])
{
    uint8_t m[6];
    int any = 0;
    for (int i = 0; i < 6; i++) {
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0)
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
        any |= m[i];
        s += 2;
        if (*s != (i < 5 ? ':' : '\0'))
            return -EINVAL;
        s++;
    }
    if (!any || (m[0] & 1))
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = m[i];
    return 0;
}
