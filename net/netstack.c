/*
 * Starting the TCP/IP stack: the tcpip thread, loopback, one interface per
 * network device, addresses from the command line, the vif's ip= or DHCP (see
 * <xenolith/netstack.h>). Runs once, on the first socket() or xenolith_netstack_init().
 * Interfaces then come and go with their vifs (xl network-attach / -detach).
 */
#include "core/kernel.h"
#include "core/options.h"
#include "core/sched.h"
#include "core/time.h"
#include "net/netstack.h"
#include "lwip/dhcp.h"
#include "lwip/ip_addr.h"
#include "lwip/tcpip.h"
#include <xenolith/netstack.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const char *opt_ip;
static const char *opt_gw;
static const char *opt_ip6;
static int opt_dhcp_wait = 3;
KERNEL_OPTION(opt_ip, "ip", OPT_STRING, "IPv4 ADDR[/LEN] of vif0[,vif1...] or dhcp (default)");
KERNEL_OPTION(opt_gw, "gw", OPT_STRING, "IPv4 default gateway");
KERNEL_OPTION(opt_ip6, "ip6", OPT_STRING, "static IPv6 address (/64) of vif0[,vif1...]");
KERNEL_OPTION(opt_dhcp_wait, "dhcp_wait", OPT_INT, "seconds the network start waits for DHCP");

static struct mutex start_lock = MUTEX_INIT(start_lock);
static int started; /* 1: up, <0: failed with that errno */

/* Word `index` of a comma-separated list into buf; 0 if there is none. */
static int list_item(const char *list, int index, char *buf, size_t size)
{
    if (!list)
        return 0;
    for (int i = 0; i < index; i++) {
        list = strchr(list, ',');
        if (!list)
            return 0;
        list++;
    }
    size_t n = strcspn(list, ",");
    if (n == 0 || n >= size)
        return 0;
    memcpy(buf, list, n);
    buf[n] = '\0';
    return 1;
}

/* "a.b.c.d[/len]" -> address and netmask. */
static int parse_ip4_prefix(char *s, ip4_addr_t *ip, ip4_addr_t *mask)
{
    char *slash = strchr(s, '/');
    long len = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        len = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || len < 0 || len > 32)
            return -EINVAL;
    }
    if (!ip4addr_aton(s, ip))
        return -EINVAL;
    if (len < 0) /* 169.254.0.0/16 is link-local; elsewhere, say, a /24 */
        len = (lwip_ntohl(ip4_addr_get_u32(ip)) >> 16) == 0xa9fe ? 16 : 24;
    ip4_addr_set_u32(mask, len ? lwip_htonl(0xffffffffu << (32 - len)) : 0);
    return 0;
}

static void print_addresses(struct netif *n)
{
    char buf[INET6_ADDRSTRLEN];
    if (!ip4_addr_isany_val(*netif_ip4_addr(n)))
        printk("net: %c%c%u inet %s/%d\n", n->name[0], n->name[1], n->num,
               ip4addr_ntoa_r(netif_ip4_addr(n), buf, sizeof(buf)),
               __builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(n))));
    for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
        if (!ip6_addr_isinvalid(netif_ip6_addr_state(n, i)))
            printk("net: %c%c%u inet6 %s%s\n", n->name[0], n->name[1], n->num,
                   inet_ntop(AF_INET6, netif_ip6_addr(n, i)->addr, buf, sizeof(buf)),
                   ip6_addr_istentative(netif_ip6_addr_state(n, i)) ? " (tentative)" : "");
}

/* DHCP found (or lost) an address: say so, also long after the start. */
static void status_changed(struct netif *n)
{
    if (n->name[0] != 'e' || !netif_dhcp_data(n))
        return;
    char buf[IP4ADDR_STRLEN_MAX];
    if (dhcp_supplied_address(n))
        printk("net: %c%c%u DHCP: %s/%d gw %s\n", n->name[0], n->name[1], n->num,
               ip4addr_ntoa_r(netif_ip4_addr(n), buf, sizeof(buf)),
               __builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(n))),
               ip4addr_ntoa(netif_ip4_gw(n)));
}

static void tcpip_ready(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}

/* The vif's own address (xl's ip=, a list of words): the first, if any, into buf. */
static int config_ip(struct xenolith_net_dev *d, char *buf, size_t size)
{
    const char *s = xenolith_net_dev_config_ip(d);
    s += strspn(s, " ");
    size_t n = strcspn(s, " ");
    if (n == 0 || n >= size)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

/* Bring up device d (vifN: item N of xenolith.ip); returns whether it uses DHCP. Core lock held. */
static int attach_device(struct xenolith_net_dev *d, struct netif **out)
{
    char word[64];
    ip4_addr_t ip, mask, gw;
    ip4_addr_set_zero(&ip);
    ip4_addr_set_zero(&mask);
    ip4_addr_set_zero(&gw);
    int dhcp = 1, index = (int)xenolith_net_dev_id(d);
    const char *from = "xenolith.ip";
    int have = list_item(opt_ip, index, word, sizeof(word));
    if (!have && (have = config_ip(d, word, sizeof(word))))
        from = "the vif's ip=";
    if (have && strcmp(word, "dhcp") != 0) {
        char shown[64];
        memcpy(shown, word, sizeof(shown));
        if (parse_ip4_prefix(word, &ip, &mask) == 0)
            dhcp = 0;
        else
            printk("net: %s: bad address '%s' for %s; using DHCP\n", from, shown,
                   xenolith_net_dev_name(d));
    }
    if (!dhcp && opt_gw && ip4addr_aton(opt_gw, &gw) && !ip4_addr_netcmp(&gw, &ip, &mask))
        ip4_addr_set_zero(&gw); /* the gateway is on another device */

    struct netif *n = netdev_attach(d, &ip, &mask, &gw);
    *out = n;
    if (!n) {
        printk("net: %s: cannot attach (no memory)\n", xenolith_net_dev_name(d));
        return 0;
    }
    char desc[128];
    printk("net: %c%c%u is %s\n", n->name[0], n->name[1], n->num,
           netdev_describe(n, desc, sizeof(desc)));

    if (list_item(opt_ip6, index, word, sizeof(word))) {
        ip6_addr_t a6;
        s8_t slot;
        char *slash = strchr(word, '/');
        if (slash)
            *slash = '\0'; /* always /64 in lwIP */
        if (!ip6addr_aton(word, &a6) || netif_add_ip6_address(n, &a6, &slot) != ERR_OK)
            printk("net: xenolith.ip6: bad or unusable address '%s'\n", word);
    }
    netif_set_status_callback(n, status_changed);
    if (!netif_default)
        netif_set_default(n); /* the first device up */
    if (dhcp && dhcp_start(n) != ERR_OK) {
        printk("net: %c%c%u: DHCP does not start\n", n->name[0], n->name[1], n->num);
        dhcp = 0;
    }
    return dhcp;
}

/* The default interface went with its device: the next one up, if any, takes over. */
static void pick_default(void)
{
    struct netif *n;
    if (netif_default)
        return;
    for (n = netif_list; n; n = n->next)
        if (n->name[0] == 'e' && netif_is_up(n)) {
            netif_set_default(n);
            return;
        }
}

/* A vif came or went after the start (the net hotplug thread). */
static void device_hotplug(struct xenolith_net_dev *d, int attached, void *arg)
{
    LOCK_TCPIP_CORE();
    struct netif *n = netdev_find(d);
    if (attached && !n) {
        if (attach_device(d, &n))
            printk("net: %c%c%u: DHCP started\n", n->name[0], n->name[1], n->num);
        if (n)
            print_addresses(n);
    } else if (!attached && n) {
        printk("net: %c%c%u (%s) removed with its device\n", n->name[0], n->name[1], n->num,
               xenolith_net_dev_name(d));
        netdev_detach(d);
        pick_default();
    }
    UNLOCK_TCPIP_CORE();
}

static int dhcp_pending(struct netif **nifs, int *dhcp, int n)
{
    int pending = 0;
    LOCK_TCPIP_CORE();
    for (int i = 0; i < n; i++)
        if (dhcp[i] && nifs[i] && !dhcp_supplied_address(nifs[i]))
            pending++;
    UNLOCK_TCPIP_CORE();
    return pending;
}

static int netstack_start(void)
{
    uint64_t t0 = xenolith_time_now_ns();
    sys_sem_t ready;
    if (sys_sem_new(&ready, 0) != ERR_OK)
        return -ENOMEM;
    tcpip_init(tcpip_ready, &ready);
    sys_sem_wait(&ready);
    sys_sem_free(&ready);

    /* Finding and connecting devices may wait on xenstore: not under the core lock. Hot
     * attached ones come through the handler; a boot one it took already is skipped. */
    if (xenolith_net_on_hotplug(device_hotplug, NULL) < 0)
        printk("net: no memory for a hotplug handler; vifs attached later get no interface\n");
    int ndev = xenolith_net_dev_count();
    if (ndev < 0)
        ndev = 0;
    struct netif **nifs = calloc((size_t)ndev + 1, sizeof(*nifs));
    int *dhcp = calloc((size_t)ndev + 1, sizeof(*dhcp));
    if (!nifs || !dhcp)
        return -ENOMEM;

    LOCK_TCPIP_CORE();
    if (opt_gw && !ip4addr_aton(opt_gw, &(ip4_addr_t){0}))
        printk("net: xenolith.gw: bad address '%s'\n", opt_gw);
    for (int i = 0; i < ndev; i++) {
        struct xenolith_net_dev *d = xenolith_net_dev_get(i);
        if (d && xenolith_net_dev_connected(d) && !netdev_find(d))
            dhcp[i] = attach_device(d, &nifs[i]);
    }
    UNLOCK_TCPIP_CORE();

    uint64_t wait_ns = opt_dhcp_wait > 0 ? (uint64_t)opt_dhcp_wait * 1000000000 : 0;
    uint64_t t_dhcp = xenolith_time_now_ns();
    int pending = dhcp_pending(nifs, dhcp, ndev);
    if (pending && wait_ns) {
        printk("net: waiting up to %d s for DHCP\n", opt_dhcp_wait);
        while (pending && xenolith_time_now_ns() - t_dhcp < wait_ns) {
            xenolith_thread_sleep_ns(20 * 1000000);
            pending = dhcp_pending(nifs, dhcp, ndev);
        }
    }

    LOCK_TCPIP_CORE();
    for (int i = 0; i < ndev; i++) {
        if (!nifs[i])
            continue;
        if (dhcp[i] && !dhcp_supplied_address(nifs[i]))
            printk("net: %c%c%u: no DHCP answer within %d s; IPv4 unconfigured, DHCP "
                   "keeps trying\n",
                   nifs[i]->name[0], nifs[i]->name[1], nifs[i]->num, opt_dhcp_wait);
        print_addresses(nifs[i]);
    }
    UNLOCK_TCPIP_CORE();
    printk("net: lwIP up with %d device%s and loopback in %lu ms\n", ndev, ndev == 1 ? "" : "s",
           (unsigned long)((xenolith_time_now_ns() - t0) / 1000000));
    free(nifs);
    free(dhcp);
    return 0;
}

int xenolith_netstack_init(void)
{
    int s = __atomic_load_n(&started, __ATOMIC_ACQUIRE);
    if (s)
        return s > 0 ? 0 : s;
    mutex_lock(&start_lock);
    if (!started) {
        int rc = netstack_start();
        __atomic_store_n(&started, rc == 0 ? 1 : rc, __ATOMIC_RELEASE);
    }
    mutex_unlock(&start_lock);
    return started > 0 ? 0 : started;
}
