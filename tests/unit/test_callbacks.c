// Host tests for core/callbacks.c: registration order forwards and backwards, and
// adds from several threads at once, none lost and each thread's own in order.
// UNIT-SOURCES: core/callbacks.c
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/callbacks.h"

static int calls[8], ncalls;

static void record(void *arg)
{
    calls[ncalls++] = (int)(intptr_t)arg;
}

static void call_all(struct callback_list *l)
{
    callback_each(l, cb)((void (*)(void *))cb->fn)(cb->arg);
}

static void order(void **state)
{
    struct callback_list l = {0};
    assert_null(callback_last(&l));
    call_all(&l);
    assert_int_equal(ncalls, 0);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(callback_add(&l, (callback_fn)record, (void *)(intptr_t)i), 0);
    call_all(&l);
    assert_int_equal(ncalls, 3);
    assert_int_equal(calls[0], 1);
    assert_int_equal(calls[2], 3);
    ncalls = 0;
    callback_each_reverse(&l, cb)((void (*)(void *))cb->fn)(cb->arg);
    assert_int_equal(ncalls, 3);
    assert_int_equal(calls[0], 3);
    assert_int_equal(calls[1], 2);
    assert_int_equal(calls[2], 1);
    ncalls = 0;
    for (struct callback *cb = l.first, *next; cb; cb = next) {
        next = cb->next;
        free(cb);
    }
}

#define THREADS 4
#define EACH    2000

static struct callback_list shared;

static void *adder(void *arg)
{
    intptr_t id = (intptr_t)arg;
    for (intptr_t i = 0; i < EACH; i++)
        if (callback_add(&shared, NULL, (void *)(id * EACH + i)) != 0)
            return (void *)1;
    return NULL;
}

static void concurrent_adds(void **state)
{
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    intptr_t next[THREADS] = {0};
    int n = 0;
    struct callback *prev = NULL;
    callback_each(&shared, cb)
    {
        intptr_t v = (intptr_t)cb->arg, id = v / EACH;
        assert_int_equal(v % EACH, next[id]++); /* each thread's entries in its order */
        assert_ptr_equal(cb->prev, prev);       /* and the back links agree */
        prev = cb;
        n++;
    }
    assert_int_equal(n, THREADS * EACH);
    assert_ptr_equal(callback_last(&shared), prev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order),
        cmocka_unit_test(concurrent_adds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
