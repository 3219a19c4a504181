// libFuzzer target for core/cpio.c: the initrd, a cpio newc archive from the toolstack.
// The walk must stay inside the buffer and end; a successful index must be sorted and
// unique with canonical paths, find each of its files by path, list each file under
// exactly its parent; a failure must say why and where. The entries walked, written again
// with a newc writer, must walk back the same (names, modes, bytes).
// FUZZ-SOURCES: core/cpio.c
// FUZZ-FLAGS: -max_len=65536
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "core/cpio.h"
#include "tests/unit/cpio_writer.h"

#define MAX_ENTRIES 1024

static struct cpio_entry seen[MAX_ENTRIES];
static uint8_t again[1 << 20];

static int canonical(const char *p, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t s = 0; s <= n;) {
        size_t e = s;
        while (e < n && p[e] != '/')
            e++;
        if (e == s || (e - s == 1 && p[s] == '.') || (e - s == 2 && p[s] == '.' && p[s + 1] == '.'))
            return 0;
        s = e + 1;
    }
    return 1;
}

static void check_index(const uint8_t *data, size_t size)
{
    struct cpio_index idx;
    int rc = cpio_index_build(&idx, data, size, malloc);
    if (rc < 0) {
        CHECK(rc == -EIO && idx.why && idx.bad_offset <= size && idx.files == NULL);
        return;
    }
    CHECK(rc == 0 && idx.bad_offset == 0);
    for (size_t i = 0; i < idx.n; i++) {
        const struct cpio_file *f = &idx.files[i];
        CHECK(f->path[f->pathlen] == '\0' && strlen(f->path) == f->pathlen);
        CHECK((const uint8_t *)f->path > data &&
              (const uint8_t *)f->path + f->pathlen < data + size);
        CHECK(f->data >= data && f->size <= size && f->data + f->size <= data + size);
        CHECK(canonical(f->path, f->pathlen));
        if (i)
            CHECK(strcmp(idx.files[i - 1].path, f->path) < 0);
        CHECK(cpio_lookup(&idx, f->path, f->pathlen) == f);

        /* Listed exactly once, under its parent. */
        size_t blen, parent, pos = 0, hits = 0;
        const char *base = cpio_basename(f, &blen);
        parent = base == f->path ? 0 : (size_t)(base - f->path) - 1;
        if (f->pathlen == 0)
            continue;
        CHECK(cpio_has_children(&idx, f->path, parent));
        const struct cpio_file *c;
        while ((c = cpio_next_child(&idx, f->path, parent, &pos))) {
            size_t cl;
            const char *cb = cpio_basename(c, &cl);
            CHECK(cb - c->path == base - f->path && memchr(cb, '/', cl) == NULL);
            hits += c == f;
        }
        CHECK(hits == 1);
    }
    free(idx.files);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cpio_iter it;
    struct cpio_entry e;
    size_t n = 0, last = 0;
    int rc;

    cpio_iter_init(&it, data, size);
    while ((rc = cpio_next(&it, &e)) == 1) {
        CHECK((const uint8_t *)e.name >= data && (const uint8_t *)e.name + e.namelen < data + size);
        CHECK(e.name[e.namelen] == '\0' && strlen(e.name) == e.namelen);
        CHECK(e.data >= data && e.data + e.size <= data + size);
        CHECK((it.off > last && it.off % 4 == 0) || it.off == size);
        last = it.off;
        if (n < MAX_ENTRIES)
            seen[n] = e;
        n++;
        CHECK(n <= size / CPIO_HEADER_SIZE);
    }
    CHECK(rc == 0 || (rc == -EIO && it.why));
    CHECK(cpio_next(&it, &e) == rc); /* it stays where it ended */
    check_index(data, size);

    /* A whole archive, written again, walks back the same. */
    if (rc == 0 && n <= MAX_ENTRIES) {
        struct cpio_out o = {again, 0, sizeof(again)};
        for (size_t i = 0; i < n; i++)
            cpio_add(&o, "070702", seen[i].name, seen[i].mode, seen[i].ino, seen[i].nlink,
                     seen[i].data, (uint32_t)seen[i].size);
        cpio_trailer(&o);
        if (o.len <= sizeof(again)) {
            cpio_iter_init(&it, again, o.len);
            for (size_t i = 0; i < n; i++) {
                CHECK(cpio_next(&it, &e) == 1);
                CHECK(e.namelen == seen[i].namelen && memcmp(e.name, seen[i].name, e.namelen) == 0);
                CHECK(e.mode == seen[i].mode && e.size == seen[i].size);
                CHECK(memcmp(e.data, seen[i].data, e.size) == 0);
            }
            CHECK(cpio_next(&it, &e) == 0);
        }
    }
    return 0;
}
