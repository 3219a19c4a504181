/*
 * Lists of (function, argument) pairs a subsystem calls back: shutdown handlers,
 * suspend and resume hooks, memory and hotplug watchers. Adding is lock-free and
 * keeps registration order; walking needs no lock. Entries are never removed.
 * Each list has one function type: callers store it as callback_fn and cast it
 * back to that type to call it.
 */
#ifndef XENOLITH_CALLBACKS_H
#define XENOLITH_CALLBACKS_H

typedef void (*callback_fn)(void);

struct callback {
    struct callback *next, *prev;
    callback_fn fn;
    void *arg;
};

struct callback_list {
    struct callback *first;
};

/* Append (fn, arg); 0, or -ENOMEM. */
int callback_add(struct callback_list *l, callback_fn fn, void *arg);

/* The last entry, or NULL: where a walk in reverse starts. */
struct callback *callback_last(struct callback_list *l);

static inline struct callback *callback_next(struct callback *cb)
{
    return __atomic_load_n(&cb->next, __ATOMIC_ACQUIRE);
}

#define callback_each(l, cb)                                                                       \
    for (struct callback *cb = __atomic_load_n(&(l)->first, __ATOMIC_ACQUIRE); cb;                 \
         cb = callback_next(cb))

/* Newest first; for undoing in reverse (resume after suspend). */
#define callback_each_reverse(l, cb) for (struct callback *cb = callback_last(l); cb; cb = cb->prev)

#endif
