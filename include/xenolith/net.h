/*
 * Raw Ethernet frames on the domain's PV network interfaces (one per `vif` in
 * the xl config). The TCP/IP stack (lwIP, <sys/socket.h>) sits on top of this;
 * applications may use it directly too.
 *
 * Devices are found and connected on first use (xenolith_net_dev_count()), so an app that
 * never touches the network pays nothing for it.
 */
#ifndef XENOLITH_NET_H
#define XENOLITH_NET_H

#include <stddef.h>
#include <stdint.h>

struct xenolith_net_dev;

/* Offloads the backend agreed to (xenolith_net_dev_features). */
#define XENOLITH_NET_F_CSUM                                                                        \
    (1u << 0) /* tx frames may leave the L4 checksum blank (TCP/UDP over IPv4) */
#define XENOLITH_NET_F_SG    (1u << 1) /* tx frames may span several pages */
#define XENOLITH_NET_F_TSO4  (1u << 2) /* TCP segmentation offload, IPv4 */
#define XENOLITH_NET_F_TSO6  (1u << 3) /* TCP segmentation offload, IPv6 */
#define XENOLITH_NET_F_CSUM6 (1u << 4) /* as XENOLITH_NET_F_CSUM, for TCP/UDP over IPv6 */
#define XENOLITH_NET_F_RX_GSO                                                                      \
    (1u << 5) /* received TCP frames may exceed the MTU (see xenolith_net_rx_fn) */

/*
 * Number of device slots; the first call finds and connects the vifs the domain
 * has and starts watching for more. A slot, once given, stays: a detached device
 * keeps its slot (xenolith_net_dev_connected says 0) and gets it back when attached again.
 */
int xenolith_net_dev_count(void);

/* Device `index` (0 .. count-1: the boot's vifs in devid order, then hot-attached ones). */
struct xenolith_net_dev *xenolith_net_dev_get(int index);

/* Its slot (what xenolith_net_dev_get takes), or -1. */
int xenolith_net_dev_index(struct xenolith_net_dev *d);

/*
 * Devices that come and go while the domain runs (xl network-attach / -detach):
 * fn(d, 1, arg) once a vif attached after the start is connected; fn(d, 0, arg)
 * once a detached one is released (the backend went to Closing, we followed it to
 * Closed: from the detach on, xenolith_net_tx says -ENETDOWN, frames in flight are dropped;
 * then every grant was ended and page freed). The struct xenolith_net_dev stays valid:
 * attaching the same devid again brings it back in the same slot (fn(d, 1) again);
 * its rx handler stays set, its counters start again from 0. A device disconnected
 * for a protocol error is reported as detached too. Runs in the net hotplug thread,
 * one call at a time, every handler in the order registered. 0 or -ENOMEM.
 */
typedef void (*xenolith_net_hotplug_fn)(struct xenolith_net_dev *d, int attached, void *arg);
int xenolith_net_on_hotplug(xenolith_net_hotplug_fn fn, void *arg);

/* What the device is: its name, devid, MAC, MTU, queues and offloads. */
struct xenolith_net_info {
    char name[16];       /* "vif0" */
    uint32_t devid;      /* the vif's devid: 0 for vif0 */
    uint8_t mac[6];      /* the MAC the toolstack gave it */
    unsigned int mtu;    /* bytes of IP per frame (without GSO) */
    unsigned int queues; /* rings in use (one per VCPU, up to the backend's maximum) */
    uint32_t features;   /* XENOLITH_NET_F_* */
};

void xenolith_net_dev_info(struct xenolith_net_dev *d, struct xenolith_net_info *info);

/* Single fields of xenolith_net_info. */
const char *xenolith_net_dev_name(struct xenolith_net_dev *d); /* "vif0", ... */
unsigned int xenolith_net_dev_id(struct xenolith_net_dev *d);  /* the vif's devid: 0 for vif0 */
void xenolith_net_dev_mac(struct xenolith_net_dev *d, uint8_t mac[6]);
unsigned int xenolith_net_dev_mtu(struct xenolith_net_dev *d);
unsigned int xenolith_net_dev_queues(struct xenolith_net_dev *d);
uint32_t xenolith_net_dev_features(struct xenolith_net_dev *d);

/*
 * The address the toolstack gave the vif (xl's `ip=`, the backend's "ip" node),
 * as written there ("" if none): the sockets layer uses its first word when the
 * command line names no address for the device.
 */
const char *xenolith_net_dev_config_ip(struct xenolith_net_dev *d);

/* One piece of a frame to send. */
struct xenolith_net_frag {
    const void *data;
    size_t len;
};

/*
 * What the sender leaves to the backend. All zero: a complete, checksummed frame.
 * With csum_blank, the L4 checksum field must hold the checksum of the pseudo-header
 * only (not inverted), as for Linux's CHECKSUM_PARTIAL: the backend or the receiver
 * sums from csum_start to the end of the frame on top of it. Xen's protocol carries no
 * offsets: the backend finds the TCP/UDP header itself, so csum_start/csum_offset are
 * only checked to lie inside the frame. Segmentation offload (gso_type) needs
 * csum_blank too; the frame is one TCP segment of up to 65535 bytes that the backend
 * cuts into gso_size-byte payloads.
 */
struct xenolith_net_tx_offload {
    uint16_t csum_start;  /* csum_blank: checksum from this offset ... */
    uint16_t csum_offset; /* ... stored at csum_start + csum_offset */
    uint8_t csum_blank;   /* the L4 checksum is to be filled in (XENOLITH_NET_F_CSUM / _CSUM6) */
    uint8_t gso_type;     /* 0, or XENOLITH_NET_GSO_TCPV4 / XENOLITH_NET_GSO_TCPV6 (needs
                             XENOLITH_NET_F_TSO4/6) */
    uint16_t gso_size;    /* MSS for segmentation offload */
};

#define XENOLITH_NET_GSO_TCPV4 1
#define XENOLITH_NET_GSO_TCPV6 2

/*
 * Send one frame made of nfrags pieces on `queue` (taken modulo the number of
 * queues). The bytes are copied into pages the driver owns and has granted to
 * the backend, so the caller's buffers are free again on return. Blocks while the
 * ring is full (thread context only). Returns 0, -EMSGSIZE (too long for the
 * device and its offloads: the MTU plus an Ethernet and VLAN header, or 65535
 * bytes with segmentation offload), -EINVAL (shorter than an Ethernet header, or a
 * bad offload request) or -ENETDOWN (device disconnected).
 */
int xenolith_net_tx(struct xenolith_net_dev *d, unsigned int queue,
                    const struct xenolith_net_frag *frags, unsigned int nfrags,
                    const struct xenolith_net_tx_offload *off);

/* Flags of a received frame. */
#define XENOLITH_NET_RX_CSUM_VALID (1u << 0) /* the backend checked the L4 checksum */
#define XENOLITH_NET_RX_CSUM_BLANK                                                                 \
    (1u << 1) /* the L4 checksum was never filled in (local peer)                                  \
               */

/*
 * Called for every received frame, in the receiving queue's thread. `data` is
 * valid only during the call (copy what you keep). It is the driver's own copy,
 * taken off the rx pages before the call: the backend, which can still write
 * those pages, cannot change a byte of it under the handler. One handler per device.
 * Frames wait in the ring until a handler is set. With XENOLITH_NET_RX_CSUM_BLANK the L4
 * checksum field holds only the pseudo-header sum: do not verify it. With
 * XENOLITH_NET_F_RX_GSO a TCP frame may be up to 65535 bytes of IP (several MTU-sized
 * segments the backend kept together); its checksum is then blank.
 */
typedef void (*xenolith_net_rx_fn)(struct xenolith_net_dev *d, unsigned int queue, const void *data,
                                   size_t len, unsigned int flags, void *arg);

/* Set (once, before traffic matters) the handler; it may call xenolith_net_tx on any queue. */
void xenolith_net_dev_set_rx(struct xenolith_net_dev *d, xenolith_net_rx_fn fn, void *arg);

/*
 * Optional, to save a copy: where the next frame goes. Called in the receiving queue's
 * thread just before the handler, with the handler's arg and the frame's length; it
 * returns len bytes the handler owns (or NULL: the driver's own buffer, as without it).
 * The frame is copied there off the rx pages and the handler gets that buffer as `data`.
 * Set it before xenolith_net_dev_set_rx.
 */
typedef void *(*xenolith_net_rx_buf_fn)(struct xenolith_net_dev *d, unsigned int queue, size_t len,
                                        void *arg);
void xenolith_net_dev_set_rx_buf(struct xenolith_net_dev *d, xenolith_net_rx_buf_fn fn);

/*
 * fn(d, arg) runs when the device is back after the domain moved (a resume in a new
 * domain: restore or migration, perhaps to another host), in a thread of its own:
 * the moment to announce our addresses again (gratuitous ARP, unsolicited neighbour
 * advertisement) so the bridge finds the guest at once. The sockets layer does it.
 */
void xenolith_net_dev_set_link(struct xenolith_net_dev *d,
                               void (*fn)(struct xenolith_net_dev *d, void *arg), void *arg);

/* Counters for tests and benchmarks. */
struct xenolith_net_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
    uint64_t rx_dropped, tx_errors, notifications_sent, interrupts;
    uint64_t tx_gso_frames; /* frames sent for the backend to segment (XENOLITH_NET_F_TSO4/6) */
    uint64_t rx_gso_frames; /* frames received with GSO extra info: beyond the MTU
                               (XENOLITH_NET_F_RX_GSO) */
    uint64_t rx_direct;     /* frames copied straight into the handler's buffers
                               (xenolith_net_dev_set_rx_buf) */
};

/*
 * One queue's counters; queue XENOLITH_NET_STATS_ALL (or any queue >= the count) sums them.
 * They count the current connection (after a detach: the last one's, until the
 * device is attached again).
 */
#define XENOLITH_NET_STATS_ALL (~0u)
void xenolith_net_dev_stats(struct xenolith_net_dev *d, unsigned int queue,
                            struct xenolith_net_stats *st);

/* 1 while the device is connected; 0 once detached or disconnected after a backend error. */
int xenolith_net_dev_connected(struct xenolith_net_dev *d);

#endif
