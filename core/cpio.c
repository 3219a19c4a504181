/*
 * cpio newc parser and index (core/cpio.h). Every header field is 8 hex digits; names
 * and data are padded to 4 bytes from the archive's start. Nothing here trusts a count
 * or a length from the archive before checking it against what is left of the buffer.
 * Tested by tests/unit/test_cpio.c, fuzzed by tests/fuzz/fuzz_cpio.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/cpio.h"

#define TRAILER "TRAILER!!!"

enum {
    F_INO,
    F_MODE,
    F_UID,
    F_GID,
    F_NLINK,
    F_MTIME,
    F_SIZE,
    F_DEVMAJ,
    F_DEVMIN,
    F_RDEVMAJ,
    F_RDEVMIN,
    F_NAMESIZE,
    F_CHECK,
    F_COUNT
};

void cpio_iter_init(struct cpio_iter *it, const void *base, size_t len)
{
    it->base = base;
    it->len = len;
    it->off = 0;
    it->why = NULL;
}

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static size_t pad4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

static int corrupt(struct cpio_iter *it, const char *why)
{
    it->why = why;
    return -EIO;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
    const uint8_t *h = it->base + it->off;
    uint32_t f[F_COUNT];

    if (it->why)
        return -EIO;
    if (it->off > it->len)
        return 0; /* past the trailer */
    if (it->len - it->off < CPIO_HEADER_SIZE)
        return corrupt(it, "header past the end (no TRAILER!!!)");
    int crc = memcmp(h, "070702", 6) == 0;
    if (!crc && memcmp(h, "070701", 6) != 0)
        return corrupt(it, "bad magic (not newc: want 070701)");
    for (int i = 0; i < F_COUNT; i++)
        if (hex8(h + 6 + 8 * i, &f[i]) < 0)
            return corrupt(it, "header field is not 8 hex digits");

    size_t left = it->len - it->off - CPIO_HEADER_SIZE;
    uint32_t ns = f[F_NAMESIZE];
    if (ns == 0 || ns > CPIO_NAME_MAX)
        return corrupt(it, "name size 0 or too long");
    if (ns > left)
        return corrupt(it, "name past the end");
    const char *name = (const char *)h + CPIO_HEADER_SIZE;
    if (name[ns - 1] != '\0' || memchr(name, '\0', ns - 1))
        return corrupt(it, "name not NUL-terminated where its size says");

    size_t data_off = pad4(it->off + CPIO_HEADER_SIZE + ns);
    if (data_off > it->len || f[F_SIZE] > it->len - data_off)
        return corrupt(it, "file data past the end");
    const uint8_t *data = it->base + data_off;
    if (crc) {
        uint32_t sum = 0;
        for (uint32_t i = 0; i < f[F_SIZE]; i++)
            sum += data[i];
        if (sum != f[F_CHECK])
            return corrupt(it, "070702 checksum does not match the data");
    }

    if (ns - 1 == sizeof(TRAILER) - 1 && memcmp(name, TRAILER, ns - 1) == 0) {
        it->off = it->len + 1;
        return 0;
    }
    e->name = name;
    e->namelen = ns - 1;
    e->data = data;
    e->size = f[F_SIZE];
    e->ino = f[F_INO];
    e->mode = f[F_MODE];
    e->nlink = f[F_NLINK];
    e->mtime = f[F_MTIME];
    e->devmajor = f[F_DEVMAJ];
    e->devminor = f[F_DEVMIN];
    /* The next header: past the data, padded; the end of the buffer ends the walk. */
    size_t next = pad4(data_off + f[F_SIZE]);
    it->off = next < data_off ? it->len : next;
    if (it->off > it->len)
        it->off = it->len;
    return 1;
}

int cpio_name_path(const char *name, size_t namelen)
{
    size_t i = 0;
    for (;;) {
        if (i < namelen && name[i] == '/')
            i++;
        else if (i + 1 < namelen && name[i] == '.' && name[i + 1] == '/')
            i += 2;
        else
            break;
    }
    if (i + 1 == namelen && name[i] == '.')
        return (int)namelen; /* "." or "./.": the root */
    if (i == namelen)
        return (int)i; /* "/" or "./": the root */
    if (name[namelen - 1] == '/')
        return -1;
    for (size_t s = i; s <= namelen;) {
        size_t e = s;
        while (e < namelen && name[e] != '/')
            e++;
        size_t n = e - s;
        if (n == 0 || (n == 1 && name[s] == '.') ||
            (n == 2 && name[s] == '.' && name[s + 1] == '.'))
            return -1;
        s = e + 1;
    }
    return (int)i;
}

static int by_path(const void *a, const void *b)
{
    const struct cpio_file *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* newc keeps a hard-linked file's data with its last link; the others have size 0. */
static void share_hard_links(struct cpio_index *idx)
{
    for (size_t i = 0; i < idx->n; i++) {
        struct cpio_file *f = &idx->files[i];
        if ((f->mode & CPIO_S_IFMT) != CPIO_S_IFREG || f->size != 0)
            continue;
        for (size_t j = 0; j < idx->n; j++) {
            const struct cpio_file *g = &idx->files[j];
            if (j != i && g->ino == f->ino && g->size && (g->mode & CPIO_S_IFMT) == CPIO_S_IFREG) {
                f->data = g->data;
                f->size = g->size;
                break;
            }
        }
    }
}

int cpio_index_build(struct cpio_index *idx, const void *base, size_t len, void *(*alloc)(size_t))
{
    struct cpio_iter it;
    struct cpio_entry e;
    size_t count = 0;
    int rc;

    memset(idx, 0, sizeof(*idx));
    cpio_iter_init(&it, base, len);
    while ((rc = cpio_next(&it, &e)) == 1)
        count++;
    if (rc < 0) {
        idx->why = it.why;
        idx->bad_offset = it.off;
        return rc;
    }
    idx->files = alloc(count ? count * sizeof(struct cpio_file) : 1);
    if (!idx->files)
        return -ENOMEM;

    cpio_iter_init(&it, base, len);
    for (size_t seq = 0; cpio_next(&it, &e) == 1; seq++) {
        int at = cpio_name_path(e.name, e.namelen);
        if (at < 0) {
            idx->skipped++;
            continue;
        }
        /* Only an entry with the multi-link count shares: newc sets it on every link. */
        int linked = e.nlink > 1;
        idx->files[idx->n++] = (struct cpio_file){
            .path = e.name + at,
            .pathlen = e.namelen - (size_t)at,
            .data = e.data,
            .size = e.size,
            .ino = linked ? e.ino : 0,
            .mode = e.mode,
            .mtime = e.mtime,
            .seq = seq,
        };
    }
    qsort(idx->files, idx->n, sizeof(struct cpio_file), by_path);
    /* One file per path: the archive's last entry of it. */
    size_t w = 0;
    for (size_t i = 0; i < idx->n; i++) {
        if (w && strcmp(idx->files[w - 1].path, idx->files[i].path) == 0)
            w--;
        idx->files[w++] = idx->files[i];
    }
    idx->n = w;
    for (size_t i = 0; i < idx->n; i++)
        if (idx->files[i].ino == 0)
            idx->files[i].ino = 0x80000000u | (uint32_t)i; /* unique, apart from links */
    share_hard_links(idx);
    for (size_t i = 0; i < idx->n; i++)
        idx->bytes += idx->files[i].size;
    return 0;
}

/* Compare the NUL-terminated f->path with (path, len). */
static int path_cmp(const struct cpio_file *f, const char *path, size_t len)
{
    size_t n = f->pathlen < len ? f->pathlen : len;
    int c = memcmp(f->path, path, n);
    if (c)
        return c;
    return f->pathlen < len ? -1 : f->pathlen > len;
}

typedef int (*cmp_fn)(const struct cpio_file *f, const char *path, size_t len);

/* The first file that cmp does not put before (path, len): the index is sorted. */
static size_t first_from(const struct cpio_index *idx, cmp_fn cmp, const char *path, size_t len)
{
    size_t lo = 0, hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(&idx->files[mid], path, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct cpio_file *cpio_lookup(const struct cpio_index *idx, const char *path, size_t len)
{
    size_t i = first_from(idx, path_cmp, path, len);
    if (i < idx->n && path_cmp(&idx->files[i], path, len) == 0)
        return &idx->files[i];
    return NULL;
}

/*
 * f against the prefix "dir/" (len 0: the root, every path but the root's own):
 * 0 when f lies below dir, else the side f sorts on. Paths below dir are one run.
 */
static int cmp_below(const struct cpio_file *f, const char *dir, size_t len)
{
    if (len == 0)
        return f->pathlen ? 0 : -1;
    size_t n = f->pathlen < len ? f->pathlen : len;
    int c = memcmp(f->path, dir, n);
    if (c)
        return c;
    if (f->pathlen < len)
        return -1;
    unsigned char next = (unsigned char)f->path[len]; /* '\0' when f is dir itself */
    return next < '/' ? -1 : next > '/';
}

int cpio_has_children(const struct cpio_index *idx, const char *path, size_t len)
{
    size_t i = first_from(idx, cmp_below, path, len);
    return i < idx->n && cmp_below(&idx->files[i], path, len) == 0;
}

const struct cpio_file *cpio_next_child(const struct cpio_index *idx, const char *dir, size_t len,
                                        size_t *pos)
{
    size_t i = *pos ? *pos : first_from(idx, cmp_below, dir, len);
    size_t rest = len ? len + 1 : 0;
    for (; i < idx->n && cmp_below(&idx->files[i], dir, len) == 0; i++) {
        const struct cpio_file *f = &idx->files[i];
        if (memchr(f->path + rest, '/', f->pathlen - rest))
            continue; /* deeper down */
        *pos = i + 1;
        return f;
    }
    *pos = idx->n ? idx->n : 1;
    return NULL;
}

const char *cpio_basename(const struct cpio_file *f, size_t *len)
{
    size_t i = f->pathlen;
    while (i > 0 && f->path[i - 1] != '/')
        i--;
    *len = f->pathlen - i;
    return f->path + i;
}
