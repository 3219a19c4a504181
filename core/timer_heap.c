/*
 * Timer queue as a pairing heap: each node links to its leftmost child, its right
 * sibling and back to its left sibling (or parent), so any node can be cut out in
 * O(1) and its children merged back in two passes. Small, no allocation, no
 * rebalancing state, and fast in practice for the insert-and-cancel pattern of
 * timeouts. Keys are (deadline, sequence number) so equal deadlines pop in the
 * order they were inserted. Pure logic, no locking; host tested.
 */
#include <errno.h>
#include "core/timer_heap.h"

static bool before(const struct timer_heap_node *a, const struct timer_heap_node *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* Join two roots (prev and next unused) into one; the later becomes the leftmost child. */
static struct timer_heap_node *meld(struct timer_heap_node *a, struct timer_heap_node *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (before(b, a)) {
        struct timer_heap_node *t = a;
        a = b;
        b = t;
    }
    b->next = a->child;
    if (a->child)
        a->child->prev = b;
    b->prev = a;
    a->child = b;
    a->next = NULL;
    a->prev = NULL;
    return a;
}

/*
 * Merge a sibling list into one root: meld pairs left to right, then fold the
 * pairs right to left. The two passes are what give the amortized O(log n).
 */
static struct timer_heap_node *merge_siblings(struct timer_heap_node *first)
{
    struct timer_heap_node *pairs = NULL; /* melded pairs, rightmost first, via next */

    while (first) {
        struct timer_heap_node *a = first, *b = a->next;
        first = b ? b->next : NULL;
        a->next = a->prev = NULL;
        if (b)
            b->next = b->prev = NULL;
        a = meld(a, b);
        a->next = pairs;
        pairs = a;
    }

    struct timer_heap_node *root = NULL;
    while (pairs) {
        struct timer_heap_node *p = pairs;
        pairs = p->next;
        p->next = NULL;
        root = meld(root, p);
    }
    return root;
}

void timer_heap_init(struct timer_heap *h)
{
    h->root = NULL;
    h->next_seq = 0;
    h->count = 0;
}

void timer_heap_node_init(struct timer_heap_node *n)
{
    n->deadline = 0;
    n->seq = 0;
    n->child = n->next = n->prev = NULL;
    n->heap = NULL;
}

bool timer_heap_node_queued(const struct timer_heap_node *n)
{
    return n->heap != NULL;
}

uint64_t timer_heap_node_deadline(const struct timer_heap_node *n)
{
    return n->deadline;
}

int timer_heap_insert(struct timer_heap *h, struct timer_heap_node *n, uint64_t deadline)
{
    if (n->heap)
        return -EBUSY;
    n->deadline = deadline;
    n->seq = h->next_seq++;
    n->child = n->next = n->prev = NULL;
    n->heap = h;
    h->root = meld(h->root, n);
    h->count++;
    return 0;
}

int timer_heap_remove(struct timer_heap *h, struct timer_heap_node *n)
{
    if (n->heap != h)
        return -ENOENT;

    struct timer_heap_node *sub = merge_siblings(n->child);
    if (n == h->root) {
        h->root = sub;
    } else {
        /* Cut n out of its sibling list; its merged children rejoin at the root. */
        if (n->prev->child == n)
            n->prev->child = n->next;
        else
            n->prev->next = n->next;
        if (n->next)
            n->next->prev = n->prev;
        h->root = meld(h->root, sub);
    }
    n->child = n->next = n->prev = NULL;
    n->heap = NULL;
    h->count--;
    return 0;
}

int timer_heap_update(struct timer_heap *h, struct timer_heap_node *n, uint64_t deadline)
{
    if (n->heap && n->heap != h)
        return -EBUSY;
    if (n->heap)
        timer_heap_remove(h, n);
    return timer_heap_insert(h, n, deadline);
}

struct timer_heap_node *timer_heap_peek(const struct timer_heap *h)
{
    return h->root;
}

struct timer_heap_node *timer_heap_pop(struct timer_heap *h)
{
    struct timer_heap_node *n = h->root;

    if (n)
        timer_heap_remove(h, n);
    return n;
}

size_t timer_heap_count(const struct timer_heap *h)
{
    return h->count;
}
