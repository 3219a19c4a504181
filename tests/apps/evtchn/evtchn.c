/*
 * Event channel loopback inside the domain: an unbound port for ourselves, bound
 * back with bind_interdomain, and 20,000 send -> handler round trips counted.
 * Run under both ABIs (xenolith.evtchn=2level for the second run).
 */
#include <stdio.h>
#include <xenolith/xenstore.h>
#include "core/sched.h"
#include "core/time.h"
#include "drivers/xen/evtchn.h"

#define ROUNDS 20000

static volatile uint64_t received;
static struct waitq got = WAITQ_INIT(got);

static void on_event(evtchn_port_t port, void *arg)
{
    received++;
    waitq_wake_all(&got);
}

static void on_other_end(evtchn_port_t port, void *arg)
{
}

int main(void)
{
    int domid = xenolith_xs_domid();
    evtchn_port_t a, b;
    if (domid < 0 || evtchn_alloc_unbound((domid_t)domid, on_event, NULL, &a) < 0 ||
        evtchn_bind_interdomain((domid_t)domid, a, on_other_end, NULL, &b) < 0) {
        printf("evtchn-test: cannot set up the loopback\n");
        return 1;
    }
    printf("evtchn-test: ABI %s, ports %u <-> %u\n", evtchn_abi_name(), a, b);
    uint64_t t0 = xenolith_time_now_ns();
    for (uint64_t i = 1; i <= ROUNDS; i++) {
        /* The upcall lands synchronously, so this loop never blocks: let Xen run the
         * other domains now and then (one emulated CPU is all they share). */
        if (i % 1000 == 0)
            xenolith_thread_sleep_ns(1000000);
        evtchn_send(b);
        if (wait_event_timeout(&got, received >= i, 5000000000ULL) < 0) {
            printf("evtchn-test: event %lu never arrived\n", (unsigned long)i);
            return 1;
        }
    }
    uint64_t ns = xenolith_time_now_ns() - t0;
    printf("evtchn-test: %lu of %d events received, %lu ns per round trip\n",
           (unsigned long)received, ROUNDS, (unsigned long)(ns / ROUNDS));
    evtchn_close(b);
    evtchn_close(a);
    if (received != ROUNDS)
        return 1;
    printf("evtchn-test: all ok\n");
    return 0;
}
