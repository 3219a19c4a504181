/* The two event channel ABIs behind drivers/xen/evtchn.c. Internal. */
#ifndef XENOLITH_EVTCHN_ABI_H
#define XENOLITH_EVTCHN_ABI_H

#include <stdint.h>
#include <xen/event_channel.h>

struct cpu;

struct evtchn_abi {
    const char *name;
    uint32_t max_ports;
    /* Make port usable (FIFO: grow the event array to cover it). 0 or -errno. */
    int (*setup_port)(evtchn_port_t port);
    int (*init_cpu)(struct cpu *c);
    /* After a resume in a new domain, which has none of our ABI state: the whole
     * domain (resume_domain, boot CPU, first) and each CPU (resume_cpu, on it). */
    int (*resume_domain)(void);
    int (*resume_cpu)(struct cpu *c);
    void (*mask)(evtchn_port_t port);
    /* Clear the mask; returns 1 if the port was pending (Xen must re-deliver it). */
    int (*unmask)(evtchn_port_t port);
    /* Forget a pending event of a masked port (one that is only ever polled). */
    void (*clear_pending)(evtchn_port_t port);
    /*
     * Call dispatch(port) for pending, unmasked events of this VCPU. Returns 1 if
     * it stopped with work left (call again), 0 when it found no more.
     */
    int (*handle_pending)(struct cpu *c, void (*dispatch)(evtchn_port_t port));
    /* For a state dump: a port's pending/masked (and FIFO linked) bits, and this VCPU's
     * queue state, into buf. */
    void (*describe)(struct cpu *c, evtchn_port_t port, char *buf, size_t size);
};

extern const struct evtchn_abi evtchn_abi_2level;
extern const struct evtchn_abi evtchn_abi_fifo;

/* FIFO: 0 if Xen accepted the control block for the boot VCPU, else -errno (use 2-level). */
int evtchn_fifo_probe(struct cpu *boot);

/* Which VCPU a port's handler runs on (dispatch filters on it). */
unsigned int evtchn_port_vcpu(evtchn_port_t port);

#endif
