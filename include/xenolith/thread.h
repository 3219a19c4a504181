/*
 * Threads for applications. Cooperative: a thread runs until it blocks (I/O,
 * sleep, join) or yields; threads on different VCPUs run in parallel.
 */
#ifndef XENOLITH_THREAD_H
#define XENOLITH_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct xenolith_thread;

/*
 * Start fn(arg) in a new thread on VCPU `cpu` (-1: spread over online VCPUs), with
 * a stack of stack_size bytes (0: 64 KiB) and an unmapped guard page below it.
 * Returns NULL when out of memory or when `cpu` is not online (or is going
 * offline). If that VCPU goes offline later (xl vcpu-set), the thread moves to
 * one that stays, and stays there.
 */
struct xenolith_thread *xenolith_thread_create(const char *name, void *(*fn)(void *), void *arg,
                                               int cpu, size_t stack_size);

/* Wait for t to end; returns what fn returned. t is freed. */
void *xenolith_thread_join(struct xenolith_thread *t);

/* Nobody will join t: it frees itself when it ends. */
void xenolith_thread_detach(struct xenolith_thread *t);

void xenolith_thread_yield(void);

/* Sleep at least ns nanoseconds. */
void xenolith_thread_sleep_ns(uint64_t ns);

/* VCPUs online now (threads created with cpu -1 are spread over them); changes with xl vcpu-set. */
int xenolith_online_cpus(void);

/* Monotonic nanoseconds. */
uint64_t xenolith_time_now_ns(void);

#endif
