/* A newc writer for the cpio tests and the fuzzer: entries appended to a byte buffer. */
#ifndef XENOLITH_TEST_CPIO_WRITER_H
#define XENOLITH_TEST_CPIO_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct cpio_out {
    uint8_t *buf;
    size_t len, max;
};

static inline void cpio_put(struct cpio_out *o, const void *p, size_t n)
{
    if (o->len + n <= o->max)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static inline void cpio_pad(struct cpio_out *o)
{
    static const uint8_t zero[4];
    cpio_put(o, zero, (4 - o->len % 4) % 4);
}

/* One entry; magic "070701", or "070702" with the checksum of data. */
static inline void cpio_add(struct cpio_out *o, const char *magic, const char *name, uint32_t mode,
                            uint32_t ino, uint32_t nlink, const void *data, uint32_t size)
{
    char h[111];
    uint32_t sum = 0;
    for (uint32_t i = 0; i < size; i++)
        sum += ((const uint8_t *)data)[i];
    snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, ino,
             mode, 0u, 0u, nlink, 1234u, size, 0u, 0u, 0u, 0u, (uint32_t)strlen(name) + 1,
             magic[5] == '2' ? sum : 0u);
    cpio_put(o, h, 110);
    cpio_put(o, name, strlen(name) + 1);
    cpio_pad(o);
    cpio_put(o, data, size);
    cpio_pad(o);
}

static inline void cpio_trailer(struct cpio_out *o)
{
    cpio_add(o, "070701", "TRAILER!!!", 0, 0, 1, "", 0);
}

#endif
