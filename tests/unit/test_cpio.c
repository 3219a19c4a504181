// Host tests for core/cpio.c: newc entries walked and indexed, paths canonical, lookups
// and directory listings (implied directories, the root), hard links, a path given twice,
// and corruption of every kind (each truncation, bad magic and digits, names without
// their NUL, sizes past the end, a 070702 checksum that does not add up): -EIO, no crash.
// UNIT-SOURCES: core/cpio.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/cpio.h"
#include "tests/unit/cpio_writer.h"

#define DIR   (CPIO_S_IFDIR | 0755)
#define FILE_ (CPIO_S_IFREG | 0644)

static uint8_t arc[8192];

/* What `find . | cpio -o -H newc` writes for a small tree (hard link: data on the last). */
static size_t sample(void)
{
    struct cpio_out o = {arc, 0, sizeof(arc)};
    cpio_add(&o, "070701", ".", DIR, 1, 2, "", 0);
    cpio_add(&o, "070701", "./etc", DIR, 2, 2, "", 0);
    cpio_add(&o, "070701", "./etc/motd", FILE_, 3, 1, "hi\n", 3);
    cpio_add(&o, "070701", "./a.txt", FILE_, 4, 2, "", 0);
    cpio_add(&o, "070701", "./b.txt", FILE_, 4, 2, "linked", 6);
    cpio_add(&o, "070701", "deep/er/file", FILE_, 5, 1, "d", 1);   /* no entries for its dirs */
    cpio_add(&o, "070701", "./etc-x", FILE_, 6, 1, "x", 1);        /* sorts between etc, etc/ */
    cpio_add(&o, "070701", "./bad/../up", FILE_, 7, 1, "u", 1);    /* skipped */
    cpio_add(&o, "070701", "./etc/motd", FILE_, 8, 1, "new\n", 4); /* again: this one wins */
    cpio_trailer(&o);
    assert_true(o.len <= sizeof(arc));
    return o.len;
}

static void test_walk(void **state)
{
    size_t len = sample();
    struct cpio_iter it;
    struct cpio_entry e;
    int n = 0;
    cpio_iter_init(&it, arc, len);
    while (cpio_next(&it, &e) == 1) {
        assert_true(e.data >= arc && e.data + e.size <= arc + len);
        assert_int_equal(e.name[e.namelen], '\0');
        n++;
    }
    assert_int_equal(n, 9);
    assert_int_equal(cpio_next(&it, &e), 0);
    assert_null(it.why);
}

static void test_name_path(void **state)
{
    const char *root[] = {".", "./", "/", "./.", ".//"};
    for (size_t i = 0; i < sizeof(root) / sizeof(root[0]); i++) {
        int at = cpio_name_path(root[i], strlen(root[i]));
        assert_int_equal(at, (int)strlen(root[i]));
    }
    assert_int_equal(cpio_name_path("./etc/motd", 10), 2);
    assert_int_equal(cpio_name_path("etc", 3), 0);
    assert_int_equal(cpio_name_path("/abs", 4), 1);
    assert_int_equal(cpio_name_path("..", 2), -1);
    assert_int_equal(cpio_name_path("./a/../b", 8), -1);
    assert_int_equal(cpio_name_path("a//b", 4), -1);
    assert_int_equal(cpio_name_path("a/./b", 5), -1);
    assert_int_equal(cpio_name_path("a/", 2), -1);
    assert_int_equal(cpio_name_path(".hidden", 7), 0);
    assert_int_equal(cpio_name_path("...", 3), 0);
}

static struct cpio_index idx;

static const char *child_names(const char *dir, char *out)
{
    size_t pos = 0, len;
    const struct cpio_file *f;
    out[0] = '\0';
    while ((f = cpio_next_child(&idx, dir, strlen(dir), &pos))) {
        const char *b = cpio_basename(f, &len);
        strncat(out, b, len);
        strcat(out, " ");
    }
    return out;
}

static void test_index(void **state)
{
    size_t len = sample();
    char names[256];
    assert_int_equal(cpio_index_build(&idx, arc, len, malloc), 0);
    assert_int_equal(idx.skipped, 1);
    assert_int_equal(idx.n, 7); /* root, etc, etc/motd, a.txt, b.txt, deep/er/file, etc-x */

    const struct cpio_file *f = cpio_lookup(&idx, "etc/motd", 8);
    assert_non_null(f);
    assert_int_equal(f->size, 4);
    assert_memory_equal(f->data, "new\n", 4);
    f = cpio_lookup(&idx, "a.txt", 5);
    assert_non_null(f);
    assert_int_equal(f->size, 6); /* the hard link's data */
    assert_memory_equal(f->data, "linked", 6);
    assert_int_equal(f->ino, cpio_lookup(&idx, "b.txt", 5)->ino);
    assert_int_not_equal(cpio_lookup(&idx, "etc", 3)->ino, cpio_lookup(&idx, "etc-x", 5)->ino);
    assert_non_null(cpio_lookup(&idx, "", 0));
    assert_null(cpio_lookup(&idx, "deep", 4));
    assert_null(cpio_lookup(&idx, "up", 2));
    assert_null(cpio_lookup(&idx, "etc/mot", 7));

    assert_true(cpio_has_children(&idx, "deep", 4));
    assert_true(cpio_has_children(&idx, "deep/er", 7));
    assert_true(cpio_has_children(&idx, "etc", 3));
    assert_false(cpio_has_children(&idx, "etc-x", 5));
    assert_false(cpio_has_children(&idx, "de", 2));

    assert_string_equal(child_names("", names), "a.txt b.txt etc etc-x ");
    assert_string_equal(child_names("etc", names), "motd ");
    assert_string_equal(child_names("deep", names), "");
    assert_string_equal(child_names("deep/er", names), "file ");
    assert_string_equal(child_names("nope", names), "");
    free(idx.files);
}

static void test_empty_archive(void **state)
{
    struct cpio_out o = {arc, 0, sizeof(arc)};
    cpio_trailer(&o);
    assert_int_equal(cpio_index_build(&idx, arc, o.len, malloc), 0);
    assert_int_equal(idx.n, 0);
    char names[16];
    assert_string_equal(child_names("", names), "");
    free(idx.files);
    /* Zero bytes: no trailer either. */
    assert_int_equal(cpio_index_build(&idx, arc, 0, malloc), -EIO);
}

/* Every truncation of a valid archive is corrupt (until the trailer is whole). */
static void test_every_truncation(void **state)
{
    size_t len = sample();
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, arc, cut);
        int rc = cpio_index_build(&idx, copy, cut, malloc);
        assert_int_equal(rc, -EIO);
        assert_non_null(idx.why);
        assert_true(idx.bad_offset <= cut);
        free(copy);
    }
}

static int corrupt_at(size_t off, const char *bytes)
{
    size_t len = sample();
    memcpy(arc + off, bytes, strlen(bytes));
    return cpio_index_build(&idx, arc, len, malloc);
}

static void test_corruption(void **state)
{
    assert_int_equal(corrupt_at(0, "070707"), -EIO); /* old binary-ish magic */
    assert_string_equal(idx.why, "bad magic (not newc: want 070701)");
    assert_int_equal(corrupt_at(6 + 8, "0000g000"), -EIO);     /* mode not hex */
    assert_int_equal(corrupt_at(6 + 8 * 6, "FFFFFFFF"), -EIO); /* file size past the end */
    assert_string_equal(idx.why, "file data past the end");
    assert_int_equal(corrupt_at(6 + 8 * 11, "00000000"), -EIO); /* name size 0 */
    assert_int_equal(corrupt_at(6 + 8 * 11, "00000001"), -EIO); /* "." without its NUL there */
    assert_int_equal(corrupt_at(6 + 8 * 11, "FFFFFFFF"), -EIO); /* name size absurd */
    assert_int_equal(corrupt_at(110 + 1, "y"), -EIO);           /* ".\0" becomes ".y": no NUL */
    assert_string_equal(idx.why, "name not NUL-terminated where its size says");
}

static void test_checksum_format(void **state)
{
    struct cpio_out o = {arc, 0, sizeof(arc)};
    cpio_add(&o, "070702", "sum", FILE_, 1, 1, "abc", 3);
    cpio_trailer(&o);
    assert_int_equal(cpio_index_build(&idx, arc, o.len, malloc), 0);
    assert_int_equal(idx.n, 1);
    free(idx.files);
    arc[116] ^= 1; /* the data: after the 110-byte header and "sum\0", padded */
    assert_int_equal(cpio_index_build(&idx, arc, o.len, malloc), -EIO);
    assert_string_equal(idx.why, "070702 checksum does not match the data");
}

static void *no_memory(size_t n)
{
    return NULL;
}

static void test_no_memory(void **state)
{
    size_t len = sample();
    assert_int_equal(cpio_index_build(&idx, arc, len, no_memory), -ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_name_path),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_empty_archive),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_checksum_format),
        cmocka_unit_test(test_no_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
