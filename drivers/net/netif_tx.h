/*
 * One netfront transmit ring, without hypercalls: frames are copied into a pool of
 * pages the driver granted to the backend once, written as requests (first slot,
 * extra-info slot for GSO, more-data slots), and the backend's responses are checked
 * against what is in flight before a buffer is reused. Tested on the host
 * (tests/unit/test_netfront_tx.c). No locking: the driver serialises calls per ring.
 */
#ifndef XENOLITH_NETIF_TX_H
#define XENOLITH_NETIF_TX_H

#include <stddef.h>
#include <stdint.h>
#include <xenolith/net.h>
#include "drivers/net/netif_ring.h"

/* Data slots of the longest frame (65535 bytes in 4 KiB pages). */
#define NETIF_TX_MAX_DATA_SLOTS ((NETIF_MAX_FRAME + NETIF_PAGE_SIZE - 1) / NETIF_PAGE_SIZE)

struct netif_txq {
    struct netif_tx_front_ring ring;
    unsigned int nbufs; /* buffers, and request ids 0 .. nbufs-1 (one page each) */
    void **page;        /* filled in by the driver: the page of buffer i ... */
    grant_ref_t *gref;  /* ... and its grant (read-only to the backend) */
    uint16_t *free;     /* stack of free buffer ids */
    unsigned int nfree;
    uint8_t *busy;       /* per id: NETIF_TXB_* while its request is in flight */
    unsigned int extras; /* extra-info slots whose NETIF_RSP_NULL response is still due */
    const char *error;   /* set when the backend broke the protocol: the ring is dead */
    char errbuf[112];
};

#define NETIF_TXB_DATA  1u /* a data slot is in flight with this id */
#define NETIF_TXB_FIRST 2u /* ... and it is a frame's first slot */

/* What goes in a frame's first slot and extra-info slot. */
struct netif_tx_meta {
    uint16_t flags;   /* NETTXF_csum_blank, NETTXF_data_validated */
    uint8_t gso_type; /* XEN_NETIF_GSO_TYPE_NONE, _TCPV4 or _TCPV6 */
    uint16_t gso_size;
};

/*
 * Set up a ring on the (zeroed or fresh) shared page `sring` with nbufs buffers
 * (1 .. 65535; more than the ring's slots is allowed but useless). The driver then
 * fills q->page[] and q->gref[]. 0 or -ENOMEM / -EINVAL.
 */
int netif_txq_init(struct netif_txq *q, netif_tx_sring_t *sring, unsigned int nbufs);
void netif_txq_destroy(struct netif_txq *q);

/*
 * Check a frame handed to xenolith_net_tx against what the device agreed to (features NET_F_*,
 * mtu) and turn its offload request into *meta; *len gets the frame's length.
 * Returns 0, -EINVAL (shorter than an Ethernet header, or an offload the device does
 * not have or that does not fit the frame) or -EMSGSIZE (too long).
 */
int netif_tx_check(uint32_t features, unsigned int mtu, const struct xenolith_net_frag *frags,
                   unsigned int nfrags, const struct xenolith_net_tx_offload *off, size_t *len,
                   struct netif_tx_meta *meta);

/* Ring slots a frame of len bytes takes (data slots, plus one for GSO). */
unsigned int netif_tx_slots(size_t len, int gso);

/* Is there room (ring slots and buffers) for a frame of len bytes now? */
int netif_tx_room(const struct netif_txq *q, size_t len, int gso);

/*
 * Copy a frame of len bytes (the sum of the frags' lengths, 1 .. NETIF_MAX_FRAME)
 * into free buffers and write its requests after req_prod_pvt; the caller pushes.
 * Returns the number of slots written, or -ENOSPC (no room: nothing written) or
 * -EINVAL (bad length).
 */
int netif_tx_put(struct netif_txq *q, const struct xenolith_net_frag *frags, unsigned int nfrags,
                 size_t len, const struct netif_tx_meta *meta);

/* What netif_tx_reap found. */
struct netif_tx_reaped {
    unsigned int slots;  /* responses consumed */
    unsigned int frames; /* first slots among them */
    unsigned int errors; /* first slots the backend reported as not sent */
};

/*
 * Consume every response the backend has published, freeing their buffers. Each must
 * name a data request in flight (and each extra slot get a NETIF_RSP_NULL). Returns 0,
 * or -EPROTO when the backend broke the protocol (q->error says how); a broken ring
 * stays broken and nothing in it may be trusted again.
 */
int netif_tx_reap(struct netif_txq *q, struct netif_tx_reaped *out);

/* Requests written and not yet answered. */
unsigned int netif_tx_in_flight(const struct netif_txq *q);

#endif
