/*
 * The TCP/IP stack (lwIP) behind <sys/socket.h>. It starts by itself on the
 * first socket() call; an app may start it earlier to see its addresses.
 *
 * Configuration, from the command line (xl `cmdline=` / `extra=`):
 *   xenolith.ip=ADDR[/LEN][,ADDR[/LEN]...]  IPv4 of vif0, vif1, ... ("dhcp": DHCP
 *                                           for that one). Default: DHCP on all.
 *                                           LEN defaults to 16 in 169.254/16,
 *                                           else 24.
 *   xenolith.gw=ADDR                        IPv4 default gateway
 *   xenolith.ip6=ADDR[,ADDR...]             static IPv6 of vif0, ... (a /64);
 *                                           link-local addresses always, and
 *                                           SLAAC from router advertisements
 *   xenolith.dhcp_wait=SECONDS              how long the start waits for DHCP
 *                                           (default 3; DHCP goes on after)
 */
#ifndef XENOLITH_NETSTACK_H
#define XENOLITH_NETSTACK_H

/*
 * Start the stack now: the tcpip thread, loopback (127.0.0.1, ::1), one
 * interface per network device with its addresses. Idempotent and thread-safe;
 * returns 0, or a negative errno when the stack cannot start.
 */
int xenolith_netstack_init(void);

#endif
