/* Timer queue: an intrusive pairing heap of deadlines, one per CPU, ties fire in insertion order.
 */
#ifndef XENOLITH_TIMER_HEAP_H
#define XENOLITH_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer_heap;

/*
 * Embed one in each timer. Fields are the heap's; read the deadline with
 * timer_heap_node_deadline. A node is on at most one heap at a time.
 */
struct timer_heap_node {
    uint64_t deadline;             /* ns of system time */
    uint64_t seq;                  /* insertion order, breaks deadline ties */
    struct timer_heap_node *child; /* leftmost child */
    struct timer_heap_node *next;  /* right sibling */
    struct timer_heap_node *prev;  /* left sibling, or parent for a leftmost child */
    struct timer_heap *heap;       /* the heap it is queued on, NULL when not queued */
};

/*
 * Insert, remove and pop cost O(log n) amortized, peek O(1). No locking: the
 * caller serializes every call on one heap and on its nodes (the per-CPU timer
 * code does, with interrupts off or its lock held).
 */
struct timer_heap {
    struct timer_heap_node *root;
    uint64_t next_seq;
    size_t count;
};

void timer_heap_init(struct timer_heap *h);

/* Prepare a node before its first use: not queued. */
void timer_heap_node_init(struct timer_heap_node *n);

/* Is the node queued (on any heap)? */
bool timer_heap_node_queued(const struct timer_heap_node *n);

uint64_t timer_heap_node_deadline(const struct timer_heap_node *n);

/*
 * Queue n to fire at deadline, after every node already queued with the same
 * deadline. Returns 0, or -EBUSY when n is already queued (remove it first, or
 * use timer_heap_update).
 */
int timer_heap_insert(struct timer_heap *h, struct timer_heap_node *n, uint64_t deadline);

/* Take n off the heap (a cancelled timer). Returns 0, or -ENOENT when n is not on h. */
int timer_heap_remove(struct timer_heap *h, struct timer_heap_node *n);

/*
 * Re-arm n for a new deadline, whether or not it is queued on h; it goes after
 * nodes already queued with that deadline. Returns 0, or -EBUSY when n is queued
 * on another heap.
 */
int timer_heap_update(struct timer_heap *h, struct timer_heap_node *n, uint64_t deadline);

/* The node with the earliest deadline, left queued; NULL when the heap is empty. */
struct timer_heap_node *timer_heap_peek(const struct timer_heap *h);

/* Take the node with the earliest deadline off the heap; NULL when empty. */
struct timer_heap_node *timer_heap_pop(struct timer_heap *h);

/* Nodes queued. */
size_t timer_heap_count(const struct timer_heap *h);

#endif
