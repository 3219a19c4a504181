/*
 * newlib's retargetable locks (sys/lock.h). Recursive sleeping locks, owned by
 * the running context (the VCPU until threads arrive), so stdio and malloc are
 * safe across VCPUs and across preemption. newlib's own static locks are defined
 * here too, which keeps its dummy lock.o out of the link.
 */
#include "core/kernel.h"
#include "core/spinlock.h"
#include "core/sched.h"
#include "core/percpu.h"
#include <sys/lock.h>
#include <stdlib.h>

struct __lock {
    struct mutex m;
    void *owner;
    unsigned int depth;
};

#define STATIC_LOCK(name) struct __lock name = {MUTEX_INIT(name.m), NULL, 0}
STATIC_LOCK(__lock___sinit_recursive_mutex);
STATIC_LOCK(__lock___sfp_recursive_mutex);
STATIC_LOCK(__lock___atexit_recursive_mutex);
STATIC_LOCK(__lock___at_quick_exit_mutex);
STATIC_LOCK(__lock___malloc_recursive_mutex);
STATIC_LOCK(__lock___env_recursive_mutex);
STATIC_LOCK(__lock___tz_mutex);
STATIC_LOCK(__lock___dd_hash_mutex);
STATIC_LOCK(__lock___arc4random_mutex);

/* The running thread once threads exist (a lock may be held across a block). */
static void *owner_id(void)
{
    return sched_running() ? (void *)thread_current() : (void *)this_cpu();
}

void __retarget_lock_init(_LOCK_T *l)
{
    *l = calloc(1, sizeof(struct __lock));
    if (*l)
        mutex_init(&(*l)->m);
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
    if (!mutex_trylock(&l->m))
        return 0;
    l->owner = me;
    l->depth = 1;
    return 1;
}

/*
 * A sleeping lock: a holder may be preempted or block (stdio writes to the
 * console), and its waiters, on this CPU or another, then sleep instead of
 * spinning. Before the scheduler runs there is one CPU and nobody to wait for.
 */
void __retarget_lock_acquire_recursive(_LOCK_T l)
{
    if (!l)
        return;
    void *me = owner_id();
    if (l->owner == me) {
        l->depth++;
        return;
    }
    if (sched_running())
        mutex_lock(&l->m);
    else
        while (!mutex_trylock(&l->m))
            cpu_relax();
    l->owner = me;
    l->depth = 1;
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
    if (!l)
        return;
    if (--l->depth == 0) {
        l->owner = NULL;
        mutex_unlock(&l->m);
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
