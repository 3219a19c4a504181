/* Memory this domain has, and news when the toolstack changes it (ballooning). */
#ifndef XENOLITH_MEMORY_H
#define XENOLITH_MEMORY_H

#include <stdint.h>

/*
 * total: bytes of RAM the domain has now (less what it gave back to Xen after an
 * `xl mem-set` down); free: bytes of it no one uses (the heap's unused part is not
 * counted). Either pointer may be NULL.
 */
void xenolith_memory_info(uint64_t *total, uint64_t *free);

/*
 * Call fn(total, free, arg) after each change of the domain's size. Runs in the
 * xenstore watch thread; keep it short. Returns 0 or -ENOMEM. Under pressure
 * malloc returns NULL (and the kernel's allocations -ENOMEM): nothing crashes.
 */
typedef void (*xenolith_memory_fn)(uint64_t total, uint64_t free, void *arg);
int xenolith_memory_on_change(xenolith_memory_fn fn, void *arg);

#endif
