/* The blkstore on-disk format and its crash-consistent commit (see store.h). */
#include "store.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUPER_MAGIC  "XLBSTOR1"
#define RECORD_MAGIC 0x43455258u /* "XREC" */
#define LOG_START    4096u

struct super {
    char magic[8];
    uint64_t gen;
    uint64_t end;
    uint64_t seq;
    uint32_t sector;
    uint32_t crc; /* over everything before it */
};

struct record {
    uint32_t magic;
    uint32_t crc; /* over the header (crc 0) and the key and value */
    uint64_t seq;
    uint32_t klen;
    uint32_t vlen;
};

/* CRC-32 (the IEEE polynomial, reflected), bit by bit: small data, no table. */
static uint32_t crc32_update(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

static uint64_t round_up(uint64_t v, uint32_t a)
{
    return (v + a - 1) / a * a;
}

/* Completed writes made durable. A disk that offers no flush has no cache to flush
 * (xenolith_blk_flush says so with -EOPNOTSUPP): its completed writes are durable already. */
static int make_durable(struct store *s)
{
    int rc = xenolith_blk_flush(s->dev);
    return rc == -EOPNOTSUPP ? 0 : rc;
}

static int read_super(struct store *s, int slot, struct super *sb)
{
    int rc = xenolith_blk_read(s->dev, (uint64_t)slot * s->sector, s->io, s->sector);
    if (rc < 0)
        return rc;
    memcpy(sb, s->io, sizeof(*sb));
    if (memcmp(sb->magic, SUPER_MAGIC, 8) != 0 ||
        sb->crc != crc32_update(0, sb, offsetof(struct super, crc)) || sb->sector != s->sector ||
        sb->end < LOG_START || sb->end > s->disk_size)
        return -ENOENT;
    return 0;
}

/* Write superblock copy `slot` with generation gen for the log up to end, and flush. */
static int write_super(struct store *s, int slot, uint64_t gen, uint64_t end, uint64_t seq)
{
    struct super sb;
    memset(&sb, 0, sizeof(sb));
    memcpy(sb.magic, SUPER_MAGIC, 8);
    sb.gen = gen;
    sb.end = end;
    sb.seq = seq;
    sb.sector = s->sector;
    sb.crc = crc32_update(0, &sb, offsetof(struct super, crc));
    memset(s->io, 0, s->sector);
    memcpy(s->io, &sb, sizeof(sb));
    int rc = xenolith_blk_write(s->dev, (uint64_t)slot * s->sector, s->io, s->sector);
    if (rc == 0)
        rc = make_durable(s);
    return rc;
}

static struct store_entry *find(struct store *s, const char *key)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->index[i].key, key) == 0)
            return &s->index[i];
    return NULL;
}

static int remember(struct store *s, const char *key, uint64_t offset, uint32_t len)
{
    struct store_entry *e = find(s, key);
    if (!e) {
        if (s->nkeys == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            struct store_entry *n = realloc(s->index, cap * sizeof(*n));
            if (!n)
                return -ENOMEM;
            s->index = n;
            s->cap = cap;
        }
        e = &s->index[s->nkeys++];
        strcpy(e->key, key);
    }
    e->offset = offset;
    e->len = len;
    return 0;
}

/* Read every committed record and index it. */
static int replay(struct store *s)
{
    uint64_t off = LOG_START, seq = 0;
    while (off < s->end) {
        struct record h;
        int rc = xenolith_blk_read(s->dev, off, s->io, s->sector);
        if (rc < 0)
            return rc;
        memcpy(&h, s->io, sizeof(h));
        uint64_t total = round_up(sizeof(h) + (uint64_t)h.klen + h.vlen, s->sector);
        if (h.magic != RECORD_MAGIC || h.seq != seq || h.klen == 0 || h.klen > STORE_MAX_KEY ||
            h.vlen > STORE_MAX_VALUE || off + total > s->end)
            return -EIO;
        char *rec = malloc(total);
        if (!rec)
            return -ENOMEM;
        rc = xenolith_blk_read(s->dev, off, rec, total);
        uint32_t want = h.crc;
        ((struct record *)rec)->crc = 0;
        if (rc == 0 && crc32_update(0, rec, sizeof(h) + h.klen + h.vlen) != want)
            rc = -EIO;
        char key[STORE_MAX_KEY + 1];
        memcpy(key, rec + sizeof(h), h.klen);
        key[h.klen] = 0;
        free(rec);
        if (rc == 0)
            rc = remember(s, key, off + sizeof(h) + h.klen, h.vlen);
        if (rc < 0)
            return rc;
        off += total;
        seq++;
    }
    return seq == s->seq ? 0 : -EIO;
}

int store_open(struct store *s, struct xenolith_blk_dev *d, int format_if_empty, int *formatted)
{
    struct xenolith_blk_info in;
    struct super a, b;
    memset(s, 0, sizeof(*s));
    xenolith_blk_dev_info(d, &in);
    s->dev = d;
    s->sector = in.sector_size;
    s->disk_size = in.sectors * in.sector_size;
    if (formatted)
        *formatted = 0;
    if (s->disk_size < LOG_START * 2 || in.read_only)
        return -EINVAL;
    s->io = malloc(s->sector);
    if (!s->io)
        return -ENOMEM;

    int ra = read_super(s, 0, &a), rb = read_super(s, 1, &b);
    if ((ra < 0 && ra != -ENOENT) || (rb < 0 && rb != -ENOENT))
        return ra < 0 && ra != -ENOENT ? ra : rb;
    if (ra < 0 && rb < 0) {
        if (!format_if_empty)
            return -ENOENT;
        /* Both copies, so a crash during the format still leaves a valid one. */
        int rc = write_super(s, 1, 1, LOG_START, 0);
        if (rc == 0)
            rc = write_super(s, 0, 2, LOG_START, 0);
        if (rc < 0)
            return rc;
        if (formatted)
            *formatted = 1;
        s->gen = 2;
        s->slot = 0;
        s->end = LOG_START;
        return 0;
    }
    const struct super *use = rb < 0 || (ra == 0 && a.gen > b.gen) ? &a : &b;
    s->slot = use == &a ? 0 : 1;
    s->gen = use->gen;
    s->end = use->end;
    s->seq = use->seq;
    return replay(s);
}

int store_put(struct store *s, const char *key, const void *value, uint32_t len)
{
    size_t klen = strlen(key);
    if (klen == 0 || klen > STORE_MAX_KEY || len > STORE_MAX_VALUE)
        return -EINVAL;
    uint64_t total = round_up(sizeof(struct record) + klen + len, s->sector);
    if (s->end + total > s->disk_size)
        return -ENOSPC;
    char *rec = calloc(1, total);
    if (!rec)
        return -ENOMEM;
    struct record h = {RECORD_MAGIC, 0, s->seq, (uint32_t)klen, len};
    memcpy(rec, &h, sizeof(h));
    memcpy(rec + sizeof(h), key, klen);
    memcpy(rec + sizeof(h) + klen, value, len);
    h.crc = crc32_update(0, rec, sizeof(h) + klen + len);
    memcpy(rec, &h, sizeof(h));

    /* The record first, made durable; only then the superblock that commits it. */
    int rc = xenolith_blk_write(s->dev, s->end, rec, total);
    free(rec);
    if (rc == 0)
        rc = make_durable(s);
    if (rc == 0)
        rc = write_super(s, !s->slot, s->gen + 1, s->end + total, s->seq + 1);
    if (rc < 0)
        return rc;
    s->slot = !s->slot;
    s->gen++;
    rc = remember(s, key, s->end + sizeof(h) + klen, len);
    s->end += total;
    s->seq++;
    return rc;
}

int store_get(struct store *s, const char *key, void *buf, uint32_t size)
{
    struct store_entry *e = find(s, key);
    if (!e)
        return -ENOENT;
    if (e->len == 0)
        return 0;
    /* Reads are whole sectors: read the sectors around the value, copy it out. */
    uint64_t first = e->offset / s->sector * s->sector;
    uint64_t span = round_up(e->offset + e->len, s->sector) - first;
    char *tmp = malloc(span);
    if (!tmp)
        return -ENOMEM;
    int rc = xenolith_blk_read(s->dev, first, tmp, span);
    if (rc == 0)
        memcpy(buf, tmp + (e->offset - first), e->len < size ? e->len : size);
    free(tmp);
    return rc < 0 ? rc : (int)e->len;
}

void store_close(struct store *s)
{
    free(s->index);
    free(s->io);
    memset(s, 0, sizeof(*s));
}
