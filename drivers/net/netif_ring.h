/*
 * The netif shared rings (io/netif.h, io/ring.h) as netfront uses them: the memory
 * barriers ring.h expects from its includer, and a few sizes of the protocol. Included
 * by the pure ring code and by the driver alike.
 */
#ifndef XENOLITH_NETIF_RING_H
#define XENOLITH_NETIF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Host tests build without the kernel's flags; ask for the same interface version. */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif

/* ring.h leaves the barriers to us. x86 is TSO: only the full fence emits code. */
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>

#define NETIF_PAGE_SIZE 4096u

/* Slots in a ring of one page (both rings have 256). */
#define NETIF_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, NETIF_PAGE_SIZE)
#define NETIF_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, NETIF_PAGE_SIZE)

/* An Ethernet header, and one with an 802.1Q tag. */
#define NETIF_ETH_HLEN      14u
#define NETIF_ETH_VLAN_HLEN 18u

/* The longest frame the protocol can carry: the first tx slot's size is 16 bits. */
#define NETIF_MAX_FRAME XEN_NETIF_MAX_TX_SIZE

#endif
