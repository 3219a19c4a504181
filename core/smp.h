/* Which CPUs there are, and how they poke each other. */
#ifndef XENOLITH_SMP_H
#define XENOLITH_SMP_H

struct cpu;

/* Make c known (online) under its VCPU id. */
void smp_register_cpu(struct cpu *c);

/* The online CPU with VCPU id `id`, or NULL. */
struct cpu *smp_cpu(int id);

/* An online CPU for a new thread, round robin. */
struct cpu *smp_pick_cpu(void);

int smp_num_online(void);

/* Wake c out of its idle halt (an IPI through an event channel). */
void smp_kick_cpu(struct cpu *c);

/* Called by the idle loop with interrupts off: wait for an interrupt, atomically. */
void smp_idle_wait(void);

/* Bind this CPU's kick IPI. */
int smp_init_ipi(struct cpu *c);

#endif
