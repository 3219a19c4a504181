/* Path names of apps' files, made canonical for core/fs.c (pure; tests/unit/test_fs.c). */
#ifndef XENOLITH_FS_PATH_H
#define XENOLITH_FS_PATH_H

#include <stddef.h>

/*
 * path (absolute, or relative to "/", the only working directory) without its leading
 * '/', repeated slashes, "." components and with ".." applied (".." of the root is the
 * root), into out (max bytes with the NUL): "/a//./b/../c" is "a/c", "/" is "".
 * Returns the length, -ENOENT for an empty path, -ENAMETOOLONG when it does not fit.
 */
int fs_path_normalize(const char *path, char *out, size_t max);

/* Whether the normalized path p (length n) is top or lies below it; *rest: what follows. */
int fs_path_under(const char *p, size_t n, const char *top, const char **rest);

#endif
