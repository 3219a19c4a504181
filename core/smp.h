/* Which CPUs there are, and how they poke each other. */
#ifndef XENOLITH_SMP_H
#define XENOLITH_SMP_H

#include <stdint.h>

struct cpu;

/* What a CPU handed on when it last went offline, and to whom. */
struct smp_left {
    unsigned int threads, timers, ports, to;
};

/* Per-CPU SMP state (embedded in struct cpu). */
struct smp_cpu {
    uint32_t ipi_port;       /* the kick / call IPI's event channel */
    uint32_t lock_port;      /* polled, never delivered: a contended lock was freed */
    void *volatile sleeping; /* the spinlock this CPU sleeps on in Xen, or NULL */
    unsigned call_seen;      /* the last cross-CPU call this CPU ran */
    unsigned park_seen;      /* the last parking this CPU took part in */
    uint64_t calls;
    uint64_t lock_sleeps;
    uint64_t irqs_before_hlt; /* upcalls that landed on the idle hlt before it ran */
    int down;                 /* offline: out of the table, about to stop or stopped */
    uint64_t offlines;        /* times it went offline */
    struct smp_left left;
};

/* Make c known (online) under its VCPU id. */
void smp_register_cpu(struct cpu *c);

/* The online CPU with VCPU id `id`, or NULL. */
struct cpu *smp_cpu(int id);

/* A CPU set up once, online or offline now (NULL if never). */
struct cpu *smp_known_cpu(int id);

/* An online CPU that is not going offline, for a new or moved thread, round robin. */
struct cpu *smp_pick_cpu(void);

/* Is c on its way offline (it takes no new threads or events)? */
int smp_cpu_leaving(struct cpu *c);

/*
 * Take VCPU id offline (a thread, any CPU). smp_offline_begin: it stops taking
 * threads (and is no target for what moves), moves its threads, timers and
 * device events to CPUs that stay, leaves the table and stops
 * (smp_cpu_offline_self, on it); 0, or -EPERM (VCPU 0), -ENOENT (not online),
 * -ENOSYS (the platform cannot). Begin all that go at once, so none is a target
 * for another's threads. smp_offline_wait returns once it has left the table
 * (0) or -ETIMEDOUT; c->smp.left then says what moved. It comes back when the
 * platform starts it again, and then rejoins the table by itself.
 */
int smp_offline_begin(unsigned int id);
int smp_offline_wait(unsigned int id);
void smp_cpu_offline_self(void);

int smp_num_online(void);

/* Wake c out of its idle halt (an IPI through an event channel). */
void smp_kick_cpu(struct cpu *c);

/*
 * Run fn(arg) on every other online CPU, in interrupt context, and return when
 * all have. Any context (a waiting caller runs calls aimed at it meanwhile, so
 * two CPUs calling each other cannot deadlock), but hold no spinlock: a target
 * spinning on it with interrupts off would never answer.
 */
void smp_call_others(void (*fn)(void *), void *arg);

/*
 * Parking, for a suspend: smp_park_others (a thread on the boot CPU) has every
 * other CPU stop at the end of its next interrupt, interrupts off, holding no
 * lock, and returns once all have (the count, or -ETIMEDOUT after releasing
 * them again). smp_release_others lets them go; each first runs resume(c) if
 * given (the domain is new: its per-CPU hypervisor state must be set up again).
 * Returns 0, or -EIO if resume failed somewhere.
 */
int smp_park_others(void);
int smp_release_others(int (*resume)(struct cpu *c));
/* The end of an interrupt (arch/x86/traps.S): park here if asked. */
void smp_park_point(void);

/* Called by the idle loop with interrupts off: wait for an interrupt, atomically. */
void smp_idle_wait(void);
void smp_idle_irq_before_hlt(uint64_t *rip);
void idle_halt(void); /* arch/x86/traps.S */

/* Find the possible VCPUs (MADT at rsdp_pa, cross-checked with Xen) and start the
 * online ones. Boot CPU only. */
void smp_boot_aps(uint64_t rsdp_pa);

/* VCPUs the domain may ever have (online or not). */
unsigned int smp_possible_cpus(void);

/*
 * Bring VCPU id up after boot (the toolstack put it online), the same way as at
 * boot. 0, -EEXIST (already up), -EINVAL (past the possible VCPUs), or -errno.
 */
int smp_hotplug_cpu(unsigned int id);

/*
 * Start c again, an offline VCPU that Xen no longer knows (it was down when the
 * domain was saved or migrated: in the new domain it is uninitialised): a fresh
 * context on its own per-CPU block and idle stack, the same per-CPU set-up as a
 * resume (xen_cpu_setup), then it joins (smp_cpu_restarted, on it). 0 once it is
 * online, -EEXIST, or -errno.
 */
int smp_restart_cpu(struct cpu *c);
void smp_cpu_restarted(struct cpu *c);

/* Print every online CPU's scheduler, timer and event state. */
void smp_dump_state(void);

/* This VCPU's events, timer interrupt and IPIs (arch/x86/smp_boot.c); resume: again,
 * in a new domain. 0 or -errno. */
int xen_cpu_setup(struct cpu *c, int resume);

/* Bind this CPU's kick IPI and its lock-wake port. */
int smp_init_ipi(struct cpu *c);

#endif
