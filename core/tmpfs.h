/*
 * /tmp: files and directories in RAM (malloc), for core/fs.c. No locking here: the
 * caller holds its lock. Paths are normalized (core/fs_path.h) and relative to /tmp.
 * Host-tested by tests/unit/test_fs.c.
 */
#ifndef XENOLITH_TMPFS_H
#define XENOLITH_TMPFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tmpfs_node {
    char *name;
    int dir;
    struct tmpfs_node *parent, *children, *next; /* children: newest first */
    uint8_t *data;
    size_t size, cap;
    unsigned int opens; /* open descriptors; a removed node lives until the last closes */
    int removed;
    uint32_t ino;
    uint64_t mtime_ns;
};

struct tmpfs {
    struct tmpfs_node root;
    uint32_t next_ino;
};

void tmpfs_init(struct tmpfs *fs);

/* 0 with *out, -ENOENT, or -ENOTDIR (a file where a directory was needed). */
int tmpfs_lookup(struct tmpfs *fs, const char *path, struct tmpfs_node **out);

/* A new file or directory: 0 with *out, -EEXIST, -ENOENT (no parent), -ENOTDIR, -ENOMEM. */
int tmpfs_create(struct tmpfs *fs, const char *path, int dir, struct tmpfs_node **out);

/* unlink (dir 0) or rmdir (dir 1): 0, -ENOENT, -EISDIR, -ENOTDIR, -ENOTEMPTY, -EBUSY. */
int tmpfs_remove(struct tmpfs *fs, const char *path, int dir);

/* Bytes at off: read returns how many (0 at the end); write grows the file (-ENOMEM). */
ssize_t tmpfs_read(const struct tmpfs_node *n, uint64_t off, void *buf, size_t len);
ssize_t tmpfs_write(struct tmpfs_node *n, uint64_t off, const void *buf, size_t len);
int tmpfs_truncate(struct tmpfs_node *n, uint64_t size);

/* Open descriptors: a removed node is freed when the last one closes. */
void tmpfs_hold(struct tmpfs_node *n);
void tmpfs_release(struct tmpfs_node *n);

/* The i-th entry of directory d (0 first), or NULL past the last. */
struct tmpfs_node *tmpfs_child(const struct tmpfs_node *d, size_t i);

#endif
