/*
 * newlib's retargetable locks (sys/lock.h). Recursive, owned by the running
 * context (the VCPU until threads arrive), so stdio and malloc are safe across
 * VCPUs. newlib's own static locks are defined here too, which keeps its dummy
 * lock.o out of the link.
 */
#include "core/kernel.h"
#include "core/spinlock.h"
#include "core/sched.h"
#include "core/percpu.h"
#include <sys/lock.h>
#include <stdlib.h>

struct __lock {
    spinlock_t lock;
    void *owner;
    unsigned int depth;
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
    __lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex, __lock___malloc_recursive_mutex,
    __lock___env_recursive_mutex, __lock___tz_mutex, __lock___dd_hash_mutex,
    __lock___arc4random_mutex;

/* The running thread once threads exist (a lock may be held across a block). */
static void *owner_id(void)
{
    return sched_running() ? (void *)thread_current() : (void *)this_cpu();
}

void __retarget_lock_init(_LOCK_T *l)
{
    *l = calloc(1, sizeof(struct __lock));
}

void __retarget_lock_init_recursive(_LOCK_T *l)
{
    __retarget_lock_init(l);
}

void __retarget_lock_close(_LOCK_T l)
{
    free(l);
}

void __retarget_lock_close_recursive(_LOCK_T l)
{
    free(l);
}

int __retarget_lock_try_acquire_recursive(_LOCK_T l)
{
    if (!l)
        return 1;
    void *me = owner_id();
    if (l->owner == me) {
        l->depth++;
        return 1;
    }
    uint16_t owner = l->lock.owner;
    uint16_t next = owner;
    if (__atomic_compare_exchange_n(&l->lock.next, &next, (uint16_t)(owner + 1), 0,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        l->owner = me;
        l->depth = 1;
        return 1;
    }
    return 0;
}

void __retarget_lock_acquire_recursive(_LOCK_T l)
{
    if (!l)
        return;
    void *me = owner_id();
    if (l->owner == me) {
        l->depth++;
        return;
    }
    /*
     * Another thread of this CPU may hold it while blocked: spinning would never
     * let it run, so yield between attempts.
     */
    while (!__retarget_lock_try_acquire_recursive(l)) {
        if (sched_running())
            thread_yield();
        else
            cpu_relax();
    }
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
    if (!l)
        return;
    if (--l->depth == 0) {
        l->owner = NULL;
        spin_unlock(&l->lock);
    }
}

void __retarget_lock_acquire(_LOCK_T l)
{
    __retarget_lock_acquire_recursive(l);
}

int __retarget_lock_try_acquire(_LOCK_T l)
{
    return __retarget_lock_try_acquire_recursive(l);
}

void __retarget_lock_release(_LOCK_T l)
{
    __retarget_lock_release_recursive(l);
}
