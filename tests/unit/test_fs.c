// Host tests for the pure parts of the file system: core/fs_path.c (canonical paths) and
// core/tmpfs.c (/tmp in RAM: create, look up, write with holes, truncate, remove, a file
// removed while open freed at its last close: ASan checks the frees).
// UNIT-SOURCES: core/fs_path.c core/tmpfs.c
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/fs_path.h"
#include "core/tmpfs.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void expect_norm(const char *in, const char *want)
{
    char out[64];
    int n = fs_path_normalize(in, out, sizeof(out));
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
}

static void test_normalize(void **state)
{
    expect_norm("/", "");
    expect_norm("/etc/motd", "etc/motd");
    expect_norm("etc/motd", "etc/motd");
    expect_norm("//a///b/", "a/b");
    expect_norm("/a/./b/.", "a/b");
    expect_norm("/a/b/../c", "a/c");
    expect_norm("/../../x", "x");
    expect_norm("/a/..", "");
    expect_norm("/tmp/../etc", "etc");
    expect_norm("/.hidden/...", ".hidden/...");
    char out[8];
    assert_int_equal(fs_path_normalize("", out, sizeof(out)), -ENOENT);
    assert_int_equal(fs_path_normalize("/abcdefgh", out, sizeof(out)), -ENAMETOOLONG);
    assert_int_equal(fs_path_normalize("/abcdefg", out, sizeof(out)), 7); /* and the NUL */
    assert_int_equal(fs_path_normalize("/abc/def", out, sizeof(out)), 7);
    assert_int_equal(fs_path_normalize("/abc/defg", out, sizeof(out)), -ENAMETOOLONG);
}

static void test_under(void **state)
{
    const char *rest;
    assert_true(fs_path_under("tmp", 3, "tmp", &rest));
    assert_string_equal(rest, "");
    assert_true(fs_path_under("tmp/a/b", 7, "tmp", &rest));
    assert_string_equal(rest, "a/b");
    assert_false(fs_path_under("tmpx", 4, "tmp", &rest));
    assert_false(fs_path_under("tm", 2, "tmp", &rest));
    assert_false(fs_path_under("etc/tmp", 7, "tmp", &rest));
}

static void test_tmpfs_tree(void **state)
{
    struct tmpfs fs;
    struct tmpfs_node *n, *d, *got;
    tmpfs_init(&fs);
    assert_int_equal(tmpfs_lookup(&fs, "", &got), 0);
    assert_ptr_equal(got, &fs.root);
    assert_int_equal(tmpfs_lookup(&fs, "a", &got), -ENOENT);
    assert_int_equal(tmpfs_create(&fs, "a/b", 0, &n), -ENOENT);
    assert_int_equal(tmpfs_create(&fs, "a", 1, &d), 0);
    assert_int_equal(tmpfs_create(&fs, "a", 0, &n), -EEXIST);
    assert_int_equal(tmpfs_create(&fs, "a/f", 0, &n), 0);
    assert_int_equal(tmpfs_create(&fs, "a/f/x", 0, &got), -ENOTDIR);
    assert_int_equal(tmpfs_lookup(&fs, "a/f", &got), 0);
    assert_ptr_equal(got, n);
    assert_ptr_equal(tmpfs_child(d, 0), n);
    assert_null(tmpfs_child(d, 1));
    assert_int_not_equal(n->ino, d->ino);

    assert_int_equal(tmpfs_remove(&fs, "a", 1), -ENOTEMPTY);
    assert_int_equal(tmpfs_remove(&fs, "a", 0), -EISDIR);
    assert_int_equal(tmpfs_remove(&fs, "a/f", 1), -ENOTDIR);
    assert_int_equal(tmpfs_remove(&fs, "", 1), -EBUSY);
    assert_int_equal(tmpfs_remove(&fs, "a/f", 0), 0);
    assert_int_equal(tmpfs_lookup(&fs, "a/f", &got), -ENOENT);
    assert_int_equal(tmpfs_remove(&fs, "a", 1), 0);
    assert_null(fs.root.children);
}

static void test_tmpfs_data(void **state)
{
    struct tmpfs fs;
    struct tmpfs_node *n;
    char buf[64];
    tmpfs_init(&fs);
    assert_int_equal(tmpfs_create(&fs, "f", 0, &n), 0);
    assert_int_equal(tmpfs_read(n, 0, buf, sizeof(buf)), 0);
    assert_int_equal(tmpfs_write(n, 0, "hello", 5), 5);
    assert_int_equal(tmpfs_write(n, 8, "!", 1), 1); /* a hole of three zeros */
    assert_int_equal(n->size, 9);
    assert_int_equal(tmpfs_read(n, 0, buf, sizeof(buf)), 9);
    assert_memory_equal(buf, "hello\0\0\0!", 9);
    assert_int_equal(tmpfs_read(n, 7, buf, 1), 1);
    assert_int_equal(tmpfs_read(n, 100, buf, 1), 0);
    assert_int_equal(tmpfs_truncate(n, 2), 0);
    assert_int_equal(tmpfs_read(n, 0, buf, sizeof(buf)), 2);
    assert_int_equal(tmpfs_truncate(n, 4), 0);
    assert_int_equal(tmpfs_read(n, 0, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "he\0\0", 4);
    assert_int_equal(tmpfs_write(n, UINT64_MAX - 1, "xy", 2), -EFBIG);

    /* A big file grows by doubling; every byte comes back. */
    static uint8_t big[100000], back[100000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7 + 3);
    for (size_t off = 0; off < sizeof(big); off += 999)
        assert_int_equal(tmpfs_write(n, off, big + off, MIN(999, sizeof(big) - off)),
                         MIN(999, sizeof(big) - off));
    assert_int_equal(tmpfs_read(n, 0, back, sizeof(back)), sizeof(back));
    assert_memory_equal(back, big, sizeof(big));
    assert_int_equal(tmpfs_remove(&fs, "f", 0), 0);
}

static void test_tmpfs_removed_while_open(void **state)
{
    struct tmpfs fs;
    struct tmpfs_node *n, *got;
    char buf[4];
    tmpfs_init(&fs);
    assert_int_equal(tmpfs_create(&fs, "f", 0, &n), 0);
    assert_int_equal(tmpfs_write(n, 0, "abc", 3), 3);
    tmpfs_hold(n);
    tmpfs_hold(n);
    assert_int_equal(tmpfs_remove(&fs, "f", 0), 0);
    assert_int_equal(tmpfs_lookup(&fs, "f", &got), -ENOENT);
    assert_int_equal(tmpfs_read(n, 0, buf, 3), 3); /* still there for the holders */
    assert_memory_equal(buf, "abc", 3);
    tmpfs_release(n);
    tmpfs_release(n); /* freed here; a leak or double free would show under ASan */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_under),
        cmocka_unit_test(test_tmpfs_tree),
        cmocka_unit_test(test_tmpfs_data),
        cmocka_unit_test(test_tmpfs_removed_while_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
