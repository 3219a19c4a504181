/* /tmp in RAM (core/tmpfs.h): a tree of nodes, file bytes in one growing buffer each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/tmpfs.h"

#define TMPFS_FILE_MAX (1ULL << 40) /* past any RAM we can have: refuse, do not wrap */

void tmpfs_init(struct tmpfs *fs)
{
    memset(fs, 0, sizeof(*fs));
    fs->root.dir = 1;
    fs->root.ino = 1;
    fs->next_ino = 2;
}

static struct tmpfs_node *find_child(const struct tmpfs_node *d, const char *name, size_t len)
{
    for (struct tmpfs_node *c = d->children; c; c = c->next)
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

/* Walk to the directory holding the last component; *last, *lastlen: that component. */
static int walk_parent(struct tmpfs *fs, const char *path, struct tmpfs_node **dir,
                       const char **last, size_t *lastlen)
{
    struct tmpfs_node *d = &fs->root;
    const char *s = path;
    for (;;) {
        const char *slash = strchr(s, '/');
        if (!slash) {
            *dir = d;
            *last = s;
            *lastlen = strlen(s);
            return 0;
        }
        struct tmpfs_node *c = find_child(d, s, (size_t)(slash - s));
        if (!c)
            return -ENOENT;
        if (!c->dir)
            return -ENOTDIR;
        d = c;
        s = slash + 1;
    }
}

int tmpfs_lookup(struct tmpfs *fs, const char *path, struct tmpfs_node **out)
{
    struct tmpfs_node *d;
    const char *last;
    size_t len;

    if (!*path) {
        *out = &fs->root;
        return 0;
    }
    int rc = walk_parent(fs, path, &d, &last, &len);
    if (rc < 0)
        return rc;
    struct tmpfs_node *c = find_child(d, last, len);
    if (!c)
        return -ENOENT;
    *out = c;
    return 0;
}

int tmpfs_create(struct tmpfs *fs, const char *path, int dir, struct tmpfs_node **out)
{
    struct tmpfs_node *d;
    const char *last;
    size_t len;

    if (!*path)
        return -EEXIST;
    int rc = walk_parent(fs, path, &d, &last, &len);
    if (rc < 0)
        return rc;
    if (find_child(d, last, len))
        return -EEXIST;
    struct tmpfs_node *n = calloc(1, sizeof(*n));
    char *name = malloc(len + 1);
    if (!n || !name) {
        free(n);
        free(name);
        return -ENOMEM;
    }
    memcpy(name, last, len);
    name[len] = '\0';
    n->name = name;
    n->dir = dir;
    n->parent = d;
    n->ino = fs->next_ino++;
    n->next = d->children;
    d->children = n;
    *out = n;
    return 0;
}

static void node_free(struct tmpfs_node *n)
{
    free(n->data);
    free(n->name);
    free(n);
}

int tmpfs_remove(struct tmpfs *fs, const char *path, int dir)
{
    struct tmpfs_node *n;
    int rc = tmpfs_lookup(fs, path, &n);
    if (rc < 0)
        return rc;
    if (n == &fs->root)
        return -EBUSY;
    if (dir && !n->dir)
        return -ENOTDIR;
    if (!dir && n->dir)
        return -EISDIR;
    if (n->dir && n->children)
        return -ENOTEMPTY;
    struct tmpfs_node **pp = &n->parent->children;
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    n->parent = NULL;
    n->removed = 1;
    if (n->opens == 0)
        node_free(n);
    return 0;
}

ssize_t tmpfs_read(const struct tmpfs_node *n, uint64_t off, void *buf, size_t len)
{
    if (off >= n->size)
        return 0;
    size_t k = n->size - (size_t)off;
    if (k > len)
        k = len;
    memcpy(buf, n->data + off, k);
    return (ssize_t)k;
}

/* Room for at least need bytes: the buffer doubles, so appends stay linear. */
static int reserve(struct tmpfs_node *n, uint64_t need)
{
    if (need > TMPFS_FILE_MAX)
        return -EFBIG;
    if (need <= n->cap)
        return 0;
    size_t cap = n->cap ? n->cap : 64;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(n->data, cap);
    if (!p)
        return -ENOMEM;
    n->data = p;
    n->cap = cap;
    return 0;
}

int tmpfs_truncate(struct tmpfs_node *n, uint64_t size)
{
    int rc = reserve(n, size);
    if (rc < 0)
        return rc;
    if (size > n->size)
        memset(n->data + n->size, 0, (size_t)size - n->size);
    n->size = (size_t)size;
    return 0;
}

ssize_t tmpfs_write(struct tmpfs_node *n, uint64_t off, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (off > TMPFS_FILE_MAX || len > TMPFS_FILE_MAX - off)
        return -EFBIG;
    if (off > n->size) {
        int rc = tmpfs_truncate(n, off); /* the gap reads as zeros */
        if (rc < 0)
            return rc;
    }
    int rc = reserve(n, off + len);
    if (rc < 0)
        return rc;
    memcpy(n->data + off, buf, len);
    if (off + len > n->size)
        n->size = (size_t)(off + len);
    return (ssize_t)len;
}

void tmpfs_hold(struct tmpfs_node *n)
{
    n->opens++;
}

void tmpfs_release(struct tmpfs_node *n)
{
    if (--n->opens == 0 && n->removed)
        node_free(n);
}

struct tmpfs_node *tmpfs_child(const struct tmpfs_node *d, size_t i)
{
    struct tmpfs_node *c = d->children;
    while (c && i--)
        c = c->next;
    return c;
}
