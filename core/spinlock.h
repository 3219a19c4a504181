/*
 * Spinlocks. Always taken with interrupts off (spin_lock_irqsave), so an interrupt
 * never lands while one is held and a preempted thread never holds one.
 *
 * VCPUs outnumber physical CPUs here (128 VCPUs on one), so a lock's holder is often
 * not running. Two consequences shape the lock. Test-and-set, not tickets: a ticket
 * lock hands the lock to the next waiter in line even when Xen has descheduled that
 * waiter, and everyone behind it spins until Xen happens to run it again. And a
 * waiter that has spun a while sleeps in Xen (core/smp.c: spin_lock_slow) instead
 * of burning the physical CPU the holder needs: it marks the lock, and the unlock
 * that finds the mark wakes the sleepers.
 */
#ifndef XENOLITH_SPINLOCK_H
#define XENOLITH_SPINLOCK_H

#include <stdint.h>
#include "arch/x86/x86.h"

#define SPIN_LOCKED   1u
#define SPIN_SLEEPERS 2u /* someone sleeps in Xen waiting for this lock: wake them */

typedef struct {
    volatile uint32_t word;
} spinlock_t;

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0                                                                                          \
    }

/* Give our time slice back to the hypervisor (VCPUs outnumber physical CPUs). */
void spin_backoff(void);

/* Contended paths, out of line. */
void spin_lock_slow(spinlock_t *l);
void spin_unlock_wake(spinlock_t *l);

static inline int spin_trylock(spinlock_t *l)
{
    uint32_t free = 0;
    return __atomic_compare_exchange_n(&l->word, &free, SPIN_LOCKED, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void spin_lock(spinlock_t *l)
{
    if (!spin_trylock(l))
        spin_lock_slow(l);
}

/* One atomic exchange, and l is not touched again: it may be freed at once. */
static inline void spin_unlock(spinlock_t *l)
{
    if (__builtin_expect(__atomic_exchange_n(&l->word, 0, __ATOMIC_SEQ_CST) & SPIN_SLEEPERS, 0))
        spin_unlock_wake(l);
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
