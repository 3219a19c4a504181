/*
 * One lwIP netif per network device of <xenolith/net.h>.
 *
 * Receive: the driver copies each frame off its rx pages straight into a pbuf we
 * give it (netdev_rx_buf) and calls us in its queue thread; we hand the pbuf to the
 * tcpip thread (tcpip_input). Transmit: lwIP's pbuf
 * chain goes to xenolith_net_tx as fragments (the driver copies them into granted pages).
 *
 * Checksums. When the device takes XENOLITH_NET_F_CSUM and XENOLITH_NET_F_CSUM6, lwIP leaves TCP
 * checksums to us and we send TCP frames with csum_blank, the checksum field holding the
 * pseudo-header sum (what Xen's netback and Linux's CHECKSUM_PARTIAL expect); UDP
 * and ICMP are summed by lwIP (UDP may be fragmented, which offload cannot do).
 * lwIP never checks TCP checksums on these netifs: we do it here, per frame,
 * unless the backend says it did (XENOLITH_NET_RX_CSUM_VALID) or the checksum was never
 * filled in (XENOLITH_NET_RX_CSUM_BLANK: a local peer, or a GSO frame); blank UDP
 * checksums, which lwIP does check, are completed here.
 *
 * Segmentation offload: lwIP makes segments of at most the peer's MSS. While one
 * tcp_output call runs (our tcp_output below wraps lwIP's), consecutive segments of
 * one flow are held and joined (net/tcp_merge.c) into one frame that the backend cuts
 * again (XENOLITH_NET_F_TSO4/6): a bulk send costs one ring request per 64 KiB, not
 * per 1460 bytes. What is held goes out when the call ends or when any other frame
 * comes for the device, so the order on the wire stays lwIP's. Large received frames
 * (XENOLITH_NET_F_RX_GSO) are fine as they are.
 */
#include "core/kernel.h"
#include "net/frame.h"
#include "net/netstack.h"
#include "net/tcp_merge.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
#include <stdlib.h>
#include <string.h>

#define MAX_TX_FRAGS   32
#define HDR_PEEK       128 /* Ethernet + IPv6 with extension headers + TCP */
#define MAX_HELD_SEGS  64  /* segments joined into one frame, at most */
#define MAX_JOIN_FRAGS (1 + 2 * MAX_HELD_SEGS)
#define RX_SLOTS       16 /* pbufs handed to the driver, one per receiving queue */

struct netdev {
    struct netdev *next; /* every device ever attached: a netdev is never freed */
    struct netif netif;
    int added; /* in lwIP's list */
    struct xenolith_net_dev *dev;
    uint32_t features;
    int tcp_csum_offload; /* lwIP leaves TCP checksums (IPv4 and IPv6) to the device */
    unsigned int queues;
    uint64_t rx_dropped, rx_bad_csum, tx_errors;
    struct pbuf *rx_given[RX_SLOTS]; /* by queue: the pbuf the driver is copying a frame into */
    /* Segments held for joining (all under the core lock, like the rest of lwIP). */
    struct tcp_merge merge;
    struct pbuf *held[MAX_HELD_SEGS];
    unsigned int nheld, held_queue;
    unsigned int held_pbufs; /* in the held chains: bounds the joined frame's fragments */
    struct netdev *next_held;
};

static struct netdev *netdevs;        /* under the core lock */
static struct netdev *held_devs;      /* devices holding segments */
static unsigned int tcp_output_depth; /* inside tcp_output: segments may be held */

static struct netdev *netdev_of(struct netif *n)
{
    return n->state;
}

static struct netdev *netdev_of_dev(struct xenolith_net_dev *d)
{
    struct netdev *nd = netdevs;
    while (nd && nd->dev != d)
        nd = nd->next;
    return nd;
}

/* ---- receive ---- */

/* A TCP checksum over the frame, or a blank one completed. 0 if the frame may go on. */
static int rx_checksum(uint8_t *frame, size_t len, unsigned int flags, struct netdev *nd)
{
    struct frame_l4 l4;
    if (flags & XENOLITH_NET_RX_CSUM_VALID && !(flags & XENOLITH_NET_RX_CSUM_BLANK))
        return 0;
    if (frame_parse_l4(frame, len, len, &l4) < 0 || !l4.csum_offset)
        return 0; /* not TCP/UDP: lwIP checks the rest */
    if (l4.fragment)
        return l4.proto == 6 ? -1 : 0; /* lwIP checks UDP after reassembly */
    if (l4.l4_len < (uint32_t)l4.csum_offset + 2u || l4.l4_offset + l4.l4_len > len)
        return -1;
    uint8_t *seg = frame + l4.l4_offset;
    if (flags & XENOLITH_NET_RX_CSUM_BLANK) {
        if (l4.proto == 6)
            return 0; /* lwIP does not look at TCP checksums here */
        /* UDP, which lwIP checks: the field holds the pseudo-header sum; finish it. */
        uint16_t c = (uint16_t)~csum_fold(csum_partial(0, seg, l4.l4_len));
        if (l4.proto == 17 && c == 0)
            c = 0xffff;
        memcpy(seg + l4.csum_offset, &c, 2);
        return 0;
    }
    if (l4.proto != 6)
        return 0; /* UDP: lwIP checks */
    uint32_t sum = csum_partial(l4.pseudo, seg, l4.l4_len);
    return csum_fold(sum) == 0xffff ? 0 : -1;
}

/* The driver's next frame goes into a pbuf of ours (its queue thread alone uses the slot). */
static void *netdev_rx_buf(struct xenolith_net_dev *d, unsigned int queue, size_t len, void *arg)
{
    struct netdev *nd = arg;
    if (!nd)
        return NULL; /* being detached */
    struct pbuf **slot = &nd->rx_given[queue % RX_SLOTS];
    if (*slot || len < FRAME_ETH_HLEN || len > 0xffff)
        return NULL;
    *slot = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
    return *slot ? (*slot)->payload : NULL;
}

static void netdev_rx(struct xenolith_net_dev *d, unsigned int queue, const void *data, size_t len,
                      unsigned int flags, void *arg)
{
    struct netdev *nd = arg;
    struct pbuf **slot = &nd->rx_given[queue % RX_SLOTS];
    struct pbuf *p = *slot;
    *slot = NULL;
    if (p && (p->payload != data || p->tot_len != len)) {
        pbuf_free(p); /* not the frame it was given for: never expected */
        p = NULL;
    }
    if (len < FRAME_ETH_HLEN || len > 0xffff) {
        nd->rx_dropped++;
        if (p)
            pbuf_free(p);
        return;
    }
    if (!p) { /* the driver used its own buffer */
        p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
        if (!p) {
            nd->rx_dropped++;
            return;
        }
        memcpy(p->payload, data, len);
    }
    if (rx_checksum(p->payload, len, flags, nd) < 0) {
        nd->rx_bad_csum++;
        pbuf_free(p);
        return;
    }
    if (nd->netif.input(p, &nd->netif) != ERR_OK) {
        nd->rx_dropped++;
        pbuf_free(p);
    }
}

/* ---- transmit ---- */

/* Spread flows over the queues, one flow always on the same queue. */
static unsigned int tx_queue(struct netdev *nd, const uint8_t *hdr, size_t hdr_len,
                             const struct frame_l4 *l4)
{
    if (nd->queues <= 1 || !l4 || l4->l4_offset + 4u > hdr_len)
        return 0;
    uint32_t ports;
    memcpy(&ports, hdr + l4->l4_offset, 4);
    uint32_t h = (ports ^ l4->addr_sum ^ l4->proto) * 0x9e3779b1u;
    return (h >> 16) % nd->queues;
}

/* One frame as lwIP made it; hdr holds its first hdr_len bytes, parsed into *l4 if have_l4. */
static err_t send_frame(struct netdev *nd, struct pbuf *p, const uint8_t *hdr, size_t hdr_len,
                        int have_l4, struct frame_l4 *l4p)
{
    struct xenolith_net_frag frags[MAX_TX_FRAGS];
    unsigned int nfrags = 0;
    void *flat = NULL;
    struct frame_l4 l4 = have_l4 ? *l4p : (struct frame_l4){0};

    struct xenolith_net_tx_offload off = {0};
    if (have_l4 && l4.proto == 6 && l4.csum_offset && nd->tcp_csum_offload) {
        /* lwIP left the TCP checksum zero for us. */
        if (l4.fragment) { /* lwIP's segments fit the MTU: never happens */
            nd->tx_errors++;
            return ERR_IF;
        }
        u16_t at = (u16_t)(l4.l4_offset + l4.csum_offset);
        off.csum_blank = 1;
        off.csum_start = l4.l4_offset;
        off.csum_offset = l4.csum_offset;
        pbuf_put_at(p, at, (u8_t)l4.pseudo);
        pbuf_put_at(p, (u16_t)(at + 1), (u8_t)(l4.pseudo >> 8));
    }

    for (struct pbuf *q = p; q; q = q->next) {
        if (!q->len)
            continue;
        if (nfrags == MAX_TX_FRAGS) {
            flat = malloc(p->tot_len);
            if (!flat) {
                nd->tx_errors++;
                return ERR_MEM;
            }
            pbuf_copy_partial(p, flat, p->tot_len, 0);
            frags[0].data = flat;
            frags[0].len = p->tot_len;
            nfrags = 1;
            break;
        }
        frags[nfrags].data = q->payload;
        frags[nfrags].len = q->len;
        nfrags++;
    }

    int rc = xenolith_net_tx(nd->dev, tx_queue(nd, hdr, hdr_len, have_l4 ? &l4 : NULL), frags,
                             nfrags, &off);
    free(flat);
    if (rc < 0) {
        nd->tx_errors++;
        return rc == -EMSGSIZE ? ERR_BUF : ERR_IF;
    }
    return ERR_OK;
}

static void release_held(struct netdev *nd)
{
    for (unsigned int i = 0; i < nd->nheld; i++)
        pbuf_free(nd->held[i]);
    nd->nheld = 0;
    nd->held_pbufs = 0;
}

/* The held segments as one frame for the backend to cut (or the one segment as it was). */
static void send_held(struct netdev *nd)
{
    /* Under the core lock: one caller at a time, and too large for a thread's stack. */
    static struct xenolith_net_frag frags[MAX_JOIN_FRAGS];
    struct tcp_merge *m = &nd->merge;

    if (nd->nheld == 1) {
        struct frame_l4 l4;
        int have_l4 = frame_parse_l4(m->hdr, m->hdr_len, nd->held[0]->tot_len, &l4) == 0;
        send_frame(nd, nd->held[0], m->hdr, m->hdr_len, have_l4, &l4);
        release_held(nd);
        return;
    }

    tcp_merge_finish(m);
    unsigned int nfrags = 0;
    frags[nfrags++] = (struct xenolith_net_frag){m->hdr, m->hdr_len};
    for (unsigned int i = 0; i < nd->nheld; i++) {
        size_t skip = m->hdr_len; /* each segment's own headers */
        for (struct pbuf *q = nd->held[i]; q; q = q->next) {
            if (q->len <= skip) {
                skip -= q->len;
                continue;
            }
            /* hold() kept the pbufs to at most MAX_JOIN_FRAGS - 1 */
            frags[nfrags++] =
                (struct xenolith_net_frag){(const uint8_t *)q->payload + skip, q->len - skip};
            skip = 0;
        }
    }
    struct xenolith_net_tx_offload off = {
        .csum_blank = 1,
        .csum_start = (uint16_t)(FRAME_ETH_HLEN + (m->ipv6 ? 40u : 20u)),
        .csum_offset = 16,
        .gso_type = m->ipv6 ? XENOLITH_NET_GSO_TCPV6 : XENOLITH_NET_GSO_TCPV4,
        .gso_size = m->max_seg,
    };
    if (xenolith_net_tx(nd->dev, nd->held_queue, frags, nfrags, &off) < 0)
        nd->tx_errors++; /* lwIP counts these segments sent: TCP retransmits them */
    release_held(nd);
}

static void send_all_held(void)
{
    while (held_devs) {
        struct netdev *nd = held_devs;
        held_devs = nd->next_held;
        send_held(nd);
    }
}

/* Hold p as the first of a new join, or as the next segment of the current one. */
static void hold(struct netdev *nd, struct pbuf *p)
{
    if (nd->nheld == 0) {
        nd->next_held = held_devs;
        held_devs = nd;
    }
    pbuf_ref(p);
    nd->held[nd->nheld++] = p;
    nd->held_pbufs += pbuf_clen(p);
}

/* Send what nd holds now, ahead of a frame that does not join it. */
static void send_held_first(struct netdev *nd)
{
    if (!nd->nheld)
        return;
    for (struct netdev **pp = &held_devs; *pp; pp = &(*pp)->next_held) {
        if (*pp == nd) {
            *pp = nd->next_held;
            break;
        }
    }
    send_held(nd);
}

static int can_join(const struct netdev *nd, const struct frame_l4 *l4)
{
    uint32_t tso = l4->ipv6 ? XENOLITH_NET_F_TSO6 : XENOLITH_NET_F_TSO4;
    return tcp_output_depth && nd->tcp_csum_offload && (nd->features & tso);
}

static err_t netdev_linkoutput(struct netif *n, struct pbuf *p)
{
    struct netdev *nd = netdev_of(n);
    uint8_t hdr[HDR_PEEK];
    size_t hdr_len = pbuf_copy_partial(p, hdr, sizeof(hdr), 0);
    struct frame_l4 l4;
    int have_l4 = frame_parse_l4(hdr, hdr_len, p->tot_len, &l4) == 0;

    size_t seg_hdr =
        have_l4 && can_join(nd, &l4) ? tcp_merge_candidate(hdr, hdr_len, p->tot_len, &l4) : 0;
    if (seg_hdr && nd->nheld && nd->nheld < MAX_HELD_SEGS &&
        nd->held_pbufs + pbuf_clen(p) < MAX_JOIN_FRAGS &&
        tcp_merge_fits(&nd->merge, hdr, seg_hdr, p->tot_len)) {
        tcp_merge_add(&nd->merge, hdr, p->tot_len);
        hold(nd, p);
        return ERR_OK;
    }
    send_held_first(nd);
    if (seg_hdr) {
        tcp_merge_start(&nd->merge, hdr, seg_hdr, p->tot_len);
        nd->held_queue = tx_queue(nd, hdr, hdr_len, &l4);
        hold(nd, p);
        return ERR_OK;
    }
    return send_frame(nd, p, hdr, hdr_len, have_l4, &l4);
}

/*
 * lwIP's tcp_output, renamed in the Makefile when tcp_out.c is compiled, sends what
 * the window allows from a connection's queue; every other caller in lwIP comes
 * through here. What it handed the netifs is joined and sent when it returns.
 */
err_t lwip_tcp_output_segments(struct tcp_pcb *pcb);

err_t tcp_output(struct tcp_pcb *pcb)
{
    tcp_output_depth++;
    err_t err = lwip_tcp_output_segments(pcb);
    if (--tcp_output_depth == 0)
        send_all_held();
    return err;
}

/* ---- set-up ---- */

static err_t netdev_netif_init(struct netif *n)
{
    struct netdev *nd = netdev_of(n);
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->hwaddr_len = ETH_HWADDR_LEN;
    xenolith_net_dev_mac(nd->dev, n->hwaddr);
    unsigned int mtu = xenolith_net_dev_mtu(nd->dev);
    n->mtu = (u16_t)(mtu > 65535 ? 65535 : mtu);
#if LWIP_IPV6
    n->mtu6 = n->mtu;
#endif
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
               NETIF_FLAG_MLD6;
    n->output = etharp_output;
    n->output_ip6 = ethip6_output;
    n->linkoutput = netdev_linkoutput;
    netif_set_hostname(n, "xenolith");

    u16_t csum = NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_CHECK_TCP;
    if (nd->tcp_csum_offload)
        csum &= ~NETIF_CHECKSUM_GEN_TCP;
    NETIF_SET_CHECKSUM_CTRL(n, csum);
    return ERR_OK;
}

/* The link went down and up again: lwIP sends a gratuitous ARP and IPv6 reports then. */
static void announce(void *arg)
{
    struct netdev *nd = arg;
    netif_set_link_down(&nd->netif);
    netif_set_link_up(&nd->netif);
    printk("net: %s: addresses announced again after the move\n", xenolith_net_dev_name(nd->dev));
}

static void netdev_moved(struct xenolith_net_dev *d, void *arg)
{
    if (tcpip_callback(announce, arg) != ERR_OK)
        printk("net: %s: could not announce the addresses after the move\n",
               xenolith_net_dev_name(d));
}

struct netif *netdev_attach(struct xenolith_net_dev *d, const ip4_addr_t *ip,
                            const ip4_addr_t *mask, const ip4_addr_t *gw)
{
    /* Kept across a detach: a late frame or callback may still hold it. */
    struct netdev *nd = netdev_of_dev(d);
    if (nd && nd->added)
        return &nd->netif;
    if (!nd && (nd = calloc(1, sizeof(*nd)))) {
        nd->dev = d;
        nd->next = netdevs;
        netdevs = nd;
    }
    if (!nd)
        return NULL;
    memset(&nd->netif, 0, sizeof(nd->netif));
    nd->features = xenolith_net_dev_features(d);
    /* lwIP's switch covers both IP versions: offload only when both can be. */
    nd->tcp_csum_offload = (nd->features & (XENOLITH_NET_F_CSUM | XENOLITH_NET_F_CSUM6)) ==
                           (XENOLITH_NET_F_CSUM | XENOLITH_NET_F_CSUM6);
    nd->queues = xenolith_net_dev_queues(d);
    if (!netif_add(&nd->netif, ip, mask, gw, nd, netdev_netif_init, tcpip_input))
        return NULL;
    nd->added = 1;
    xenolith_net_dev_set_rx_buf(d, netdev_rx_buf);
    xenolith_net_dev_set_rx(d, netdev_rx, nd);
    xenolith_net_dev_set_link(d, netdev_moved, nd);
    netif_set_up(&nd->netif);
    netif_set_link_up(&nd->netif);
    netif_create_ip6_linklocal_address(&nd->netif, 1);
    netif_set_ip6_autoconfig_enabled(&nd->netif, 1);
    return &nd->netif;
}

struct netif *netdev_find(struct xenolith_net_dev *d)
{
    struct netdev *nd = netdev_of_dev(d);
    return nd && nd->added ? &nd->netif : NULL;
}

void netdev_detach(struct xenolith_net_dev *d)
{
    struct netdev *nd = netdev_of_dev(d);
    if (!nd || !nd->added)
        return;
    xenolith_net_dev_set_rx(d, NULL, NULL);
    xenolith_net_dev_set_rx_buf(d, NULL);
    if (netif_dhcp_data(&nd->netif)) {
        dhcp_stop(&nd->netif);
        dhcp_cleanup(&nd->netif);
    }
    netif_set_link_down(&nd->netif);
    netif_remove(&nd->netif);
    nd->added = 0;
}

const char *netdev_describe(struct netif *n, char *buf, size_t size)
{
    struct netdev *nd = netdev_of(n);
    uint32_t tso =
        nd->tcp_csum_offload ? nd->features & (XENOLITH_NET_F_TSO4 | XENOLITH_NET_F_TSO6) : 0;
    ksnprintf(buf, size, "%s, mtu %u, %u queue%s, tcp checksum %s, segmentation %s",
              xenolith_net_dev_name(nd->dev), n->mtu, nd->queues, nd->queues == 1 ? "" : "s",
              nd->tcp_csum_offload ? "offloaded" : "in software",
              tso == (XENOLITH_NET_F_TSO4 | XENOLITH_NET_F_TSO6) ? "offloaded"
              : tso == XENOLITH_NET_F_TSO4                       ? "offloaded for IPv4"
              : tso == XENOLITH_NET_F_TSO6                       ? "offloaded for IPv6"
                                                                 : "in lwIP");
    return buf;
}
