/*
 * Event channels: binding, masking, sending, and dispatch to handlers on the
 * VCPU a port is bound to. Two ABIs behind one interface: FIFO when Xen offers it
 * (chosen by default), 2-level otherwise or when asked (xenolith.evtchn=2level).
 */
#ifndef XENOLITH_EVTCHN_H
#define XENOLITH_EVTCHN_H

#include <stdint.h>
#include <xen/event_channel.h>
#include "drivers/xen/evtchn_fifo_queue.h"
#include "core/timer.h"

struct cpu;

/* Runs in interrupt context on the port's VCPU, interrupts off: be short, wake threads. */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);

/* Per-CPU event state (embedded in struct cpu). */
struct evtchn_cpu {
    struct evtchn_fifo_queue fifo; /* FIFO ABI: this VCPU's control block and queue heads */
    uint64_t upcalls;              /* upcall interrupts taken */
    uint64_t upcalls_done;         /* and returned from (state dumps) */
    uint64_t events;               /* handlers run */
    uint64_t spurious;             /* events on ports with no handler */
    uint64_t storms;               /* upcalls cut short because events kept coming */
    uint64_t moved;                /* device ports handed on when this VCPU went offline */
    struct timer resume;           /* brings a cut-short upcall back */
};

/* Choose the ABI and set up the boot CPU. 0 or -errno. */
int evtchn_init(void);

/* Set up a VCPU (upcall vector, FIFO control block). Runs on that VCPU. */
int evtchn_init_cpu(struct cpu *c);

/*
 * Resume in a new domain: evtchn_resume (boot CPU, first) forgets every port and
 * sets the ABI up again for the domain; evtchn_resume_cpu (on each CPU, the boot
 * CPU too) does that CPU's part.
 * Every port must then be bound again by whoever owns it.
 */
int evtchn_resume(void);
int evtchn_resume_cpu(struct cpu *c);

/* "FIFO" or "2-level", and the upcall method, for the boot log. */
const char *evtchn_abi_name(void);
const char *evtchn_upcall_name(void);

int evtchn_bind_virq(uint32_t virq, unsigned int vcpu, evtchn_handler_t fn, void *arg,
                     evtchn_port_t *port);
int evtchn_bind_ipi(unsigned int vcpu, evtchn_handler_t fn, void *arg, evtchn_port_t *port);
/* A port for `remote` to bind to, with our handler on VCPU 0. */
int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t fn, void *arg, evtchn_port_t *port);
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_handler_t fn,
                            void *arg, evtchn_port_t *port);
/* A port the toolstack already connected (console, xenstore): attach a handler. */
int evtchn_bind_existing(evtchn_port_t port, evtchn_handler_t fn, void *arg);
/* Deliver this port's events to another VCPU (VCPU 0 if that one is not online). */
int evtchn_bind_vcpu(evtchn_port_t port, unsigned int vcpu);
/* c goes offline (on c, interrupts off): its device ports go to `to`. Returns how many. */
unsigned int evtchn_move_cpu(struct cpu *c, struct cpu *to);
void evtchn_close(evtchn_port_t port);

int evtchn_send(evtchn_port_t port);
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);

/*
 * Run port's handler with the port masked; whoever does the work unmasks it
 * (evtchn_unmask) when done. A backend that signals without pause then costs one
 * handler run per round of work, however fast it sends (Linux calls it late EOI).
 */
void evtchn_mask_on_event(evtchn_port_t port, int on);

/*
 * Ports that are only waited on with SCHEDOP_poll, never delivered (kept masked).
 * evtchn_bind_poll_ipi binds one on `vcpu`; evtchn_poll_clear forgets an event
 * that is pending on it; evtchn_poll blocks the VCPU in Xen until the port is
 * signalled (at once if it already is) or deadline_ns (system time, 0: none).
 */
int evtchn_bind_poll_ipi(unsigned int vcpu, evtchn_port_t *port);
void evtchn_poll_clear(evtchn_port_t port);
void evtchn_poll(evtchn_port_t port, uint64_t deadline_ns);

/* Print a CPU's event state (for the stall report). */
void evtchn_dump_cpu(struct cpu *c);

/* Interrupt entry: run the handlers of every pending event of this VCPU. */
void evtchn_upcall(void);

#endif
