/*
 * lwIP's configuration for xenolith: the full stack with threads (NO_SYS=0) and
 * core locking, memory from newlib's malloc, IPv4 + IPv6, TCP, UDP, ICMP, raw,
 * DHCP, BSD sockets with our own POSIX headers (include/sys/socket.h ...).
 * Read by every lwIP source file and by the glue in net/.
 */
#ifndef XENOLITH_LWIPOPTS_H
#define XENOLITH_LWIPOPTS_H

/* ---- operating system ---- */
#define NO_SYS                        0
#define SYS_LIGHTWEIGHT_PROT          1
#define LWIP_TCPIP_CORE_LOCKING       1 /* socket calls run the stack in the caller's thread */
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0 /* received frames go through the tcpip thread */
#define LWIP_TCPIP_TIMEOUT            0
#define LWIP_NETCONN_SEM_PER_THREAD   0
#define LWIP_NETCONN_FULLDUPLEX       0
#define TCPIP_THREAD_NAME             "tcpip"
#define TCPIP_THREAD_STACKSIZE        (64 * 1024)
#define TCPIP_THREAD_PRIO             1
#define DEFAULT_THREAD_STACKSIZE      (64 * 1024)
#define TCPIP_MBOX_SIZE               1024
#define DEFAULT_TCP_RECVMBOX_SIZE     512
#define DEFAULT_UDP_RECVMBOX_SIZE     512
#define DEFAULT_RAW_RECVMBOX_SIZE     64
#define DEFAULT_ACCEPTMBOX_SIZE       64
#define LWIP_ASSERT_CORE_LOCKED()     sys_check_core_locking()
void sys_check_core_locking(void); /* net/sys_arch.c: panics if the core lock is not ours */

/* ---- memory: everything from malloc, no fixed pools ---- */
#define MEM_LIBC_MALLOC  1
#define MEMP_MEM_MALLOC  1
#define MEM_ALIGNMENT    8
#define MEMP_NUM_NETCONN 128 /* sockets: descriptors 3 .. 130 (select: below FD_SETSIZE) */

/* ---- sockets ---- */
#define LWIP_SOCKET                           1
#define LWIP_NETCONN                          1
#define LWIP_COMPAT_SOCKETS                   0 /* net/sockets.c gives the POSIX names */
#define LWIP_POSIX_SOCKETS_IO_NAMES           0
#define LWIP_SOCKET_OFFSET                    3 /* 0, 1, 2 are the console */
#define LWIP_SOCKET_SELECT                    1
#define LWIP_SOCKET_POLL                      1
#define LWIP_SOCKET_EXTERNAL_HEADERS          1
#define LWIP_SOCKET_EXTERNAL_HEADER_SOCKETS_H "lwip_sockets_ext.h"
#define LWIP_SOCKET_EXTERNAL_HEADER_INET_H    "lwip_inet_ext.h"
#define LWIP_TIMEVAL_PRIVATE                  0
#define LWIP_SO_RCVTIMEO                      1
#define LWIP_SO_SNDTIMEO                      1
#define LWIP_SO_RCVBUF                        1
#define LWIP_FIONREAD_LINUXMODE               1 /* FIONREAD on UDP: the next datagram */
#define LWIP_SO_LINGER                        1
#define SO_REUSE                              1
#define LWIP_TCP_KEEPALIVE                    1
#define LWIP_DNS                              0 /* getaddrinfo is numeric only (net/addrinfo.c) */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1 /* <netinet/in.h> has htons & co. */
#define LWIP_ERRNO_STDINCLUDE                 1 /* newlib's errno: per thread */

/* ---- IP ---- */
#define LWIP_IPV4                    1
#define LWIP_IPV6                    1
#define IP_REASSEMBLY                1
#define IP_FRAG                      1
#define IP_REASS_MAX_PBUFS           256 /* a 64 KiB UDP datagram is 45 fragments */
#define LWIP_IPV6_FRAG               1
#define LWIP_IPV6_REASS              1
#define IPV6_FRAG_COPYHEADER         1 /* 64-bit pointers do not fit in the fragment header */
#define LWIP_ICMP                    1
#define LWIP_ICMP6                   1
#define LWIP_RAW                     1
#define LWIP_IGMP                    1
#define LWIP_IPV6_MLD                1
#define LWIP_IPV6_AUTOCONFIG         1
#define LWIP_IPV6_DHCP6              0
#define LWIP_DHCP                    1
#define DHCP_DOES_ARP_CHECK          0
#define LWIP_AUTOIP                  0
#define LWIP_ARP                     1
#define LWIP_ETHERNET                1
#define ARP_QUEUEING                 1
#define ARP_TABLE_SIZE               64
#define LWIP_ND6_QUEUEING            1
#define LWIP_NETIF_LOOPBACK          1
#define LWIP_HAVE_LOOPIF             1
#define LWIP_LOOPBACK_MAX_PBUFS      0
#define LWIP_NETIF_STATUS_CALLBACK   1
#define LWIP_NETIF_HOSTNAME          1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1 /* TCP checksums offloaded where the device can */

/* ---- TCP ---- */
#define LWIP_TCP                   1
#define TCP_MSS                    1460
#define LWIP_WND_SCALE             1
#define TCP_RCV_SCALE              3
#define TCP_WND                    (256 * 1024)
#define TCP_SND_BUF                (256 * 1024)
#define TCP_SND_QUEUELEN           (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT               (32 * 1024) /* writable again below this; lwIP wants < 64 KiB */
#define MEMP_NUM_TCP_SEG           TCP_SND_QUEUELEN
#define TCP_QUEUE_OOSEQ            1
#define TCP_LISTEN_BACKLOG         1
#define TCP_DEFAULT_LISTEN_BACKLOG 64
#define LWIP_TCP_SACK_OUT          1

/* ---- UDP ---- */
#define LWIP_UDP     1
#define LWIP_UDPLITE 0

/* ---- diagnostics ---- */
#define LWIP_STATS            0
#define LWIP_DEBUG_TIMERNAMES 0

#endif
