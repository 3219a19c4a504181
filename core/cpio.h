/*
 * cpio "newc" archives (what `find . | cpio -o -H newc` writes), parsed in place:
 * the initrd's files for core/fs.c. Pure: no allocation but the index's one array, no
 * kernel calls; the archive is the toolstack's bytes and is checked everywhere.
 */
#ifndef XENOLITH_CPIO_H
#define XENOLITH_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX    4096 /* longer names are taken as corruption */

/* Mode bits, as in the archive (the same values as <sys/stat.h>). */
#define CPIO_S_IFMT  0170000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFLNK 0120000u

struct cpio_entry {
    const char *name; /* as in the archive, NUL-terminated inside it */
    size_t namelen;   /* without the NUL */
    const uint8_t *data;
    uint64_t size;
    uint32_t ino, mode, nlink, mtime, devmajor, devminor;
};

struct cpio_iter {
    const uint8_t *base;
    size_t len;
    size_t off;      /* the next header */
    const char *why; /* what was wrong, when cpio_next returned -EIO */
};

void cpio_iter_init(struct cpio_iter *it, const void *base, size_t len);

/*
 * The next entry: 1 with *e filled, 0 at the trailer (TRAILER!!!), or -EIO when the
 * archive is corrupt at it->off (it->why says how: bad magic, a header, name or data
 * past the end, bad hex digits, a name without its NUL, a checksum that does not add up).
 * After -EIO or 0 it keeps returning the same.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/*
 * An archive name as a path below the root: leading "./" and "/" dropped, "." alone is
 * the root (length 0). Returns the offset of the path in name, or -1 when the rest has
 * an empty, "." or ".." component or a trailing '/' (such entries are skipped).
 */
int cpio_name_path(const char *name, size_t namelen);

/* One file of the index: its path (not NUL-terminated here) and what the archive says. */
struct cpio_file {
    const char *path;
    size_t pathlen;
    const uint8_t *data;
    uint64_t size;
    uint32_t ino, mode, mtime;
    size_t seq; /* position in the archive */
};

struct cpio_index {
    struct cpio_file *files; /* sorted by path, one per path (the archive's last wins) */
    size_t n;
    size_t skipped;  /* entries whose names cpio_name_path refused */
    uint64_t bytes;  /* sum of file sizes */
    const char *why; /* when cpio_index_build failed with -EIO */
    size_t bad_offset;
};

/*
 * Walk the whole archive and index it, with files from alloc(n * sizeof(struct cpio_file))
 * (NULL: -ENOMEM). A corrupt archive indexes nothing: -EIO, with why and bad_offset. Hard
 * links (newc stores the data with the last link) share that data. Returns 0.
 */
int cpio_index_build(struct cpio_index *idx, const void *base, size_t len, void *(*alloc)(size_t));

/* The file at path (normalized, no leading '/', length len; "" is the root), or NULL. */
const struct cpio_file *cpio_lookup(const struct cpio_index *idx, const char *path, size_t len);

/* Whether some file lies below path: a directory even without an entry of its own. */
int cpio_has_children(const struct cpio_index *idx, const char *path, size_t len);

/*
 * Directory listing: the next file whose parent is dir (length len), from *pos on, with
 * *pos moved past it; NULL when there is none. Start with *pos = 0.
 */
const struct cpio_file *cpio_next_child(const struct cpio_index *idx, const char *dir, size_t len,
                                        size_t *pos);

/* The last path component of f (for readdir). */
const char *cpio_basename(const struct cpio_file *f, size_t *len);

#endif
