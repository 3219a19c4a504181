/*
 * lwIP's operating system layer (its "sys_arch") on xenolith threads: counting
 * semaphores, mutexes and bounded mailboxes built on waitqs, with timeouts from
 * wait_event_timeout; threads from xenolith_thread_create; time from xenolith_time_now_ns.
 *
 * Nothing of lwIP runs in interrupt context here (frames arrive in driver
 * threads), so SYS_ARCH_PROTECT is a lock between threads, recursive for its
 * owner, that leaves interrupts alone.
 */
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include <stdlib.h>

struct sys_sem {
    int count;
    struct waitq wq;
};

struct sys_mutex {
    struct mutex m;
    struct xenolith_thread *owner;
};

struct sys_mbox {
    spinlock_t lock;
    unsigned int head, count, size;
    struct waitq not_empty, not_full;
    void *msgs[];
};

void sys_init(void)
{
}

u32_t sys_now(void)
{
    return (u32_t)(xenolith_time_now_ns() / 1000000);
}

u32_t sys_jiffies(void)
{
    return sys_now();
}

static u64_t ms_to_ns(u32_t ms)
{
    return (u64_t)ms * 1000000;
}

/* Milliseconds since start for a wait that succeeded (never SYS_ARCH_TIMEOUT). */
static u32_t elapsed_ms(u64_t start)
{
    u64_t ms = (xenolith_time_now_ns() - start) / 1000000;
    return ms >= SYS_ARCH_TIMEOUT ? SYS_ARCH_TIMEOUT - 1 : (u32_t)ms;
}

/* ---- semaphores ---- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
    struct sys_sem *s = malloc(sizeof(*s));
    if (!s) {
        *sem = NULL;
        return ERR_MEM;
    }
    s->count = count;
    waitq_init(&s->wq);
    *sem = s;
    return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
    free(*sem);
    *sem = NULL;
}

static int sem_take(struct sys_sem *s)
{
    int c = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
    while (c > 0)
        if (__atomic_compare_exchange_n(&s->count, &c, c - 1, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return 1;
    return 0;
}

/*
 * The count changes under the queue's lock and the waiter always goes through
 * wait_event (no lock-free fast path): lwIP frees a call's semaphore as soon as
 * the caller has taken it, possibly while the signalling thread is still waking.
 */
void sys_sem_signal(sys_sem_t *sem)
{
    struct sys_sem *s = *sem;
    uint64_t flags = waitq_lock(&s->wq);
    __atomic_add_fetch(&s->count, 1, __ATOMIC_RELEASE);
    waitq_unlock_wake(&s->wq, flags, 0);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
    struct sys_sem *s = *sem;
    u64_t start = xenolith_time_now_ns();
    if (wait_event_timeout(&s->wq, sem_take(s), ms_to_ns(timeout)) < 0)
        return SYS_ARCH_TIMEOUT;
    return elapsed_ms(start);
}

/* ---- mutexes ---- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
    struct sys_mutex *m = malloc(sizeof(*m));
    if (!m) {
        *mutex = NULL;
        return ERR_MEM;
    }
    mutex_init(&m->m);
    m->owner = NULL;
    *mutex = m;
    return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
    free(*mutex);
    *mutex = NULL;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
    struct sys_mutex *m = *mutex;
    mutex_lock(&m->m);
    m->owner = thread_current();
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
    struct sys_mutex *m = *mutex;
    m->owner = NULL;
    mutex_unlock(&m->m);
}

void sys_check_core_locking(void)
{
    struct sys_mutex *m = lock_tcpip_core;
    if (m && m->owner != thread_current())
        panic("lwip: stack entered by thread %s without the core lock", thread_current()->name);
}

/* ---- mailboxes: a ring of `size` pointers ---- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
    if (size <= 0)
        size = 64;
    struct sys_mbox *m = malloc(sizeof(*m) + (size_t)size * sizeof(void *));
    if (!m) {
        *mbox = NULL;
        return ERR_MEM;
    }
    m->lock = (spinlock_t)SPINLOCK_INIT;
    m->head = m->count = 0;
    m->size = (unsigned int)size;
    waitq_init(&m->not_empty);
    waitq_init(&m->not_full);
    *mbox = m;
    return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
    struct sys_mbox *m = *mbox;
    if (m && m->count)
        printk("lwip: freeing a mailbox with %u messages in it\n", m->count);
    free(m);
    *mbox = NULL;
}

static int mbox_put(struct sys_mbox *m, void *msg)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    int ok = m->count < m->size;
    if (ok) {
        m->msgs[(m->head + m->count) % m->size] = msg;
        m->count++;
        waitq_wake_one(&m->not_empty); /* before unlocking: the getter may free m */
    }
    spin_unlock_irqrestore(&m->lock, flags);
    return ok;
}

static int mbox_get(struct sys_mbox *m, void **msg)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    int ok = m->count > 0;
    if (ok) {
        void *v = m->msgs[m->head];
        if (msg)
            *msg = v;
        m->head = (m->head + 1) % m->size;
        m->count--;
        waitq_wake_one(&m->not_full);
    }
    spin_unlock_irqrestore(&m->lock, flags);
    return ok;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
    struct sys_mbox *m = *mbox;
    if (!mbox_put(m, msg))
        wait_event(&m->not_full, mbox_put(m, msg));
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
    return mbox_put(*mbox, msg) ? ERR_OK : ERR_MEM;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
    return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
    struct sys_mbox *m = *mbox;
    if (mbox_get(m, msg))
        return 0;
    u64_t start = xenolith_time_now_ns();
    if (wait_event_timeout(&m->not_empty, mbox_get(m, msg), ms_to_ns(timeout)) < 0) {
        if (msg)
            *msg = NULL;
        return SYS_ARCH_TIMEOUT;
    }
    return elapsed_ms(start);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
    return mbox_get(*mbox, msg) ? 0 : SYS_MBOX_EMPTY;
}

/* ---- threads ---- */

struct sys_thread_start {
    lwip_thread_fn fn;
    void *arg;
};

static void *sys_thread_entry(void *p)
{
    struct sys_thread_start s = *(struct sys_thread_start *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
    struct sys_thread_start *s = malloc(sizeof(*s));
    if (!s)
        panic("lwip: no memory for thread %s", name);
    s->fn = fn;
    s->arg = arg;
    /* lwIP's threads (tcpip) live on the boot VCPU, beside the drivers' own. */
    struct xenolith_thread *t =
        xenolith_thread_create(name, sys_thread_entry, s, 0, stacksize > 0 ? (size_t)stacksize : 0);
    if (!t)
        panic("lwip: cannot create thread %s", name);
    xenolith_thread_detach(t);
    return t;
}

void sys_msleep(u32_t ms)
{
    xenolith_thread_sleep_ns(ms_to_ns(ms));
}

/* ---- SYS_ARCH_PROTECT: a recursive lock owned by a thread ---- */

static struct {
    int locked;
    struct xenolith_thread *owner;
    unsigned int depth;
} prot;

sys_prot_t sys_arch_protect(void)
{
    struct xenolith_thread *me = thread_current();
    if (__atomic_load_n(&prot.owner, __ATOMIC_RELAXED) == me) {
        prot.depth++;
        return 0;
    }
    /* The holder may be a thread of this VCPU that yielded (in malloc's lock, say):
     * let it run rather than spin. */
    while (__atomic_exchange_n(&prot.locked, 1, __ATOMIC_ACQUIRE))
        xenolith_thread_yield();
    __atomic_store_n(&prot.owner, me, __ATOMIC_RELAXED);
    prot.depth = 1;
    return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
    if (--prot.depth == 0) {
        __atomic_store_n(&prot.owner, NULL, __ATOMIC_RELAXED);
        __atomic_store_n(&prot.locked, 0, __ATOMIC_RELEASE);
    }
}

/* ---- platform hooks of arch/cc.h ---- */

void net_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

_Noreturn void net_assert_failed(const char *msg, const char *file, int line)
{
    panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

/* Not for cryptography: TCP initial sequence numbers, ports, DHCP transaction ids. */
uint32_t net_random32(void)
{
    static uint64_t state;
    uint64_t z = __atomic_add_fetch(&state, 0x9e3779b97f4a7c15ULL ^ xenolith_time_now_ns(),
                                    __ATOMIC_RELAXED);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (uint32_t)(z ^ (z >> 31));
}
