// Host tests for drivers/xen/gnttab_refs.c: reserved refs, exhaustion, small tables,
// double and bogus frees, all-or-nothing batches, growth in place and into a new array
// (old refs stay valid), and a randomized check against a model of which refs are out.
// UNIT-SOURCES: drivers/xen/gnttab_refs.c
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

#include "drivers/xen/gnttab_refs.h"

#define PER_FRAME 512 /* v1 entries per 4 KiB grant frame */
#define RSV       GNTTAB_NR_RESERVED_ENTRIES

/* Walk the free list: it holds exactly the refs not in use, each once, and nr_free of them. */
static void check_list(const struct gnttab_refs *r)
{
    bool *seen = calloc(r->nr_entries + 1, 1);
    uint32_t n = 0;

    assert_non_null(seen);
    for (grant_ref_t x = r->head; x != GNTTAB_REFS_END; x = r->next[x]) {
        assert_true(x >= RSV && x < r->nr_entries);
        assert_false(seen[x]);
        assert_false(gnttab_refs_in_use(r, x));
        seen[x] = true;
        n++;
    }
    assert_int_equal(n, gnttab_refs_nr_free(r));
    assert_int_equal(gnttab_refs_nr_in_use(r), (r->nr_entries > RSV ? r->nr_entries - RSV : 0) - n);
    for (uint32_t i = RSV; i < r->nr_entries; i++)
        assert_true(seen[i] != gnttab_refs_in_use(r, i));
    for (uint32_t i = 0; i < RSV && i < r->nr_entries; i++)
        assert_int_equal(r->next[i], GNTTAB_REFS_IN_USE);
    free(seen);
}

static void test_reserved_and_exhaustion(void **state)
{
    static grant_ref_t next[PER_FRAME];
    static bool got[PER_FRAME];
    struct gnttab_refs r;
    grant_ref_t ref;

    assert_int_equal(gnttab_refs_init(&r, next, PER_FRAME), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), PER_FRAME - RSV);
    check_list(&r);
    for (uint32_t i = 0; i < PER_FRAME - RSV; i++) {
        assert_int_equal(gnttab_refs_alloc(&r, &ref), 0);
        assert_true(ref >= RSV && ref < PER_FRAME);
        assert_false(got[ref]);
        got[ref] = true;
        assert_true(gnttab_refs_in_use(&r, ref));
    }
    assert_int_equal(gnttab_refs_nr_free(&r), 0);
    ref = 12345;
    assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);
    assert_int_equal(ref, 12345);
    check_list(&r);

    /* Reserved refs are never handed out, never freed. */
    for (grant_ref_t x = 0; x < RSV; x++) {
        assert_false(gnttab_refs_in_use(&r, x));
        assert_int_equal(gnttab_refs_free(&r, x), -EINVAL);
    }
    assert_int_equal(gnttab_refs_free(&r, GNTTAB_RESERVED_XENSTORE), -EINVAL);
    /* Nor are refs past the table. */
    assert_int_equal(gnttab_refs_free(&r, PER_FRAME), -EINVAL);
    assert_int_equal(gnttab_refs_free(&r, GNTTAB_REFS_END), -EINVAL);
    assert_int_equal(gnttab_refs_free(&r, GNTTAB_REFS_IN_USE), -EINVAL);
    assert_false(gnttab_refs_in_use(&r, PER_FRAME));
    assert_int_equal(gnttab_refs_nr_free(&r), 0);

    /* One back, one out again: the same one. */
    assert_int_equal(gnttab_refs_free(&r, 100), 0);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), 0);
    assert_int_equal(ref, 100);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);
    check_list(&r);
}

static void test_small_tables(void **state)
{
    grant_ref_t next[16], ref;
    struct gnttab_refs r;

    /* No frames yet, or fewer entries than the reserved ones: nothing free. */
    for (uint32_t n = 0; n <= RSV; n++) {
        assert_int_equal(gnttab_refs_init(&r, next, n), 0);
        assert_int_equal(gnttab_refs_nr_free(&r), 0);
        assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);
        check_list(&r);
    }
    assert_int_equal(gnttab_refs_init(&r, next, RSV + 1), 0);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), 0);
    assert_int_equal(ref, RSV);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);

    /* Too many entries to number. */
    assert_int_equal(gnttab_refs_init(&r, next, GNTTAB_REFS_MAX + 1), -EINVAL);
}

static void test_double_free(void **state)
{
    static grant_ref_t next[PER_FRAME];
    struct gnttab_refs r;
    grant_ref_t a, b;

    gnttab_refs_init(&r, next, PER_FRAME);
    assert_int_equal(gnttab_refs_alloc(&r, &a), 0);
    assert_int_equal(gnttab_refs_alloc(&r, &b), 0);
    assert_int_not_equal(a, b);
    assert_int_equal(gnttab_refs_free(&r, a), 0);
    assert_int_equal(gnttab_refs_free(&r, a), -EINVAL);
    assert_int_equal(gnttab_refs_nr_free(&r), PER_FRAME - RSV - 1);
    check_list(&r);

    /* Never handed out. */
    grant_ref_t never = a == 300 || b == 300 ? 301 : 300;
    assert_int_equal(gnttab_refs_free(&r, never), -EINVAL);
    check_list(&r);

    /* A freed ref handed out again can be freed again, once. */
    grant_ref_t c;
    assert_int_equal(gnttab_refs_alloc(&r, &c), 0);
    assert_int_equal(c, a);
    assert_int_equal(gnttab_refs_free(&r, c), 0);
    assert_int_equal(gnttab_refs_free(&r, c), -EINVAL);
    assert_int_equal(gnttab_refs_free(&r, b), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), PER_FRAME - RSV);
    check_list(&r);
}

static void test_alloc_n(void **state)
{
    grant_ref_t next[RSV + 10], refs[16];
    struct gnttab_refs r;

    gnttab_refs_init(&r, next, RSV + 10);
    assert_int_equal(gnttab_refs_alloc_n(&r, refs, 0), 0);

    /* One short: nothing taken. */
    memset(refs, 0xaa, sizeof(refs));
    assert_int_equal(gnttab_refs_alloc_n(&r, refs, 11), -ENOSPC);
    assert_int_equal(gnttab_refs_nr_free(&r), 10);
    assert_int_equal(refs[0], 0xaaaaaaaa);
    check_list(&r);

    assert_int_equal(gnttab_refs_alloc_n(&r, refs, 4), 0);
    assert_int_equal(gnttab_refs_alloc_n(&r, refs + 4, 7), -ENOSPC);
    assert_int_equal(gnttab_refs_nr_free(&r), 6);
    assert_int_equal(gnttab_refs_alloc_n(&r, refs + 4, 6), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), 0);
    assert_int_equal(gnttab_refs_alloc_n(&r, refs + 10, 1), -ENOSPC);
    for (int i = 0; i < 10; i++) {
        assert_true(refs[i] >= RSV && refs[i] < RSV + 10);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(refs[i], refs[j]);
    }
    check_list(&r);
    for (int i = 0; i < 10; i++)
        assert_int_equal(gnttab_refs_free(&r, refs[i]), 0);
    assert_int_equal(gnttab_refs_alloc_n(&r, refs, 10), 0);
    check_list(&r);
}

static void test_grow(void **state)
{
    grant_ref_t *small = malloc(2 * PER_FRAME * sizeof(grant_ref_t));
    grant_ref_t *big = malloc(4 * PER_FRAME * sizeof(grant_ref_t));
    grant_ref_t refs[4 * PER_FRAME], ref;
    struct gnttab_refs r;
    uint32_t n = 0;

    assert_non_null(small);
    assert_non_null(big);
    assert_int_equal(gnttab_refs_init(&r, small, PER_FRAME), 0);
    while (gnttab_refs_alloc(&r, &ref) == 0)
        refs[n++] = ref;
    assert_int_equal(n, PER_FRAME - RSV);

    /* In place: the array already had room for a second frame. */
    assert_int_equal(gnttab_refs_grow(&r, small, 2 * PER_FRAME), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), PER_FRAME);
    for (uint32_t i = 0; i < n; i++)
        assert_true(gnttab_refs_in_use(&r, refs[i]));
    check_list(&r);
    /* New refs come from the new frame. */
    for (uint32_t i = 0; i < PER_FRAME; i++) {
        assert_int_equal(gnttab_refs_alloc(&r, &ref), 0);
        assert_true(ref >= PER_FRAME && ref < 2 * PER_FRAME);
        refs[n++] = ref;
    }
    assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);

    /* Free a few old ones, then move to a bigger array; the old one is poisoned. */
    assert_int_equal(gnttab_refs_free(&r, refs[0]), 0);
    assert_int_equal(gnttab_refs_free(&r, refs[600]), 0);
    assert_int_equal(gnttab_refs_grow(&r, big, 4 * PER_FRAME), 0);
    memset(small, 0x5a, 2 * PER_FRAME * sizeof(grant_ref_t));
    assert_int_equal(gnttab_refs_nr_free(&r), 2 * PER_FRAME + 2);
    check_list(&r);
    for (uint32_t i = 1; i < n; i++)
        if (i != 600)
            assert_true(gnttab_refs_in_use(&r, refs[i]));
    /* Old refs still free normally, and double frees are still caught. */
    assert_int_equal(gnttab_refs_free(&r, refs[1]), 0);
    assert_int_equal(gnttab_refs_free(&r, refs[1]), -EINVAL);
    assert_int_equal(gnttab_refs_free(&r, refs[0]), -EINVAL);

    /* Shrinking is refused; the same size changes nothing. */
    assert_int_equal(gnttab_refs_grow(&r, big, 3 * PER_FRAME), -EINVAL);
    assert_int_equal(gnttab_refs_grow(&r, big, 4 * PER_FRAME), 0);
    assert_int_equal(gnttab_refs_grow(&r, big, GNTTAB_REFS_MAX + 1), -EINVAL);
    assert_int_equal(gnttab_refs_nr_free(&r), 2 * PER_FRAME + 3);
    check_list(&r);

    /* Everything can be had, each ref once. */
    bool *got = calloc(4 * PER_FRAME, 1);
    assert_non_null(got);
    for (uint32_t i = 1; i < n; i++)
        if (i != 600 && i != 1)
            got[refs[i]] = true;
    while (gnttab_refs_alloc(&r, &ref) == 0) {
        assert_false(got[ref]);
        got[ref] = true;
    }
    for (uint32_t i = RSV; i < 4 * PER_FRAME; i++)
        assert_true(got[i]);
    free(got);
    free(small);
    free(big);
}

static void test_grow_from_nothing(void **state)
{
    grant_ref_t next[PER_FRAME], ref;
    struct gnttab_refs r;

    /* No frames at first; the first frame brings the reserved entries along. */
    assert_int_equal(gnttab_refs_init(&r, next, 0), 0);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), -ENOSPC);
    assert_int_equal(gnttab_refs_grow(&r, next, 5), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), 0);
    check_list(&r);
    assert_int_equal(gnttab_refs_grow(&r, next, PER_FRAME), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), PER_FRAME - RSV);
    check_list(&r);
    assert_int_equal(gnttab_refs_alloc(&r, &ref), 0);
    assert_int_equal(ref, RSV);
    assert_int_equal(gnttab_refs_free(&r, 3), -EINVAL);
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

/* Random allocs, batches, frees (good, double, reserved, past the end), growth; against a model. */
static void test_randomized(void **state)
{
    enum { MAXN = 8 * PER_FRAME, OPS = 60000 };
    static bool out[MAXN];
    grant_ref_t *arrays[2];
    grant_ref_t batch[40];
    struct gnttab_refs r;
    uint32_t nr = PER_FRAME, nout = 0, cur = 0;
    unsigned int grows = 0, enospc = 0, einval = 0;

    rng_state = 0xbe5466cf34e90c6cULL;
    memset(out, 0, sizeof(out));
    arrays[0] = malloc(MAXN * sizeof(grant_ref_t));
    arrays[1] = malloc(MAXN * sizeof(grant_ref_t));
    assert_non_null(arrays[0]);
    assert_non_null(arrays[1]);
    gnttab_refs_init(&r, arrays[0], nr);

    for (int op = 0; op < OPS; op++) {
        uint32_t k = rnd(100);
        if (k < 35) {
            grant_ref_t ref;
            int rc = gnttab_refs_alloc(&r, &ref);
            if (nout == nr - RSV) {
                assert_int_equal(rc, -ENOSPC);
                enospc++;
            } else {
                assert_int_equal(rc, 0);
                assert_true(ref >= RSV && ref < nr);
                assert_false(out[ref]);
                out[ref] = true;
                nout++;
            }
        } else if (k < 45) {
            uint32_t n = rnd(40);
            int rc = gnttab_refs_alloc_n(&r, batch, n);
            if (n > nr - RSV - nout) {
                assert_int_equal(rc, -ENOSPC);
                enospc++;
            } else {
                assert_int_equal(rc, 0);
                for (uint32_t i = 0; i < n; i++) {
                    assert_true(batch[i] >= RSV && batch[i] < nr);
                    assert_false(out[batch[i]]);
                    out[batch[i]] = true;
                }
                nout += n;
            }
        } else if (k < 85) {
            /* Mostly refs in the table, sometimes reserved or past the end. */
            grant_ref_t ref = rnd(10) == 0 ? rnd(RSV) : rnd(10) == 0 ? nr + rnd(100) : rnd(nr);
            int rc = gnttab_refs_free(&r, ref);
            if (ref < nr && out[ref]) {
                assert_int_equal(rc, 0);
                out[ref] = false;
                nout--;
            } else {
                assert_int_equal(rc, -EINVAL);
                einval++;
            }
        } else if (k < 86 && nr < MAXN) {
            uint32_t want = nr + PER_FRAME;
            if (rnd(2)) {
                /* Into the other array: the old one is garbage afterwards. */
                grant_ref_t *old = arrays[cur];
                cur ^= 1;
                assert_int_equal(gnttab_refs_grow(&r, arrays[cur], want), 0);
                memset(old, 0xa5, MAXN * sizeof(grant_ref_t));
            } else {
                assert_int_equal(gnttab_refs_grow(&r, arrays[cur], want), 0);
            }
            nr = want;
            grows++;
        }
        assert_int_equal(gnttab_refs_nr_free(&r), nr - RSV - nout);
        if (op % 5000 == 0) {
            check_list(&r);
            for (uint32_t i = 0; i < nr; i++)
                assert_int_equal(gnttab_refs_in_use(&r, i), out[i]);
        }
    }
    check_list(&r);
    print_message("%u entries after %u grows, %u out, %u -ENOSPC, %u -EINVAL\n", nr, grows, nout,
                  enospc, einval);
    assert_true(grows > 0 && enospc > 0 && einval > 0);
    for (uint32_t i = 0; i < nr; i++)
        if (out[i])
            assert_int_equal(gnttab_refs_free(&r, i), 0);
    assert_int_equal(gnttab_refs_nr_free(&r), nr - RSV);
    check_list(&r);
    free(arrays[0]);
    free(arrays[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserved_and_exhaustion),
        cmocka_unit_test(test_small_tables),
        cmocka_unit_test(test_double_free),
        cmocka_unit_test(test_alloc_n),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_grow_from_nothing),
        cmocka_unit_test(test_randomized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
