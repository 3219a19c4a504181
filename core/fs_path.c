/* Canonical path names (core/fs_path.h). */
#include <errno.h>
#include <string.h>
#include "core/fs_path.h"

int fs_path_normalize(const char *path, char *out, size_t max)
{
    size_t n = 0;

    if (!path || !*path)
        return -ENOENT;
    if (max == 0)
        return -ENAMETOOLONG;
    while (*path) {
        while (*path == '/')
            path++;
        const char *s = path;
        while (*path && *path != '/')
            path++;
        size_t len = (size_t)(path - s);
        if (len == 0 || (len == 1 && s[0] == '.'))
            continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--; /* the '/' before the component dropped */
            continue;
        }
        size_t need = (n ? 1 : 0) + len;
        if (need >= max - n)
            return -ENAMETOOLONG;
        if (n)
            out[n++] = '/';
        memcpy(out + n, s, len);
        n += len;
    }
    out[n] = '\0';
    return (int)n;
}

int fs_path_under(const char *p, size_t n, const char *top, const char **rest)
{
    size_t t = strlen(top);
    if (n < t || memcmp(p, top, t) != 0 || (n > t && p[t] != '/'))
        return 0;
    *rest = n > t ? p + t + 1 : p + n;
    return 1;
}
