/*
 * Raw Ethernet frames on the domain's PV network interfaces (one per `vif` in
 * the xl config). The TCP/IP stack (lwIP, <sys/socket.h>) sits on top of this;
 * applications may use it directly too.
 *
 * Devices are found and connected on first use (net_dev_count()), so an app that
 * never touches the network pays nothing for it.
 */
#ifndef XENOLITH_NET_H
#define XENOLITH_NET_H

#include <stddef.h>
#include <stdint.h>

struct net_dev;

/* Offloads the backend agreed to (net_dev_features). */
#define NET_F_CSUM (1u << 0) /* tx frames may leave the L4 checksum blank */
#define NET_F_SG   (1u << 1) /* tx frames may span several pages */
#define NET_F_TSO4 (1u << 2) /* TCP segmentation offload, IPv4 */
#define NET_F_TSO6 (1u << 3) /* TCP segmentation offload, IPv6 */

/* Number of connected devices; the first call finds and connects them. */
int net_dev_count(void);

/* Device `index` (0 .. count-1, in vif order), or NULL. */
struct net_dev *net_dev_get(int index);

const char *net_dev_name(struct net_dev *d); /* "vif0", ... */
void net_dev_mac(struct net_dev *d, uint8_t mac[6]);
unsigned int net_dev_mtu(struct net_dev *d);
unsigned int net_dev_queues(struct net_dev *d);
uint32_t net_dev_features(struct net_dev *d);

/* One piece of a frame to send. */
struct net_frag {
    const void *data;
    size_t len;
};

/* What the sender leaves to the backend. All zero: a complete, checksummed frame. */
struct net_tx_offload {
    uint16_t csum_start;  /* csum_blank: checksum from this offset ... */
    uint16_t csum_offset; /* ... stored at csum_start + csum_offset */
    uint8_t csum_blank;   /* the L4 checksum is to be filled in (needs NET_F_CSUM) */
    uint8_t gso_type;     /* 0, or NET_GSO_TCPV4 / NET_GSO_TCPV6 (needs NET_F_TSO4/6) */
    uint16_t gso_size;    /* MSS for segmentation offload */
};

#define NET_GSO_TCPV4 1
#define NET_GSO_TCPV6 2

/*
 * Send one frame made of nfrags pieces on `queue` (taken modulo the number of
 * queues). The bytes are copied into pages the driver owns and has granted to
 * the backend, so the caller's buffers are free again on return. Blocks while the
 * ring is full (thread context only). Returns 0, -EMSGSIZE (too long for the
 * device and its offloads), -EINVAL (bad offload request) or -ENETDOWN.
 */
int net_tx(struct net_dev *d, unsigned int queue, const struct net_frag *frags, unsigned int nfrags,
           const struct net_tx_offload *off);

/* Flags of a received frame. */
#define NET_RX_CSUM_VALID (1u << 0) /* the backend checked the L4 checksum */
#define NET_RX_CSUM_BLANK (1u << 1) /* the L4 checksum was never filled in (local peer) */

/*
 * Called for every received frame, in the receiving queue's thread. `data` is
 * valid only during the call (copy what you keep). One handler per device.
 */
typedef void (*net_rx_fn)(struct net_dev *d, unsigned int queue, const void *data, size_t len,
                          unsigned int flags, void *arg);

void net_dev_set_rx(struct net_dev *d, net_rx_fn fn, void *arg);

/* Counters for tests and benchmarks. */
struct net_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
    uint64_t rx_dropped, tx_errors, notifications_sent, interrupts;
};

void net_dev_stats(struct net_dev *d, unsigned int queue, struct net_stats *st);

#endif
