/* Spinlocks: ticket locks, fair across VCPUs. */
#ifndef XENOLITH_SPINLOCK_H
#define XENOLITH_SPINLOCK_H

#include <stdint.h>
#include "arch/x86/x86.h"

typedef struct {
    volatile uint16_t next;
    volatile uint16_t owner;
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0, 0                                                                                       \
    }

/*
 * Waiting too long for a lock usually means its holder's VCPU is not running
 * (VCPUs outnumber physical CPUs): give our time slice back to the hypervisor.
 */
void spin_backoff(void);

static inline void spin_lock(spinlock_t *l)
{
    uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    for (unsigned int spins = 1; __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me; spins++) {
        cpu_relax();
        if ((spins & 1023) == 0)
            spin_backoff();
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags = irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_unlock(l);
    irq_restore(flags);
}

#endif
