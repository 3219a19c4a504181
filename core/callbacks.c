/* Callback lists (core/callbacks.h). Pure C: built on the host for unit tests. */
#include "core/callbacks.h"
#include <errno.h>
#include <stdlib.h>

/*
 * Find the end and link there with a compare-and-swap: two threads adding at once
 * both keep their entry, one after the other, with no lock to take.
 */
int callback_add(struct callback_list *l, callback_fn fn, void *arg)
{
    struct callback *cb = calloc(1, sizeof(*cb));
    if (!cb)
        return -ENOMEM;
    cb->fn = fn;
    cb->arg = arg;
    for (;;) {
        struct callback *prev = NULL, **link = &l->first, *expected = NULL;
        for (struct callback *n; (n = __atomic_load_n(link, __ATOMIC_ACQUIRE)); link = &n->next)
            prev = n;
        cb->prev = prev;
        if (__atomic_compare_exchange_n(link, &expected, cb, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return 0;
    }
}

struct callback *callback_last(struct callback_list *l)
{
    struct callback *last = NULL;
    callback_each(l, cb) last = cb;
    return last;
}
