// Host tests for core/page_alloc.c: init, mark_free/mark_used clipping, single and
// aligned run allocation, frees and their -EINVAL cases, nfree accounting, non-zero
// base, and a seeded random stress checked against a shadow model after every step.
// UNIT-SOURCES: core/page_alloc.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"

/* An allocator over [base, base + nframes) with its bitmap on the heap (ASan-checked). */
struct fixture {
    struct page_alloc pa;
    uint64_t *bitmap;
};

static struct fixture *make(uint64_t base, uint64_t nframes)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    uint64_t bytes = page_alloc_bitmap_bytes(nframes);
    f->bitmap = malloc(bytes ? bytes : 1);
    assert_non_null(f->bitmap);
    memset(f->bitmap, 0x5a, bytes); /* init must not rely on zeroed memory */
    page_alloc_init(&f->pa, f->bitmap, base, nframes);
    return f;
}

static void destroy(struct fixture *f)
{
    free(f->bitmap);
    free(f);
}

static int frame_used(const struct page_alloc *pa, uint64_t pfn)
{
    uint64_t i = pfn - pa->base;
    return (pa->bitmap[i / 64] >> (i % 64)) & 1;
}

/* ---- bitmap size, init ---- */

static void bitmap_bytes_rounds_up_to_whole_words(void **state)
{
    assert_int_equal(page_alloc_bitmap_bytes(0), 0);
    assert_int_equal(page_alloc_bitmap_bytes(1), 8);
    assert_int_equal(page_alloc_bitmap_bytes(64), 8);
    assert_int_equal(page_alloc_bitmap_bytes(65), 16);
    assert_int_equal(page_alloc_bitmap_bytes(128), 16);
    /* 4 GiB of 4 KiB frames: 1 Mi frames, 128 KiB of bitmap. */
    assert_int_equal(page_alloc_bitmap_bytes(1ULL << 20), 128 * 1024);
}

static void init_marks_every_frame_used(void **state)
{
    struct fixture *f = make(0x100, 100);
    assert_int_equal(f->pa.base, 0x100);
    assert_int_equal(f->pa.nframes, 100);
    assert_int_equal(f->pa.nfree, 0);
    assert_int_equal(f->bitmap[0], ~0ULL);
    assert_int_equal(f->bitmap[1], ~0ULL); /* tail bits past frame 100 too */
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 4, 4), PFN_NONE);
    destroy(f);
}

static void zero_frames_allocator_gives_nothing(void **state)
{
    struct fixture *f = make(0x100, 0);
    page_alloc_mark_free(&f->pa, 0, UINT64_MAX);
    assert_int_equal(f->pa.nfree, 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_free(&f->pa, 0x100, 1), -EINVAL);
    destroy(f);
}

/* ---- mark_free / mark_used ---- */

static void mark_free_counts_each_frame_once(void **state)
{
    struct fixture *f = make(0, 256);
    page_alloc_mark_free(&f->pa, 10, 20);
    assert_int_equal(f->pa.nfree, 20);
    page_alloc_mark_free(&f->pa, 10, 20);
    assert_int_equal(f->pa.nfree, 20);
    page_alloc_mark_free(&f->pa, 25, 10); /* overlaps 25..29 */
    assert_int_equal(f->pa.nfree, 25);
    for (uint64_t p = 0; p < 256; p++)
        assert_int_equal(frame_used(&f->pa, p), !(p >= 10 && p < 35));
    destroy(f);
}

static void mark_free_clips_to_tracked_range(void **state)
{
    struct fixture *f = make(0x100, 100);            /* frames 0x100 .. 0x163 */
    page_alloc_mark_free(&f->pa, 0, 0x100);          /* entirely below */
    page_alloc_mark_free(&f->pa, 0x164, 50);         /* entirely above */
    page_alloc_mark_free(&f->pa, 0x200, UINT64_MAX); /* above, wrapping */
    page_alloc_mark_free(&f->pa, 0x105, 0);          /* empty */
    assert_int_equal(f->pa.nfree, 0);
    page_alloc_mark_free(&f->pa, 0xf0, 0x15); /* 0xf0..0x104 -> 0x100..0x104 */
    assert_int_equal(f->pa.nfree, 5);
    page_alloc_mark_free(&f->pa, 0x160, 0x100); /* 0x160..0x25f -> 0x160..0x163 */
    assert_int_equal(f->pa.nfree, 9);
    for (uint64_t p = 0x100; p < 0x164; p++)
        assert_int_equal(frame_used(&f->pa, p), !(p < 0x105 || p >= 0x160));
    assert_int_equal(f->bitmap[1] >> (100 - 64), ~0ULL >> (100 - 64)); /* tail untouched */
    page_alloc_mark_free(&f->pa, 0x50, UINT64_MAX); /* wraps: clipped to the end */
    assert_int_equal(f->pa.nfree, 100);
    assert_int_equal(f->bitmap[1] >> (100 - 64), ~0ULL >> (100 - 64));
    destroy(f);
}

static void mark_used_clips_and_counts(void **state)
{
    struct fixture *f = make(0x100, 100);
    page_alloc_mark_free(&f->pa, 0x100, 100);
    assert_int_equal(f->pa.nfree, 100);
    page_alloc_mark_used(&f->pa, 0, 0x102); /* clipped to 0x100..0x101 */
    assert_int_equal(f->pa.nfree, 98);
    page_alloc_mark_used(&f->pa, 0x100, 2); /* already used: no change */
    assert_int_equal(f->pa.nfree, 98);
    page_alloc_mark_used(&f->pa, 0x162, 1000); /* clipped to 0x162..0x163 */
    assert_int_equal(f->pa.nfree, 96);
    page_alloc_mark_used(&f->pa, 0x1000, 5); /* out of range */
    page_alloc_mark_used(&f->pa, 0x130, 0);  /* empty */
    assert_int_equal(f->pa.nfree, 96);
    page_alloc_mark_used(&f->pa, 0x130, UINT64_MAX); /* wraps: clipped to the end */
    assert_int_equal(f->pa.nfree, 0x130 - 0x102);
    for (uint64_t p = 0x100; p < 0x164; p++)
        assert_int_equal(frame_used(&f->pa, p), p < 0x102 || p >= 0x130);
    destroy(f);
}

static void mark_used_frames_are_never_allocated(void **state)
{
    struct fixture *f = make(0, 128);
    page_alloc_mark_free(&f->pa, 0, 128);
    page_alloc_mark_used(&f->pa, 0, 64);
    page_alloc_mark_used(&f->pa, 100, 10);
    for (int i = 0; i < 54; i++) {
        uint64_t p = page_alloc_alloc(&f->pa, 1, 1);
        assert_int_not_equal(p, PFN_NONE);
        assert_true(p >= 64 && p < 128 && !(p >= 100 && p < 110));
    }
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    destroy(f);
}

/* ---- single frames ---- */

static void alloc_single_frames_until_exhausted(void **state)
{
    const uint64_t base = 0x100, n = 1000; /* not a multiple of 64 */
    struct fixture *f = make(base, n);
    uint8_t *seen = calloc(n, 1);
    assert_non_null(seen);
    page_alloc_mark_free(&f->pa, base, n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = page_alloc_alloc(&f->pa, 1, 1);
        assert_int_not_equal(p, PFN_NONE);
        assert_in_range(p, base, base + n - 1);
        assert_int_equal(seen[p - base], 0); /* no frame handed out twice */
        seen[p - base] = 1;
        assert_int_equal(f->pa.nfree, n - 1 - i);
    }
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(f->pa.nfree, 0);
    free(seen);
    destroy(f);
}

static void alloc_single_frames_skip_holes(void **state)
{
    struct fixture *f = make(0, 300);
    page_alloc_mark_free(&f->pa, 5, 3);   /* 5 6 7 */
    page_alloc_mark_free(&f->pa, 130, 1); /* 130, two words on */
    page_alloc_mark_free(&f->pa, 299, 1); /* the last frame */
    uint64_t got[5];
    for (int i = 0; i < 5; i++)
        got[i] = page_alloc_alloc(&f->pa, 1, 1);
    /* First fit: lowest frame first. */
    assert_int_equal(got[0], 5);
    assert_int_equal(got[1], 6);
    assert_int_equal(got[2], 7);
    assert_int_equal(got[3], 130);
    assert_int_equal(got[4], 299);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    destroy(f);
}

static void freed_frame_is_reused(void **state)
{
    struct fixture *f = make(0, 200);
    page_alloc_mark_free(&f->pa, 0, 200);
    for (int i = 0; i < 200; i++)
        assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), (uint64_t)i);
    assert_int_equal(page_alloc_free(&f->pa, 77, 1), 0);
    assert_int_equal(f->pa.nfree, 1);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 77);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    /* A frame below the search hint comes back too. */
    assert_int_equal(page_alloc_free(&f->pa, 3, 1), 0);
    assert_int_equal(page_alloc_free(&f->pa, 190, 1), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 3);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 190);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    destroy(f);
}

static void mark_free_below_hint_is_found(void **state)
{
    struct fixture *f = make(0, 512);
    page_alloc_mark_free(&f->pa, 400, 10);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 400);
    page_alloc_mark_free(&f->pa, 2, 1);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 2);
    page_alloc_mark_free(&f->pa, 64, 8);
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 8), 64);
    destroy(f);
}

/* ---- frees that must fail ---- */

static void double_free_returns_einval(void **state)
{
    struct fixture *f = make(0, 64);
    page_alloc_mark_free(&f->pa, 0, 64);
    uint64_t p = page_alloc_alloc(&f->pa, 1, 1);
    assert_int_equal(page_alloc_free(&f->pa, p, 1), 0);
    assert_int_equal(f->pa.nfree, 64);
    assert_int_equal(page_alloc_free(&f->pa, p, 1), -EINVAL);
    assert_int_equal(f->pa.nfree, 64);
    destroy(f);
}

static void free_of_run_with_one_free_frame_changes_nothing(void **state)
{
    struct fixture *f = make(0, 64);
    page_alloc_mark_free(&f->pa, 0, 64);
    uint64_t p = page_alloc_alloc(&f->pa, 8, 1);
    assert_int_equal(p, 0);
    assert_int_equal(page_alloc_free(&f->pa, 5, 1), 0);
    assert_int_equal(f->pa.nfree, 57);
    /* Freeing the whole run again fails as a whole: frames 0-4, 6-7 stay allocated. */
    assert_int_equal(page_alloc_free(&f->pa, 0, 8), -EINVAL);
    assert_int_equal(f->pa.nfree, 57);
    for (uint64_t i = 0; i < 8; i++)
        assert_int_equal(frame_used(&f->pa, i), i != 5);
    assert_int_equal(page_alloc_free(&f->pa, 0, 5), 0);
    assert_int_equal(page_alloc_free(&f->pa, 6, 2), 0);
    assert_int_equal(f->pa.nfree, 64);
    destroy(f);
}

static void free_of_never_allocated_frame_returns_einval(void **state)
{
    struct fixture *f = make(0x100, 128);
    page_alloc_mark_free(&f->pa, 0x100, 128);
    assert_int_equal(page_alloc_free(&f->pa, 0x140, 1), -EINVAL);
    assert_int_equal(page_alloc_free(&f->pa, 0x100, 128), -EINVAL);
    assert_int_equal(f->pa.nfree, 128);
    destroy(f);
}

static void free_out_of_range_returns_einval(void **state)
{
    struct fixture *f = make(0x100, 100);
    page_alloc_mark_free(&f->pa, 0x100, 100);
    for (int i = 0; i < 100; i++)
        assert_int_not_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_free(&f->pa, 0xff, 1), -EINVAL); /* just below */
    assert_int_equal(page_alloc_free(&f->pa, 0xff, 2), -EINVAL); /* straddles base */
    assert_int_equal(page_alloc_free(&f->pa, 0x0, 1), -EINVAL);
    assert_int_equal(page_alloc_free(&f->pa, 0x164, 1), -EINVAL); /* just above */
    assert_int_equal(page_alloc_free(&f->pa, 0x163, 2), -EINVAL); /* straddles the end */
    assert_int_equal(page_alloc_free(&f->pa, 0x100, 101), -EINVAL);
    assert_int_equal(page_alloc_free(&f->pa, 0x110, UINT64_MAX), -EINVAL);
    assert_int_equal(page_alloc_free(&f->pa, UINT64_MAX, 2), -EINVAL); /* pfn + n wraps */
    assert_int_equal(page_alloc_free(&f->pa, PFN_NONE, 1), -EINVAL);
    assert_int_equal(f->pa.nfree, 0);
    /* Nothing was freed by the failures. */
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_free(&f->pa, 0x163, 1), 0);
    assert_int_equal(page_alloc_free(&f->pa, 0x100, 99), 0);
    assert_int_equal(f->pa.nfree, 100);
    destroy(f);
}

/* ---- bad requests ---- */

static void alloc_rejects_bad_requests(void **state)
{
    struct fixture *f = make(0, 64);
    page_alloc_mark_free(&f->pa, 0, 64);
    assert_int_equal(page_alloc_alloc(&f->pa, 0, 1), PFN_NONE); /* nothing */
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 0), PFN_NONE); /* align 0 */
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 3), PFN_NONE); /* not a power of two */
    assert_int_equal(page_alloc_alloc(&f->pa, 2, 12), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 65, 1), PFN_NONE); /* more than nfree */
    assert_int_equal(page_alloc_alloc(&f->pa, UINT64_MAX, 1), PFN_NONE);
    assert_int_equal(f->pa.nfree, 64);
    assert_int_equal(page_alloc_alloc(&f->pa, 64, 1), 0); /* all of it */
    assert_int_equal(f->pa.nfree, 0);
    destroy(f);
}

/* ---- contiguous runs and alignment ---- */

static void run_with_align_1_takes_first_fit(void **state)
{
    struct fixture *f = make(0, 256);
    page_alloc_mark_free(&f->pa, 3, 4);    /* 3..6: too short for 5 */
    page_alloc_mark_free(&f->pa, 10, 5);   /* 10..14: exactly 5 */
    page_alloc_mark_free(&f->pa, 60, 100); /* 60..159, crosses words */
    assert_int_equal(page_alloc_alloc(&f->pa, 5, 1), 10);
    assert_int_equal(page_alloc_alloc(&f->pa, 5, 1), 60);
    assert_int_equal(page_alloc_alloc(&f->pa, 4, 1), 3);
    assert_int_equal(page_alloc_alloc(&f->pa, 95, 1), 65);
    assert_int_equal(f->pa.nfree, 0);
    destroy(f);
}

static void run_with_align_8_starts_on_multiple_of_8(void **state)
{
    struct fixture *f = make(0, 256);
    page_alloc_mark_free(&f->pa, 3, 253);
    assert_int_equal(page_alloc_alloc(&f->pa, 4, 8), 8);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 8), 16);
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 8), 24);
    assert_int_equal(page_alloc_alloc(&f->pa, 3, 1), 3);  /* unaligned fills below */
    assert_int_equal(page_alloc_alloc(&f->pa, 9, 8), 32); /* 32..40 */
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 8), 48); /* 40 is taken */
    destroy(f);
}

static void run_with_align_512_uses_a_2m_boundary(void **state)
{
    struct fixture *f = make(0, 2048);
    page_alloc_mark_free(&f->pa, 1, 2047);
    assert_int_equal(page_alloc_alloc(&f->pa, 512, 512), 512);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 512), 1024);
    /* 1025..1535 is not 512 long from an aligned start: next is 1536. */
    assert_int_equal(page_alloc_alloc(&f->pa, 512, 512), 1536);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 512), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 511, 1), 1);
    assert_int_equal(page_alloc_alloc(&f->pa, 511, 1), 1025);
    assert_int_equal(f->pa.nfree, 0);
    destroy(f);
}

static void run_does_not_span_a_hole(void **state)
{
    struct fixture *f = make(0, 128);
    page_alloc_mark_free(&f->pa, 0, 10);  /* 0..9 */
    page_alloc_mark_free(&f->pa, 20, 80); /* 20..99; 10..19 is a hole */
    assert_int_equal(page_alloc_alloc(&f->pa, 15, 1), 20);
    assert_int_equal(page_alloc_alloc(&f->pa, 10, 1), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 35);
    /* 64 free frames remain (36..99) in one run, but not 66. */
    assert_int_equal(page_alloc_alloc(&f->pa, 66, 1), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 64, 1), 36);
    destroy(f);
}

static void run_fails_when_free_frames_are_fragmented(void **state)
{
    struct fixture *f = make(0, 256);
    for (uint64_t p = 0; p < 256; p += 2)
        page_alloc_mark_free(&f->pa, p, 1);
    assert_int_equal(f->pa.nfree, 128);
    assert_int_equal(page_alloc_alloc(&f->pa, 2, 1), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 2, 2), PFN_NONE);
    assert_int_equal(f->pa.nfree, 128);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 2), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 4), 4);
    destroy(f);
}

static void run_never_extends_past_the_last_frame(void **state)
{
    struct fixture *f = make(0, 70);
    page_alloc_mark_free(&f->pa, 0, 70);
    assert_int_equal(page_alloc_alloc(&f->pa, 60, 1), 0);
    /* 60..69 are free (10 frames), but an 8-aligned run of 8 would need 64..71: the
     * bitmap's word has bits for 70..127, which are not frames. */
    assert_int_equal(f->pa.nfree, 10);
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 8), PFN_NONE);
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 1), 60);
    assert_int_equal(page_alloc_alloc(&f->pa, 2, 2), 68);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    destroy(f);
}

static void run_free_and_reuse(void **state)
{
    struct fixture *f = make(0, 1024);
    page_alloc_mark_free(&f->pa, 0, 1024);
    uint64_t a = page_alloc_alloc(&f->pa, 100, 1);
    uint64_t b = page_alloc_alloc(&f->pa, 100, 1);
    uint64_t c = page_alloc_alloc(&f->pa, 100, 1);
    assert_int_equal(a, 0);
    assert_int_equal(b, 100);
    assert_int_equal(c, 200);
    assert_int_equal(page_alloc_free(&f->pa, b, 100), 0);
    assert_int_equal(f->pa.nfree, 1024 - 200);
    assert_int_equal(page_alloc_alloc(&f->pa, 100, 1), 100);
    assert_int_equal(page_alloc_free(&f->pa, a, 100), 0);
    assert_int_equal(page_alloc_free(&f->pa, c, 100), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 64, 64), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 64, 64), 256); /* 64..127 has b's frames */
    destroy(f);
}

/* ---- non-zero base ---- */

static void nonzero_base_returns_absolute_frame_numbers(void **state)
{
    struct fixture *f = make(0x100, 0x200);
    page_alloc_mark_free(&f->pa, 0x100, 0x200);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 0x100);
    assert_int_equal(page_alloc_alloc(&f->pa, 2, 1), 0x101);
    assert_int_equal(page_alloc_free(&f->pa, 0x100, 1), 0);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 0x100);
    /* 0x200 is the first 512-aligned frame number; index 0x100 in the bitmap. */
    assert_int_equal(page_alloc_alloc(&f->pa, 0x100, 0x200), 0x200);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 0x200), PFN_NONE);
    destroy(f);
}

static void alignment_is_of_frame_numbers_not_bitmap_indices(void **state)
{
    struct fixture *f = make(0x103, 64); /* frames 0x103 .. 0x142 */
    page_alloc_mark_free(&f->pa, 0x103, 64);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 8), 0x108);
    assert_int_equal(page_alloc_alloc(&f->pa, 8, 8), 0x110);
    assert_int_equal(page_alloc_alloc(&f->pa, 16, 16), 0x120);
    assert_int_equal(page_alloc_alloc(&f->pa, 4, 64), PFN_NONE); /* 0x140 + 4 > 0x143 */
    assert_int_equal(page_alloc_alloc(&f->pa, 3, 64), 0x140);
    assert_int_equal(page_alloc_alloc(&f->pa, 5, 1), 0x103);
    destroy(f);
}

static void large_base_above_4g(void **state)
{
    const uint64_t base = 0x100000; /* frame of 4 GiB */
    struct fixture *f = make(base, 4096);
    page_alloc_mark_free(&f->pa, base + 1000, 3000);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), base + 1000);
    assert_int_equal(page_alloc_alloc(&f->pa, 512, 512), base + 1024);
    assert_int_equal(page_alloc_free(&f->pa, base + 1024, 512), 0);
    assert_int_equal(page_alloc_free(&f->pa, base + 1001, 1), -EINVAL); /* free, not allocated */
    assert_int_equal(f->pa.nfree, 2999);
    destroy(f);
}

/* ---- nfree accounting ---- */

static void nfree_tracks_every_operation(void **state)
{
    struct fixture *f = make(0, 300);
    assert_int_equal(f->pa.nfree, 0);
    page_alloc_mark_free(&f->pa, 0, 300);
    assert_int_equal(f->pa.nfree, 300);
    page_alloc_mark_used(&f->pa, 0, 10);
    assert_int_equal(f->pa.nfree, 290);
    uint64_t a = page_alloc_alloc(&f->pa, 1, 1);
    assert_int_equal(f->pa.nfree, 289);
    uint64_t b = page_alloc_alloc(&f->pa, 50, 16);
    assert_int_equal(f->pa.nfree, 239);
    assert_int_equal(page_alloc_alloc(&f->pa, 240, 1), PFN_NONE);
    assert_int_equal(f->pa.nfree, 239);
    assert_int_equal(page_alloc_free(&f->pa, a, 1), 0);
    assert_int_equal(f->pa.nfree, 240);
    assert_int_equal(page_alloc_free(&f->pa, a, 1), -EINVAL);
    assert_int_equal(f->pa.nfree, 240);
    assert_int_equal(page_alloc_free(&f->pa, b + 10, 20), 0); /* part of a run */
    assert_int_equal(f->pa.nfree, 260);
    assert_int_equal(page_alloc_free(&f->pa, b, 50), -EINVAL);
    assert_int_equal(f->pa.nfree, 260);
    page_alloc_mark_free(&f->pa, 0, 300);
    assert_int_equal(f->pa.nfree, 300);
    destroy(f);
}

/* ---- randomized stress against a shadow model ---- */

#define STRESS_BASE   0x100
#define STRESS_FRAMES 3000 /* not a multiple of 64 */
#define STRESS_OPS    20000

struct held {
    uint64_t pfn, n;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed, the same sequence on every host. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd(uint64_t n)
{
    return rng() % n;
}

/* shadow[i]: 1 = in use. Returns whether [pfn, pfn + n) is all in range and in use. */
static int shadow_all_used(const uint8_t *shadow, uint64_t pfn, uint64_t n)
{
    if (pfn < STRESS_BASE || n > STRESS_FRAMES || pfn - STRESS_BASE > STRESS_FRAMES - n)
        return 0;
    for (uint64_t k = 0; k < n; k++)
        if (!shadow[pfn - STRESS_BASE + k])
            return 0;
    return 1;
}

/* Whether the model has n free frames from some multiple of align. */
static int shadow_has_run(const uint8_t *shadow, uint64_t n, uint64_t align)
{
    static uint64_t run[STRESS_FRAMES + 1]; /* run[i]: free frames from index i on */
    run[STRESS_FRAMES] = 0;
    for (uint64_t i = STRESS_FRAMES; i-- > 0;)
        run[i] = shadow[i] ? 0 : run[i + 1] + 1;
    uint64_t start = (STRESS_BASE + align - 1) & ~(align - 1);
    for (; start < STRESS_BASE + STRESS_FRAMES; start += align)
        if (run[start - STRESS_BASE] >= n)
            return 1;
    return 0;
}

static void shadow_set(uint8_t *shadow, uint64_t pfn, uint64_t n, int used)
{
    /* Clipped like mark_free/mark_used. */
    uint64_t lo = pfn, hi = pfn + n < pfn ? UINT64_MAX : pfn + n;
    if (lo < STRESS_BASE)
        lo = STRESS_BASE;
    if (hi > STRESS_BASE + STRESS_FRAMES)
        hi = STRESS_BASE + STRESS_FRAMES;
    for (uint64_t p = lo; p < hi; p++)
        shadow[p - STRESS_BASE] = (uint8_t)used;
}

static void check_against_shadow(const struct page_alloc *pa, const uint8_t *shadow, int op)
{
    uint64_t nfree = 0;
    for (uint64_t i = 0; i < STRESS_FRAMES; i++) {
        if (frame_used(pa, STRESS_BASE + i) != shadow[i]) {
            print_message("op %d: frame %#llx is %d, model says %d\n", op,
                          (unsigned long long)(STRESS_BASE + i), frame_used(pa, STRESS_BASE + i),
                          shadow[i]);
            fail();
        }
        nfree += !shadow[i];
    }
    /* Tail bits of the last word stay set: nothing past the end looks free. */
    uint64_t tail = STRESS_FRAMES % 64;
    assert_int_equal(pa->bitmap[STRESS_FRAMES / 64] >> tail, ~0ULL >> tail);
    assert_int_equal(pa->nfree, nfree);
}

static void random_stress_matches_shadow_model(void **state)
{
    static const uint64_t aligns[] = {1, 1, 1, 1, 2, 4, 8, 64, 512};
    struct fixture *f = make(STRESS_BASE, STRESS_FRAMES);
    uint8_t *shadow = malloc(STRESS_FRAMES);
    struct held *held = calloc(STRESS_OPS, sizeof(*held));
    size_t nheld = 0;
    uint64_t nfree_model = 0;
    int allocs = 0, failed_allocs = 0, frees = 0, einvals = 0;

    assert_non_null(shadow);
    assert_non_null(held);
    rng_state = 0x9e3779b97f4a7c15ULL;
    memset(shadow, 1, STRESS_FRAMES);

    /* Free RAM with holes, as a memory map would give it. */
    for (uint64_t p = STRESS_BASE; p < STRESS_BASE + STRESS_FRAMES;) {
        uint64_t len = 1 + rnd(300);
        if (rnd(4)) {
            page_alloc_mark_free(&f->pa, p, len);
            shadow_set(shadow, p, len, 0);
        }
        p += len;
    }
    check_against_shadow(&f->pa, shadow, -1);

    for (int op = 0; op < STRESS_OPS; op++) {
        uint64_t r = rnd(100);
        if (r < 50) {
            /* Allocate: mostly single frames, sometimes aligned runs. */
            uint64_t n = rnd(3) ? 1 : 1 + rnd(rnd(8) ? 16 : 600);
            uint64_t align = aligns[rnd(sizeof(aligns) / sizeof(aligns[0]))];
            uint64_t p = page_alloc_alloc(&f->pa, n, align);
            if (p == PFN_NONE) {
                failed_allocs++;
                if (shadow_has_run(shadow, n, align)) {
                    print_message("op %d: alloc(%llu, %llu) failed with a free run\n", op,
                                  (unsigned long long)n, (unsigned long long)align);
                    fail();
                }
            } else {
                allocs++;
                assert_int_equal(p % align, 0);
                assert_true(p >= STRESS_BASE && p + n <= STRESS_BASE + STRESS_FRAMES);
                for (uint64_t k = 0; k < n; k++)
                    if (shadow[p - STRESS_BASE + k]) {
                        print_message("op %d: alloc(%llu, %llu) = %#llx overlaps %#llx\n", op,
                                      (unsigned long long)n, (unsigned long long)align,
                                      (unsigned long long)p, (unsigned long long)(p + k));
                        fail();
                    }
                shadow_set(shadow, p, n, 1);
                held[nheld++] = (struct held){p, n};
            }
        } else if (r < 88 && nheld > 0) {
            /* Free a held allocation, whole or its front part. */
            size_t i = rnd(nheld);
            struct held h = held[i];
            uint64_t n = rnd(4) ? h.n : 1 + rnd(h.n);
            int want = shadow_all_used(shadow, h.pfn, n) ? 0 : -EINVAL;
            assert_int_equal(page_alloc_free(&f->pa, h.pfn, n), want);
            if (want == 0) {
                frees++;
                shadow_set(shadow, h.pfn, n, 0);
            } else {
                einvals++;
            }
            if (n == h.n || want != 0)
                held[i] = held[--nheld];
            else
                held[i] = (struct held){h.pfn + n, h.n - n};
        } else if (r < 96) {
            /* Free an arbitrary range: double frees, never-allocated, out of range. */
            uint64_t p = STRESS_BASE - 8 + rnd(STRESS_FRAMES + 16);
            uint64_t n = 1 + rnd(4);
            int want = shadow_all_used(shadow, p, n) ? 0 : -EINVAL;
            /* Freeing frames that are in use only because they were never freed at
             * set-up succeeds with one bit per frame; keep to allocated ones. */
            int held_only = 1;
            for (uint64_t k = 0; want == 0 && k < n; k++) {
                int found = 0;
                for (size_t j = 0; j < nheld && !found; j++)
                    found = p + k >= held[j].pfn && p + k < held[j].pfn + held[j].n;
                held_only &= found;
            }
            if (want == 0 && !held_only)
                continue;
            assert_int_equal(page_alloc_free(&f->pa, p, n), want);
            if (want == 0)
                shadow_set(shadow, p, n, 0); /* held entries now stale: frees of them fail */
            else
                einvals++;
        } else if (r < 98) {
            uint64_t p = STRESS_BASE - 8 + rnd(STRESS_FRAMES + 16), n = rnd(40);
            page_alloc_mark_free(&f->pa, p, n);
            shadow_set(shadow, p, n, 0);
        } else {
            uint64_t p = STRESS_BASE - 8 + rnd(STRESS_FRAMES + 16), n = rnd(40);
            page_alloc_mark_used(&f->pa, p, n);
            shadow_set(shadow, p, n, 1);
        }

        nfree_model = 0;
        for (uint64_t i = 0; i < STRESS_FRAMES; i++)
            nfree_model += !shadow[i];
        assert_int_equal(f->pa.nfree, nfree_model);
        if (op % 64 == 0)
            check_against_shadow(&f->pa, shadow, op);
    }
    check_against_shadow(&f->pa, shadow, STRESS_OPS);
    print_message("stress: %d allocs, %d failed allocs, %d frees, %d -EINVAL\n", allocs,
                  failed_allocs, frees, einvals);
    /* The mix really exercised every path. */
    assert_true(allocs > 1000 && failed_allocs > 100 && frees > 1000 && einvals > 100);
    free(held);
    free(shadow);
    destroy(f);
}

/* Ballooning: take leaves keep_free, highest frames first; absent frames are not free. */
static void take_gives_highest_frames_and_keeps_a_floor(void **state)
{
    struct fixture *f = make(100, 130);
    uint64_t *absent = malloc(page_alloc_bitmap_bytes(130));
    page_alloc_set_absent_map(&f->pa, absent);
    page_alloc_mark_free(&f->pa, 100, 130);
    page_alloc_mark_used(&f->pa, 229, 1); /* the top frame is in use: skipped */
    uint64_t pfns[200];
    assert_int_equal(page_alloc_take(&f->pa, pfns, 3, 0), 3);
    assert_int_equal(pfns[0], 228);
    assert_int_equal(pfns[1], 227);
    assert_int_equal(pfns[2], 226);
    assert_int_equal(f->pa.nabsent, 3);
    assert_int_equal(f->pa.nfree, 126);
    /* Only down to the floor, however many are asked for. */
    assert_int_equal(page_alloc_take(&f->pa, pfns, 200, 100), 26);
    assert_int_equal(f->pa.nfree, 100);
    assert_int_equal(page_alloc_take(&f->pa, pfns, 1, 100), 0);
    /* Nothing allocates an absent frame; freeing one is refused. */
    for (int i = 0; i < 100; i++)
        assert_true(page_alloc_alloc(&f->pa, 1, 1) < 200);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), PFN_NONE);
    assert_int_equal(page_alloc_free(&f->pa, 228, 1), -EINVAL);
    free(absent);
    destroy(f);
}

static void absent_frames_listed_and_given_back(void **state)
{
    struct fixture *f = make(0, 256);
    uint64_t *absent = malloc(page_alloc_bitmap_bytes(256));
    page_alloc_set_absent_map(&f->pa, absent);
    page_alloc_mark_free(&f->pa, 0, 256);
    uint64_t pfns[256], list[256];
    assert_int_equal(page_alloc_take(&f->pa, pfns, 70, 0), 70); /* 186..255 */
    assert_int_equal(page_alloc_absent(&f->pa, list, 256), 70);
    assert_int_equal(list[0], 186);
    assert_int_equal(list[69], 255);
    assert_int_equal(page_alloc_absent(&f->pa, list, 5), 5);
    assert_int_equal(list[4], 190);
    assert_int_equal(page_alloc_give(&f->pa, 186), 0);
    assert_int_equal(page_alloc_give(&f->pa, 186), -EINVAL); /* not absent any more */
    assert_int_equal(page_alloc_give(&f->pa, 3), -EINVAL);   /* never taken */
    assert_int_equal(page_alloc_give(&f->pa, 256), -EINVAL); /* out of range */
    assert_int_equal(f->pa.nabsent, 69);
    assert_int_equal(f->pa.nfree, 187);
    /* A given-back frame is allocatable and freeable again. */
    page_alloc_mark_used(&f->pa, 0, 186);
    assert_int_equal(page_alloc_alloc(&f->pa, 1, 1), 186);
    assert_int_equal(page_alloc_free(&f->pa, 186, 1), 0);
    free(absent);
    destroy(f);
}

static void take_without_absent_map_takes_nothing(void **state)
{
    struct fixture *f = make(0, 64);
    page_alloc_mark_free(&f->pa, 0, 64);
    uint64_t pfns[4];
    assert_int_equal(page_alloc_take(&f->pa, pfns, 4, 0), 0);
    assert_int_equal(page_alloc_absent(&f->pa, pfns, 4), 0);
    assert_int_equal(page_alloc_give(&f->pa, 1), -EINVAL);
    destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bitmap_bytes_rounds_up_to_whole_words),
        cmocka_unit_test(init_marks_every_frame_used),
        cmocka_unit_test(zero_frames_allocator_gives_nothing),
        cmocka_unit_test(mark_free_counts_each_frame_once),
        cmocka_unit_test(mark_free_clips_to_tracked_range),
        cmocka_unit_test(mark_used_clips_and_counts),
        cmocka_unit_test(mark_used_frames_are_never_allocated),
        cmocka_unit_test(alloc_single_frames_until_exhausted),
        cmocka_unit_test(alloc_single_frames_skip_holes),
        cmocka_unit_test(freed_frame_is_reused),
        cmocka_unit_test(mark_free_below_hint_is_found),
        cmocka_unit_test(double_free_returns_einval),
        cmocka_unit_test(free_of_run_with_one_free_frame_changes_nothing),
        cmocka_unit_test(free_of_never_allocated_frame_returns_einval),
        cmocka_unit_test(free_out_of_range_returns_einval),
        cmocka_unit_test(alloc_rejects_bad_requests),
        cmocka_unit_test(run_with_align_1_takes_first_fit),
        cmocka_unit_test(run_with_align_8_starts_on_multiple_of_8),
        cmocka_unit_test(run_with_align_512_uses_a_2m_boundary),
        cmocka_unit_test(run_does_not_span_a_hole),
        cmocka_unit_test(run_fails_when_free_frames_are_fragmented),
        cmocka_unit_test(run_never_extends_past_the_last_frame),
        cmocka_unit_test(run_free_and_reuse),
        cmocka_unit_test(nonzero_base_returns_absolute_frame_numbers),
        cmocka_unit_test(alignment_is_of_frame_numbers_not_bitmap_indices),
        cmocka_unit_test(large_base_above_4g),
        cmocka_unit_test(nfree_tracks_every_operation),
        cmocka_unit_test(random_stress_matches_shadow_model),
        cmocka_unit_test(take_gives_highest_frames_and_keeps_a_floor),
        cmocka_unit_test(absent_frames_listed_and_given_back),
        cmocka_unit_test(take_without_absent_map_takes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
