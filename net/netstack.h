/* Inside net/: the lwIP netif glue (netdev.c) and the stack's start (netstack.c). */
#ifndef XENOLITH_NET_NETSTACK_H
#define XENOLITH_NET_NETSTACK_H

#include "lwip/netif.h"
#include <xenolith/net.h>

/* Wrap device d as an lwIP netif "enN", added and up, IPv6 link-local address
 * started; IPv4 as given (NULL: none yet). A device attached again gets its old
 * struct netif back (lwIP gives it a new number). Core lock held. */
struct netif *netdev_attach(struct xenolith_net_dev *d, const ip4_addr_t *ip,
                            const ip4_addr_t *mask, const ip4_addr_t *gw);

/* d's netif while it is added, or NULL. Core lock held. */
struct netif *netdev_find(struct xenolith_net_dev *d);

/* Take d's netif down and out of lwIP (DHCP stopped, its data freed); received
 * frames no longer reach it. Core lock held. */
void netdev_detach(struct xenolith_net_dev *d);

/* What netdev_attach chose, for the boot log ("csum offload, 2 queues"). */
const char *netdev_describe(struct netif *n, char *buf, size_t size);

#endif
