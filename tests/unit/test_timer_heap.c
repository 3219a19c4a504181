// Host tests for core/timer_heap.c: empty heap, 1,000 random deadlines in order, removal
// of the root, a leaf and an inner node, re-insertion, stable ties, re-arming, and a
// randomized differential test against an array model, with the heap's links checked.
// UNIT-SOURCES: core/timer_heap.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/timer_heap.h"

static uint64_t rng_state;

static uint64_t rnd64(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t rnd(uint32_t n)
{
    return (uint32_t)((rnd64() >> 11) % n);
}

static bool key_before(const struct timer_heap_node *a, const struct timer_heap_node *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/*
 * Walk the whole heap: every node says it is on h, children never come before
 * their parent, prev links mirror child/next links, and the count is right.
 */
static void check_heap(const struct timer_heap *h)
{
    size_t seen = 0, cap = h->count + 1;
    const struct timer_heap_node **stack = malloc(cap * sizeof(*stack));
    size_t top = 0;

    assert_non_null(stack);
    if (h->root) {
        assert_null(h->root->prev);
        assert_null(h->root->next);
        stack[top++] = h->root;
    }
    while (top) {
        const struct timer_heap_node *n = stack[--top];
        assert_ptr_equal(n->heap, h);
        assert_true(timer_heap_node_queued(n));
        seen++;
        const struct timer_heap_node *prev = n;
        for (const struct timer_heap_node *c = n->child; c; c = c->next) {
            assert_ptr_equal(c->prev, prev);
            assert_false(key_before(c, n));
            assert_true(top < cap);
            stack[top++] = c;
            prev = c;
        }
    }
    free(stack);
    assert_int_equal(seen, h->count);
    assert_int_equal(timer_heap_count(h), h->count);
}

static void test_empty(void **state)
{
    struct timer_heap h;
    struct timer_heap_node n;

    timer_heap_init(&h);
    timer_heap_node_init(&n);
    assert_null(timer_heap_peek(&h));
    assert_null(timer_heap_pop(&h));
    assert_int_equal(timer_heap_count(&h), 0);
    assert_false(timer_heap_node_queued(&n));
    assert_int_equal(timer_heap_remove(&h, &n), -ENOENT);

    /* One node in and out; the heap is empty again. */
    assert_int_equal(timer_heap_insert(&h, &n, 42), 0);
    assert_true(timer_heap_node_queued(&n));
    assert_int_equal(timer_heap_node_deadline(&n), 42);
    assert_ptr_equal(timer_heap_peek(&h), &n);
    assert_int_equal(timer_heap_count(&h), 1);
    assert_ptr_equal(timer_heap_pop(&h), &n);
    assert_false(timer_heap_node_queued(&n));
    assert_null(timer_heap_peek(&h));
    assert_null(timer_heap_pop(&h));
    assert_int_equal(timer_heap_remove(&h, &n), -ENOENT);
    check_heap(&h);

    /* Extremes of the key. */
    struct timer_heap_node a, b;
    timer_heap_node_init(&a);
    timer_heap_node_init(&b);
    assert_int_equal(timer_heap_insert(&h, &a, UINT64_MAX), 0);
    assert_int_equal(timer_heap_insert(&h, &b, 0), 0);
    assert_ptr_equal(timer_heap_pop(&h), &b);
    assert_ptr_equal(timer_heap_pop(&h), &a);
    assert_null(timer_heap_pop(&h));
}

static void test_random_sorted(void **state)
{
    enum { N = 1000 };
    static struct timer_heap_node nodes[N];
    struct timer_heap h;

    rng_state = 0x243f6a8885a308d3ULL;
    timer_heap_init(&h);
    for (int i = 0; i < N; i++) {
        timer_heap_node_init(&nodes[i]);
        assert_int_equal(timer_heap_insert(&h, &nodes[i], rnd64() >> 4), 0);
    }
    check_heap(&h);
    assert_int_equal(timer_heap_count(&h), N);

    uint64_t last = 0;
    for (int i = 0; i < N; i++) {
        struct timer_heap_node *n = timer_heap_peek(&h);
        assert_ptr_equal(timer_heap_pop(&h), n);
        assert_false(timer_heap_node_queued(n));
        assert_true(timer_heap_node_deadline(n) >= last);
        last = timer_heap_node_deadline(n);
        assert_int_equal(timer_heap_count(&h), N - 1 - i);
        if (i % 100 == 0)
            check_heap(&h);
    }
    assert_null(timer_heap_pop(&h));
}

/* Pop everything; the deadlines must come out as want[] (sorted by the caller). */
static void pop_expect(struct timer_heap *h, const uint64_t *want, int n)
{
    for (int i = 0; i < n; i++) {
        struct timer_heap_node *x = timer_heap_pop(h);
        assert_non_null(x);
        assert_int_equal(timer_heap_node_deadline(x), want[i]);
    }
    assert_null(timer_heap_pop(h));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_remove_positions(void **state)
{
    enum { N = 64 };
    static struct timer_heap_node nodes[N];
    struct timer_heap h;
    uint64_t left[N];
    int nleft = 0;
    bool removed[N] = {false};

    rng_state = 0x13198a2e03707344ULL;
    timer_heap_init(&h);
    for (int i = 0; i < N; i++) {
        timer_heap_node_init(&nodes[i]);
        timer_heap_insert(&h, &nodes[i], 1000 + rnd(100000));
    }
    /* Pop one so the root's children get paired up into a deeper tree. */
    struct timer_heap_node *first = timer_heap_pop(&h);
    removed[first - nodes] = true;
    check_heap(&h);

    /* The root. */
    struct timer_heap_node *root = timer_heap_peek(&h);
    assert_int_equal(timer_heap_remove(&h, root), 0);
    assert_false(timer_heap_node_queued(root));
    removed[root - nodes] = true;
    check_heap(&h);

    /* A leaf: queued, not the root, no children. */
    struct timer_heap_node *leaf = NULL;
    for (int i = 0; i < N && !leaf; i++)
        if (!removed[i] && &nodes[i] != h.root && !nodes[i].child)
            leaf = &nodes[i];
    assert_non_null(leaf);
    assert_int_equal(timer_heap_remove(&h, leaf), 0);
    removed[leaf - nodes] = true;
    check_heap(&h);

    /* Inner nodes (not the root, with children): one a leftmost child, one not. */
    struct timer_heap_node *inner_first = NULL, *inner_mid = NULL;
    for (int i = 0; i < N; i++) {
        struct timer_heap_node *n = &nodes[i];
        if (removed[i] || n == h.root || !n->child)
            continue;
        if (n->prev->child == n && !inner_first)
            inner_first = n;
        else if (n->prev->child != n && !inner_mid)
            inner_mid = n;
    }
    assert_non_null(inner_first);
    assert_non_null(inner_mid);
    assert_int_equal(timer_heap_remove(&h, inner_first), 0);
    removed[inner_first - nodes] = true;
    check_heap(&h);
    assert_int_equal(timer_heap_remove(&h, inner_mid), 0);
    removed[inner_mid - nodes] = true;
    check_heap(&h);

    /* Removing again is refused. */
    assert_int_equal(timer_heap_remove(&h, inner_mid), -ENOENT);
    assert_int_equal(timer_heap_count(&h), N - 5);

    for (int i = 0; i < N; i++)
        if (!removed[i])
            left[nleft++] = nodes[i].deadline;
    qsort(left, nleft, sizeof(left[0]), cmp_u64);
    pop_expect(&h, left, nleft);
}

static void test_reinsert(void **state)
{
    struct timer_heap h;
    struct timer_heap_node a, b, c;

    timer_heap_init(&h);
    timer_heap_node_init(&a);
    timer_heap_node_init(&b);
    timer_heap_node_init(&c);
    timer_heap_insert(&h, &a, 10);
    timer_heap_insert(&h, &b, 20);
    timer_heap_insert(&h, &c, 30);
    assert_int_equal(timer_heap_insert(&h, &b, 5), -EBUSY);
    assert_int_equal(timer_heap_node_deadline(&b), 20);

    /* Cancel and re-arm earlier, later, and at the same time. */
    assert_int_equal(timer_heap_remove(&h, &b), 0);
    assert_int_equal(timer_heap_insert(&h, &b, 5), 0);
    assert_ptr_equal(timer_heap_peek(&h), &b);
    assert_int_equal(timer_heap_remove(&h, &b), 0);
    assert_int_equal(timer_heap_insert(&h, &b, 40), 0);
    assert_int_equal(timer_heap_remove(&h, &a), 0);
    assert_int_equal(timer_heap_insert(&h, &a, 10), 0);
    check_heap(&h);
    assert_ptr_equal(timer_heap_pop(&h), &a);
    assert_ptr_equal(timer_heap_pop(&h), &c);
    assert_ptr_equal(timer_heap_pop(&h), &b);
    assert_null(timer_heap_pop(&h));

    /* A popped node goes back in like a new one. */
    assert_int_equal(timer_heap_insert(&h, &a, 7), 0);
    assert_ptr_equal(timer_heap_pop(&h), &a);
}

static void test_update(void **state)
{
    struct timer_heap h, other;
    struct timer_heap_node a, b, c;

    timer_heap_init(&h);
    timer_heap_init(&other);
    timer_heap_node_init(&a);
    timer_heap_node_init(&b);
    timer_heap_node_init(&c);

    assert_int_equal(timer_heap_update(&h, &a, 50), 0); /* not queued: inserts */
    assert_int_equal(timer_heap_update(&h, &b, 60), 0);
    assert_int_equal(timer_heap_update(&h, &a, 70), 0); /* queued: moves */
    assert_int_equal(timer_heap_count(&h), 2);
    assert_ptr_equal(timer_heap_peek(&h), &b);
    assert_int_equal(timer_heap_update(&h, &b, 70), 0); /* same deadline as a: after it */
    assert_ptr_equal(timer_heap_pop(&h), &a);
    assert_ptr_equal(timer_heap_pop(&h), &b);

    /* A node on another heap: refused by both, left alone. */
    assert_int_equal(timer_heap_insert(&other, &c, 1), 0);
    assert_int_equal(timer_heap_update(&h, &c, 2), -EBUSY);
    assert_int_equal(timer_heap_insert(&h, &c, 2), -EBUSY);
    assert_int_equal(timer_heap_remove(&h, &c), -ENOENT);
    assert_int_equal(timer_heap_count(&h), 0);
    assert_int_equal(timer_heap_count(&other), 1);
    assert_int_equal(timer_heap_node_deadline(&c), 1);
    assert_ptr_equal(timer_heap_pop(&other), &c);
}

static void test_ties_stable(void **state)
{
    enum { N = 300 };
    static struct timer_heap_node nodes[N];
    struct timer_heap h;

    /* Three deadlines, interleaved; each pops in insertion order. */
    timer_heap_init(&h);
    for (int i = 0; i < N; i++) {
        timer_heap_node_init(&nodes[i]);
        timer_heap_insert(&h, &nodes[i], 100 * (uint64_t)((i * 7) % 3));
    }
    /* Cancel a few and re-arm them at the same deadline: they go to the back. */
    int again[] = {0, 3, 150, 297};
    for (unsigned int k = 0; k < sizeof(again) / sizeof(again[0]); k++) {
        struct timer_heap_node *n = &nodes[again[k]];
        uint64_t d = n->deadline;
        assert_int_equal(timer_heap_remove(&h, n), 0);
        assert_int_equal(timer_heap_insert(&h, n, d), 0);
    }
    check_heap(&h);

    int order[N], k = 0;
    for (uint64_t d = 0; d <= 200; d += 100) {
        for (int i = 0; i < N; i++) {
            bool late = false;
            for (unsigned int j = 0; j < sizeof(again) / sizeof(again[0]); j++)
                late |= again[j] == i;
            if (!late && nodes[i].deadline == d)
                order[k++] = i;
        }
        for (unsigned int j = 0; j < sizeof(again) / sizeof(again[0]); j++)
            if (nodes[again[j]].deadline == d)
                order[k++] = again[j];
    }
    assert_int_equal(k, N);
    for (int i = 0; i < N; i++) {
        struct timer_heap_node *n = timer_heap_pop(&h);
        assert_non_null(n);
        if (n != &nodes[order[i]]) {
            print_message("pop %d: got node %d, want %d\n", i, (int)(n - nodes), order[i]);
            fail();
        }
    }
    assert_null(timer_heap_pop(&h));
}

/*
 * Thousands of random inserts, cancels, pops, peeks and re-arms against a plain
 * array of (deadline, order) pairs; deadlines from a small range so ties are common.
 */
static void test_differential(void **state)
{
    enum { N = 500, OPS = 40000 };
    static struct timer_heap_node nodes[N];
    static bool queued[N];
    static uint64_t mdeadline[N], morder[N];
    uint64_t order = 0;
    size_t mcount = 0;
    struct timer_heap h;
    unsigned int pops = 0, removes = 0, inserts = 0;

    rng_state = 0xa4093822299f31d0ULL;
    timer_heap_init(&h);
    memset(queued, 0, sizeof(queued));
    for (int i = 0; i < N; i++)
        timer_heap_node_init(&nodes[i]);

    for (int op = 0; op < OPS; op++) {
        int i = rnd(N);
        uint32_t r = rnd(100);
        /* Model's minimum. */
        int min = -1;
        for (int j = 0; j < N; j++)
            if (queued[j] && (min < 0 || mdeadline[j] < mdeadline[min] ||
                              (mdeadline[j] == mdeadline[min] && morder[j] < morder[min])))
                min = j;

        if (r < 40) {
            uint64_t d = rnd(2000);
            int rc = timer_heap_insert(&h, &nodes[i], d);
            if (queued[i]) {
                assert_int_equal(rc, -EBUSY);
            } else {
                assert_int_equal(rc, 0);
                queued[i] = true;
                mdeadline[i] = d;
                morder[i] = order++;
                mcount++;
                inserts++;
            }
        } else if (r < 60) {
            int rc = timer_heap_remove(&h, &nodes[i]);
            assert_int_equal(rc, queued[i] ? 0 : -ENOENT);
            if (queued[i]) {
                queued[i] = false;
                mcount--;
                removes++;
            }
        } else if (r < 80) {
            struct timer_heap_node *n = timer_heap_pop(&h);
            if (min < 0) {
                assert_null(n);
            } else {
                assert_ptr_equal(n, &nodes[min]);
                queued[min] = false;
                mcount--;
                pops++;
            }
        } else if (r < 90) {
            struct timer_heap_node *n = timer_heap_peek(&h);
            if (min < 0)
                assert_null(n);
            else
                assert_ptr_equal(n, &nodes[min]);
        } else {
            uint64_t d = rnd(2000);
            assert_int_equal(timer_heap_update(&h, &nodes[i], d), 0);
            if (!queued[i])
                mcount++;
            queued[i] = true;
            mdeadline[i] = d;
            morder[i] = order++;
        }
        assert_int_equal(timer_heap_count(&h), mcount);
        for (int j = 0; j < 3; j++) {
            int k = rnd(N);
            assert_int_equal(timer_heap_node_queued(&nodes[k]), queued[k]);
        }
        if (op % 1000 == 0)
            check_heap(&h);
    }
    check_heap(&h);
    print_message("%u inserts, %u removes, %u pops, %zu left\n", inserts, removes, pops, mcount);
    while (mcount) {
        int min = -1;
        for (int j = 0; j < N; j++)
            if (queued[j] && (min < 0 || mdeadline[j] < mdeadline[min] ||
                              (mdeadline[j] == mdeadline[min] && morder[j] < morder[min])))
                min = j;
        assert_ptr_equal(timer_heap_pop(&h), &nodes[min]);
        queued[min] = false;
        mcount--;
    }
    assert_null(timer_heap_pop(&h));
}

/* Many timers armed and cancelled before they fire, as timeouts are: the heap stays sane. */
static void test_cancel_churn(void **state)
{
    enum { N = 2000 };
    static struct timer_heap_node nodes[N];
    struct timer_heap h;
    uint64_t now = 0;

    rng_state = 0x082efa98ec4e6c89ULL;
    timer_heap_init(&h);
    for (int i = 0; i < N; i++) {
        timer_heap_node_init(&nodes[i]);
        timer_heap_insert(&h, &nodes[i], now + 1000 + rnd(1000000));
    }
    for (int round = 0; round < 50000; round++) {
        struct timer_heap_node *n = &nodes[rnd(N)];
        now += rnd(50);
        if (timer_heap_node_queued(n))
            assert_int_equal(timer_heap_remove(&h, n), 0);
        assert_int_equal(timer_heap_insert(&h, n, now + 1000 + rnd(1000000)), 0);
        while (timer_heap_peek(&h) && timer_heap_node_deadline(timer_heap_peek(&h)) <= now) {
            struct timer_heap_node *x = timer_heap_pop(&h);
            timer_heap_insert(&h, x, now + 1000 + rnd(1000000));
        }
    }
    check_heap(&h);
    assert_int_equal(timer_heap_count(&h), N);
    uint64_t last = 0;
    for (int i = 0; i < N; i++) {
        struct timer_heap_node *x = timer_heap_pop(&h);
        assert_true(x->deadline >= last);
        last = x->deadline;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_random_sorted),
        cmocka_unit_test(test_remove_positions),
        cmocka_unit_test(test_reinsert),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_ties_stable),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_cancel_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
