// Host tests for drivers/xen/gnttab_deferred.c: grants set aside because the backend
// still maps their pages leave the list only when ending them succeeds, oldest first;
// the others stay in order with their tries counted, and the list takes new entries
// after any retry (its tail stays right).
// UNIT-SOURCES: drivers/xen/gnttab_deferred.c
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drivers/xen/gnttab_deferred.h"

#define N 8

/* The "backend": which refs it still maps, and every ref it was asked about. */
static bool mapped[64];
static grant_ref_t asked[64];
static int nasked;

static int fake_end(grant_ref_t ref, void *arg)
{
    asked[nasked++] = ref;
    return mapped[ref] ? -16 /* -EBUSY */ : 0;
}

static void reset(void)
{
    for (int i = 0; i < 64; i++)
        mapped[i] = false;
    nasked = 0;
}

static int list_refs(const struct gnttab_deferred_entry *e, grant_ref_t *out)
{
    int n = 0;
    for (; e; e = e->next)
        out[n++] = e->ref;
    return n;
}

static void test_nothing_leaves_while_mapped(void **state)
{
    static char pages[N][16];
    struct gnttab_deferred d;
    struct gnttab_deferred_entry e[N];
    reset();
    gnttab_deferred_init(&d);
    for (int i = 0; i < N; i++) {
        mapped[10 + i] = true;
        gnttab_deferred_add(&d, &e[i], 10 + i, pages[i], 1000 + i);
    }
    assert_int_equal(d.waiting, N);
    for (int pass = 1; pass <= 3; pass++) {
        assert_null(gnttab_deferred_retry(&d, fake_end, NULL));
        assert_int_equal(d.waiting, N);
        for (int i = 0; i < N; i++)
            assert_int_equal(e[i].tries, pass);
    }
    assert_int_equal(nasked, 3 * N);
    assert_int_equal(asked[0], 10); /* oldest first */
    assert_true(d.released == 0 && d.deferred == N);
}

static void test_released_ones_leave_in_order(void **state)
{
    static char pages[N][16];
    struct gnttab_deferred d;
    struct gnttab_deferred_entry e[N];
    grant_ref_t refs[N];
    reset();
    gnttab_deferred_init(&d);
    for (int i = 0; i < N; i++) {
        mapped[20 + i] = true;
        gnttab_deferred_add(&d, &e[i], 20 + i, pages[i], 0);
    }
    /* The backend lets go of the first, two in the middle and the last. */
    mapped[20] = mapped[23] = mapped[24] = mapped[27] = false;
    struct gnttab_deferred_entry *done = gnttab_deferred_retry(&d, fake_end, NULL);
    assert_int_equal(list_refs(done, refs), 4);
    assert_int_equal(refs[0], 20);
    assert_int_equal(refs[1], 23);
    assert_int_equal(refs[2], 24);
    assert_int_equal(refs[3], 27);
    assert_ptr_equal(done->page, pages[0]);
    assert_int_equal(d.waiting, 4);
    assert_int_equal(d.released, 4);
    assert_int_equal(list_refs(d.head, refs), 4);
    assert_int_equal(refs[0], 21);
    assert_int_equal(refs[3], 26);

    /* The tail is right after the last one left: a new entry goes after 26. */
    struct gnttab_deferred_entry extra;
    mapped[40] = true;
    gnttab_deferred_add(&d, &extra, 40, pages[0], 5);
    assert_int_equal(list_refs(d.head, refs), 5);
    assert_int_equal(refs[4], 40);
    assert_int_equal(extra.tries, 0);
    assert_int_equal(e[21 - 20].tries, 1);

    /* Everything let go: the list is empty and takes entries again. */
    reset();
    done = gnttab_deferred_retry(&d, fake_end, NULL);
    assert_int_equal(list_refs(done, refs), 5);
    assert_null(d.head);
    assert_int_equal(d.waiting, 0);
    assert_int_equal(d.released, 9);
    gnttab_deferred_add(&d, &e[0], 50, pages[0], 9);
    assert_ptr_equal(d.head, &e[0]);
    assert_int_equal(d.waiting, 1);
    assert_int_equal(d.deferred, N + 2);
}

static void test_empty_list(void **state)
{
    struct gnttab_deferred d;
    reset();
    gnttab_deferred_init(&d);
    assert_null(gnttab_deferred_retry(&d, fake_end, NULL));
    assert_int_equal(nasked, 0);
    assert_int_equal(d.waiting, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_leaves_while_mapped),
        cmocka_unit_test(test_released_ones_leave_in_order),
        cmocka_unit_test(test_empty_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
