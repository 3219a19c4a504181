/*
 * A small crash-consistent key-value store on a raw disk, built only on
 * <xenolith/blk.h>. The disk holds two superblock copies and a log of records:
 *
 *   sector 0, sector 1   superblock A and B: generation, end of the committed log,
 *                        CRC. The valid one with the higher generation wins.
 *   from 4 KiB on        records: header (magic, CRC, sequence, key and value
 *                        lengths), key, value, padded to whole sectors.
 *
 * A put appends its record, flushes, then writes the other superblock copy with
 * the next generation and the new end, and flushes again. When store_put returns,
 * the record survives a crash or reboot; a crash before that leaves either the
 * old state or the new one, never a mix: a torn superblock fails its CRC and the
 * other copy is used, a torn record lies past the committed end and is ignored.
 */
#ifndef BLKSTORE_STORE_H
#define BLKSTORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <xenolith/blk.h>

#define STORE_MAX_KEY   64
#define STORE_MAX_VALUE (256 * 1024)

struct store_entry {
    char key[STORE_MAX_KEY + 1];
    uint64_t offset; /* of the value on disk */
    uint32_t len;
};

struct store {
    struct xenolith_blk_dev *dev;
    uint32_t sector;    /* the disk's sector size */
    uint64_t disk_size; /* bytes */
    uint64_t gen;       /* of the superblock in force */
    int slot;           /* which copy holds it (0 or 1) */
    uint64_t end;       /* end of the committed log */
    uint64_t seq;       /* records in the log */
    struct store_entry *index;
    size_t nkeys, cap;
    char *io; /* sector-sized scratch */
};

/*
 * Open the store on d; with format_if_empty, a disk with no valid superblock is
 * formatted (*formatted set to 1). 0, -ENOENT (no store and not asked to
 * format), -EIO (a committed record is damaged), or a blk error.
 */
int store_open(struct store *s, struct xenolith_blk_dev *d, int format_if_empty, int *formatted);

/* Add or replace key (NUL-terminated, 1..64 bytes); durable when it returns 0. -ENOSPC when full.
 */
int store_put(struct store *s, const char *key, const void *value, uint32_t len);

/* Copy key's value into buf (up to size bytes); returns its length, or -ENOENT. */
int store_get(struct store *s, const char *key, void *buf, uint32_t size);

void store_close(struct store *s);

#endif
