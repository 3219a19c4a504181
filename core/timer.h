/*
 * One-shot timers, per CPU. A timer fires on the CPU it was armed on (or, if that
 * CPU went offline first, on the one its timers moved to), in interrupt context,
 * no earlier than its deadline (in xenolith_time_now_ns() nanoseconds).
 */
#ifndef XENOLITH_TIMER_H
#define XENOLITH_TIMER_H

#include <stdint.h>
#include "core/spinlock.h"
#include "core/timer_heap.h"

struct cpu;
struct timer;

typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
    struct timer_heap_node node;
    timer_fn fn;
    void *arg;
    struct cpu *cpu; /* where it is queued, if it is */
};

/* Per-CPU timer state (embedded in struct cpu). */
struct timer_cpu {
    spinlock_t lock;
    struct timer_heap heap;
    uint64_t programmed; /* deadline given to the hypervisor, 0 if none */
    uint64_t fired;
    uint64_t early;     /* timer interrupts that came before the deadline */
    uint64_t moved;     /* timers handed to another CPU when this one went offline */
    int reprogram;      /* timers came from a CPU going offline: program the one-shot */
    uint32_t virq_port; /* VIRQ_TIMER's event channel */
};

void timer_init(struct timer *t, timer_fn fn, void *arg);

/* Arm (or re-arm) t on this CPU for deadline_ns. */
void timer_arm(struct timer *t, uint64_t deadline_ns);

/* Disarm t; harmless if it is not armed. Does not wait for a running callback. */
void timer_cancel(struct timer *t);

/* Set up this CPU's timers (VIRQ_TIMER on Xen). */
int timer_init_cpu(struct cpu *c);
/* Bind the timer interrupt again and reprogram it (resume in a new domain). This CPU. */
int timer_resume_cpu(struct cpu *c);

/*
 * VCPU offline: timer_move_cpu (on the leaving CPU, interrupts off) hands all its
 * armed timers to `to` and kicks it; returns how many. timer_kicked (every kick,
 * on the CPU kicked) programs the one-shot for timers that came that way.
 * timer_rejoin_cpu: this CPU is back, forget the one-shot asked before.
 */
unsigned int timer_move_cpu(struct cpu *to);
void timer_kicked(void);
void timer_rejoin_cpu(void);

/* Run this CPU's expired timers and program the next deadline. */
void timer_poll(void);

/* Print a CPU's timer state (for the stall report). */
void timer_dump_cpu(struct cpu *c);

#endif
