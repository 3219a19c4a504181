/*
 * What a PV frontend's (re)connect uses, decided without hypercalls: how many
 * queues, what ring order, which VCPU each queue lives on. The first connect
 * and the reconnect after a restore or migration ask the same questions; the
 * answers differ when the new backend offers less (or more) than the old one.
 * Host tested by tests/unit/test_frontend_layout.c.
 */
#ifndef XENOLITH_FRONTEND_LAYOUT_H
#define XENOLITH_FRONTEND_LAYOUT_H

/*
 * Queues to use: `want` (0 counts as 1), no more than the backend offers
 * (`offer`, already read and checked) nor than there is `room` for; at least 1.
 */
unsigned int frontend_layout_queues(unsigned int want, unsigned long offer, unsigned int room);

/* Ring order (log2 of pages): the backend's `offer`, no more than `ours`, nor `wish` if >= 0. */
unsigned int frontend_layout_order(unsigned long offer, unsigned int ours, int wish);

/*
 * The VCPU for queue `index`: the VCPU of that number when it is online,
 * else one of the online ones, spread by index (online(id, arg) says whether
 * VCPU id is, for ids below ncpus). -1 when none is (the caller's fallback).
 */
int frontend_layout_cpu(unsigned int index, unsigned int ncpus, int (*online)(int id, void *arg),
                        void *arg);

/*
 * Where what waits on queue `index` goes when the device has `nqueues` queues
 * from now on: the queue itself while it stays, else one of those left.
 */
unsigned int frontend_layout_target(unsigned int index, unsigned int nqueues);

#endif
