/*
 * netbad: a backend that breaks the netif protocol, played from inside the guest. The
 * shared rings are memory the backend may write at any time; this app writes them
 * the way a buggy or hostile backend would (reaching into netfront's internals, which
 * only a test may do) and checks that netfront notices, says why, disconnects the
 * device and keeps the domain alive: xenolith_net_tx then fails with -ENETDOWN.
 *
 *   netbad rx-prod | rx-id | rx-size | tx-prod
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/net.h>
#include <xenolith/thread.h>
#include "drivers/net/netfront.h"

const char xenolith_app_name[] = "netbad";

static volatile unsigned long frames;

static void on_frame(struct xenolith_net_dev *d, unsigned int queue, const void *data, size_t len,
                     unsigned int flags, void *arg)
{
    frames++;
}

/* A response in the rx slot the next frame would use, published at once. */
static void fake_rx_response(struct netfront_queue *q, uint16_t id, uint16_t offset, int16_t status)
{
    RING_IDX i = q->rx.ring.rsp_cons;
    netif_rx_response_t *r = RING_GET_RESPONSE(&q->rx.ring, i);
    r->id = id;
    r->offset = offset;
    r->flags = 0;
    r->status = status;
    __atomic_store_n(&q->rx_sring->rsp_prod, i + 1, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (xenolith_net_dev_count() < 1) {
        printf("netbad: FAILED: no network device\n");
        return 1;
    }
    struct xenolith_net_dev *d = xenolith_net_dev_get(0);
    xenolith_net_dev_set_rx(d, on_frame, NULL);
    xenolith_thread_sleep_ns(300ULL * 1000 * 1000);
    struct netfront_queue *q = &d->queues[0];
    unsigned int slot = q->rx.ring.rsp_cons & (RING_SIZE(&q->rx.ring) - 1);
    printf("netbad: breaking the protocol: %s\n", mode);
    fflush(stdout);

    uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5};
    struct xenolith_net_frag fr = {frame, sizeof(frame)};
    if (!strcmp(mode, "rx-prod")) {
        __atomic_store_n(&q->rx_sring->rsp_prod, q->rx.ring.rsp_cons + 1000, __ATOMIC_RELEASE);
        netfront_queue_kick(q);
    } else if (!strcmp(mode, "rx-id")) {
        fake_rx_response(q, (uint16_t)(slot + 7), 0, 60);
        netfront_queue_kick(q);
    } else if (!strcmp(mode, "rx-size")) {
        fake_rx_response(q, (uint16_t)slot, 4000, 200);
        netfront_queue_kick(q);
    } else if (!strcmp(mode, "tx-prod")) {
        __atomic_store_n(&q->tx_sring->rsp_prod, q->tx.ring.rsp_cons + 300, __ATOMIC_RELEASE);
        int rc = xenolith_net_tx(d, 0, &fr, 1, NULL);
        printf("netbad: xenolith_net_tx after the damage: %d\n", rc);
        if (rc != -ENETDOWN)
            return 1;
    } else {
        printf("netbad: FAILED: unknown mode '%s'\n", mode);
        return 1;
    }

    for (int i = 0; i < 100 && __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != NETFRONT_CLOSED; i++)
        xenolith_thread_sleep_ns(100ULL * 1000 * 1000);
    if (xenolith_net_dev_connected(d) ||
        __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) != NETFRONT_CLOSED) {
        printf("netbad: FAILED: the device is still up\n");
        return 1;
    }
    int rc = xenolith_net_tx(d, 0, &fr, 1, NULL);
    printf("netbad: device closed, xenolith_net_tx says %d, %lu frames were delivered\n", rc,
           frames);
    if (rc != -ENETDOWN)
        return 1;
    printf("netbad: ok\n");
    return 0;
}
