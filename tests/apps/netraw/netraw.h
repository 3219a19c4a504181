/* netraw test app: what its files share (see netraw.c). */
#ifndef NETRAW_H
#define NETRAW_H

#include <stddef.h>
#include <stdint.h>
#include <xenolith/net.h>

#define MAX_IFACES 8
#define MAX_QUEUES 16
#define FRAME_MAX  (65536 + 64)

struct iface {
    struct xenolith_net_dev *d;
    int index;
    uint8_t mac[6];
    uint8_t ip[4];
    uint8_t ll6[16]; /* fe80::/64 from the MAC (EUI-64) */
    uint32_t features;
    unsigned int nq;
    uint8_t *scratch[MAX_QUEUES]; /* per queue: the reply being built */
    uint64_t rxq[MAX_QUEUES];     /* frames seen per queue */
    uint64_t arp, icmp, udp, ns, icmp6, tcp, other, tx_fail;
};

/* Internet checksum pieces. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Send a frame from one buffer; counts failures. */
int iface_send(struct iface *f, unsigned int queue, const void *frame, size_t len,
               const struct xenolith_net_tx_offload *off);

/* tcp.c: a minimal TCP peer for the offload tests. */
int tcp_handle(struct iface *f, unsigned int queue, const uint8_t *frame, size_t len,
               unsigned int flags);
int tcp_send_test(struct iface *f, const uint8_t peer_ip[4], uint16_t port, size_t bytes);
int tcp_recv_test(struct iface *f, uint16_t port, size_t bytes);
void arp_learn(const uint8_t ip[4], const uint8_t mac[6]);
int arp_resolve(struct iface *f, const uint8_t ip[4], uint8_t mac[6]);

/* disk.c: disk traffic alongside (--disk=DEV). */
int disk_start(const char *name);
void disk_report(void);

#endif
