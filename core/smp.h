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

/* Find the possible VCPUs (MADT at rsdp_pa, cross-checked with Xen) and start the
 * online ones. Boot CPU only. */
void smp_boot_aps(uint64_t rsdp_pa);

/* VCPUs the domain may ever have (online or not). */
unsigned int smp_possible_cpus(void);

/* Bind this CPU's kick IPI. */
int smp_init_ipi(struct cpu *c);

#endif
