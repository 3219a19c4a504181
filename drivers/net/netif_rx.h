/*
 * One netfront receive ring, without hypercalls: a pool of pages granted to the
 * backend once is posted into the ring and reposted as frames are consumed; responses
 * are checked against the slot and buffer we posted before a frame is handed out.
 * Tested on the host (tests/unit/test_netfront_rx.c). No locking: one thread per ring.
 *
 * The backend answers each request in the ring slot it took it from (io/netif.h says
 * so, because extra-info responses overlay the id). We post request id == slot index
 * and insist on getting it back.
 */
#ifndef XENOLITH_NETIF_RX_H
#define XENOLITH_NETIF_RX_H

#include <stddef.h>
#include <stdint.h>
#include "drivers/net/netif_ring.h"

/* The most slots one frame may span (data + extra info), and the data slots alone. */
#define NETIF_RX_MAX_SLOTS 36u
#define NETIF_RX_MAX_SEGS  32u

/* The longest frame accepted with multi-slot (sg) receive. */
#define NETIF_RX_MAX_FRAME (NETIF_MAX_FRAME + NETIF_ETH_VLAN_HLEN)

#define NETIF_RX_NONE 0xffffu /* no buffer posted in a slot */

struct netif_rxq {
    struct netif_rx_front_ring ring;
    unsigned int nbufs; /* buffers 0 .. nbufs-1, one page each */
    void **page;        /* filled in by the driver: the page of buffer i ... */
    grant_ref_t *gref;  /* ... and its grant (writable by the backend) */
    uint16_t *free;     /* stack of buffers not posted */
    unsigned int nfree;
    uint16_t *slot_buf; /* per ring slot: the buffer posted there, or NETIF_RX_NONE */
    RING_IDX seen;      /* responses looked at: > rsp_cons while a frame is incomplete */
    int sg;             /* frames may span several slots (we wrote feature-sg) */
    int gso;            /* GSO extra info may come (we wrote feature-gso-tcpv4/6) */
    size_t max_len;     /* longest frame accepted */
    const char *error;  /* set when the backend broke the protocol: the ring is dead */
    char errbuf[112];
};

struct netif_rx_seg {
    uint16_t buf, offset, len;
};

/* One received frame: where its bytes are, and the buffers to give back. */
struct netif_rx_frame {
    unsigned int nseg;
    struct netif_rx_seg seg[NETIF_RX_MAX_SEGS];
    unsigned int nbuf;
    uint16_t buf[NETIF_RX_MAX_SLOTS];
    size_t len;
    int status;       /* 0, or the NETIF_RSP_* error the backend gave: drop the frame */
    uint16_t flags;   /* the first slot's NETRXF_data_validated / NETRXF_csum_blank */
    uint8_t gso_type; /* XEN_NETIF_GSO_TYPE_* from a GSO extra slot, else NONE */
    uint16_t gso_size;
};

/*
 * Set up a ring on the shared page with nbufs buffers (NETIF_RX_MAX_SLOTS .. 65534).
 * sg and gso say what we told the backend we accept. The driver then fills q->page[]
 * and q->gref[]. 0 or -ENOMEM / -EINVAL.
 */
int netif_rxq_init(struct netif_rxq *q, netif_rx_sring_t *sring, unsigned int nbufs, int sg,
                   int gso);
void netif_rxq_destroy(struct netif_rxq *q);

/* Post every free buffer the ring has room for; the caller pushes. Returns how many. */
unsigned int netif_rx_refill(struct netif_rxq *q);

/*
 * The next complete frame: returns 1 and fills *f (give its buffers back with
 * netif_rx_release), 0 when no complete frame is there yet, or -EPROTO when the
 * backend broke the protocol (q->error says how; the ring is dead).
 */
int netif_rx_next(struct netif_rxq *q, struct netif_rx_frame *f);

/* Give a frame's buffers back for reposting. */
void netif_rx_release(struct netif_rxq *q, const struct netif_rx_frame *f);

/*
 * Before sleeping: ask for an event when a response beyond those seen arrives
 * (rsp_event), then look again. Returns 1 if there is more to do already.
 */
int netif_rx_arm(struct netif_rxq *q);

/* Buffers posted in the ring now. */
unsigned int netif_rx_posted(const struct netif_rxq *q);

#endif
