/*
 * The xenstore message format: build requests, check and pick apart replies. Replies
 * come from another domain and are treated as hostile: every length is checked against
 * the header and XENSTORE_PAYLOAD_MAX, every string must end inside the payload.
 * Pure logic: no hypercalls, tested on the host (tests/unit/test_xs_wire.c).
 */
#include <string.h>
#include "drivers/xen/xs_wire.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* XS_SET_TARGET + 1 was XS_RESTRICT, removed from the protocol and never sent. */
#define XS_TYPE_REMOVED (XS_SET_TARGET + 1)

/* "w65535\0": the longest permission string. */
#define PERM_STR_MAX 8

/* A run of payload bytes; strings carry their NUL in n. */
struct part {
    const void *p;
    size_t n;
};

static struct part str_part(const char *s)
{
    return (struct part){s, strlen(s) + 1};
}

/* 0 if path may be sent: non-empty and within the limit for its kind. */
static int check_path(const char *path)
{
    size_t n = strlen(path);
    size_t max = (path[0] == '/' || path[0] == '@') ? XENSTORE_ABS_PATH_MAX : XENSTORE_REL_PATH_MAX;
    if (n == 0)
        return -EINVAL;
    return n > max ? -ENAMETOOLONG : 0;
}

/* Bytes of payload the parts add up to, or -E2BIG past XENSTORE_PAYLOAD_MAX. */
static long payload_len(const struct part *parts, unsigned int nparts)
{
    size_t len = 0;
    for (unsigned int i = 0; i < nparts; i++) {
        if (parts[i].n > XENSTORE_PAYLOAD_MAX - len)
            return -E2BIG;
        len += parts[i].n;
    }
    return (long)len;
}

/* Header for a payload of len bytes (already checked), or -ERANGE if buf is too small. */
static int put_header(void *buf, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
                      size_t len)
{
    struct xsd_sockmsg hdr = {type, req_id, tx_id, (uint32_t)len};
    if (size < XS_HDR_SIZE || len > size - XS_HDR_SIZE)
        return -ERANGE;
    memcpy(buf, &hdr, sizeof(hdr));
    return 0;
}

static int encode(void *buf, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
                  const struct part *parts, unsigned int nparts)
{
    long len = payload_len(parts, nparts);
    char *p;
    int err;

    if (len < 0)
        return (int)len;
    err = put_header(buf, size, type, req_id, tx_id, (size_t)len);
    if (err < 0)
        return err;
    p = (char *)buf + XS_HDR_SIZE;
    for (unsigned int i = 0; i < nparts; i++) {
        memcpy(p, parts[i].p, parts[i].n);
        p += parts[i].n;
    }
    return (int)(XS_HDR_SIZE + (size_t)len);
}

int xs_wire_encode_path(void *buf, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
                        const char *path)
{
    struct part parts[1];
    int err;

    switch (type) {
    case XS_READ:
    case XS_DIRECTORY:
    case XS_GET_PERMS:
    case XS_MKDIR:
    case XS_RM:
        break;
    default:
        return -EINVAL;
    }
    err = check_path(path);
    if (err < 0)
        return err;
    parts[0] = str_part(path);
    return encode(buf, size, type, req_id, tx_id, parts, 1);
}

int xs_wire_encode_write(void *buf, size_t size, uint32_t req_id, uint32_t tx_id, const char *path,
                         const void *value, size_t value_len)
{
    struct part parts[2];
    int err = check_path(path);

    if (err < 0)
        return err;
    if (value == NULL && value_len != 0)
        return -EINVAL;
    parts[0] = str_part(path);
    parts[1] = (struct part){value, value_len};
    return encode(buf, size, XS_WRITE, req_id, tx_id, parts, value_len ? 2 : 1);
}

int xs_wire_encode_watch(void *buf, size_t size, uint32_t type, uint32_t req_id, const char *path,
                         const char *token)
{
    struct part parts[2];
    int err;

    if (type != XS_WATCH && type != XS_UNWATCH)
        return -EINVAL;
    err = check_path(path);
    if (err < 0)
        return err;
    parts[0] = str_part(path);
    parts[1] = str_part(token);
    return encode(buf, size, type, req_id, 0, parts, 2);
}

int xs_wire_encode_transaction_start(void *buf, size_t size, uint32_t req_id)
{
    const struct part empty = {"", 1};
    return encode(buf, size, XS_TRANSACTION_START, req_id, 0, &empty, 1);
}

int xs_wire_encode_transaction_end(void *buf, size_t size, uint32_t req_id, uint32_t tx_id,
                                   int commit)
{
    const struct part arg = {commit ? "T" : "F", 2};
    if (tx_id == 0)
        return -EINVAL;
    return encode(buf, size, XS_TRANSACTION_END, req_id, tx_id, &arg, 1);
}

int xs_wire_encode_reset_watches(void *buf, size_t size, uint32_t req_id)
{
    const struct part empty = {"", 1};
    return encode(buf, size, XS_RESET_WATCHES, req_id, 0, &empty, 1);
}

/* One permission as "<letter><domid>\0" into out[PERM_STR_MAX]: its length, or -EINVAL. */
static int perm_format(char *out, const struct xenolith_xs_perm *perm)
{
    char digits[5];
    unsigned int nd = 0, v = perm->domid;
    int n = 0;

    switch (perm->perm) {
    case XENOLITH_XS_PERM_NONE:
    case XENOLITH_XS_PERM_READ:
    case XENOLITH_XS_PERM_WRITE:
    case XENOLITH_XS_PERM_BOTH:
        break;
    default:
        return -EINVAL;
    }
    out[n++] = (char)perm->perm;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd)
        out[n++] = digits[--nd];
    out[n++] = '\0';
    return n;
}

int xs_wire_encode_perms(char *buf, size_t size, const struct xenolith_xs_perm *perms,
                         unsigned int n)
{
    size_t pos = 0;

    if (n == 0)
        return -EINVAL;
    for (unsigned int i = 0; i < n; i++) {
        char s[PERM_STR_MAX];
        int len = perm_format(s, &perms[i]);
        if (len < 0)
            return len;
        if ((size_t)len > size - pos)
            return -ERANGE;
        memcpy(buf + pos, s, (size_t)len);
        pos += (size_t)len;
    }
    return (int)pos;
}

int xs_wire_encode_set_perms(void *buf, size_t size, uint32_t req_id, uint32_t tx_id,
                             const char *path, const struct xenolith_xs_perm *perms, unsigned int n)
{
    struct part parts[2];
    size_t plen = 0;
    long len;
    int err = check_path(path);

    if (err < 0)
        return err;
    if (n == 0)
        return -EINVAL;
    /* Measure first so that nothing is written unless the whole message fits. */
    for (unsigned int i = 0; i < n; i++) {
        char s[PERM_STR_MAX];
        int l = perm_format(s, &perms[i]);
        if (l < 0)
            return l;
        plen += (size_t)l;
        if (plen > XENSTORE_PAYLOAD_MAX)
            return -E2BIG;
    }
    parts[0] = str_part(path);
    parts[1] = (struct part){NULL, plen};
    len = payload_len(parts, 2);
    if (len < 0)
        return (int)len;
    err = put_header(buf, size, XS_SET_PERMS, req_id, tx_id, (size_t)len);
    if (err < 0)
        return err;
    memcpy((char *)buf + XS_HDR_SIZE, path, parts[0].n);
    err = xs_wire_encode_perms((char *)buf + XS_HDR_SIZE + parts[0].n, plen, perms, n);
    if (err < 0)
        return err; /* cannot happen: measured above */
    return (int)(XS_HDR_SIZE + (size_t)len);
}

int xs_wire_check_header(const struct xsd_sockmsg *hdr)
{
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
        return -EIO;
    if (hdr->type >= XS_TYPE_COUNT || hdr->type == XS_TYPE_REMOVED)
        return -EIO;
    return 0;
}

int xs_wire_decode_error(const char *body, uint32_t len)
{
    size_t n = len;

    if (len == 0 || len > XENSTORE_PAYLOAD_MAX)
        return -EIO;
    if (body[len - 1] == '\0')
        n--;
    if (n == 0 || memchr(body, '\0', n))
        return -EIO;
    for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++) {
        const char *name = xsd_errors[i].errstring;
        if (strlen(name) == n && memcmp(name, body, n) == 0)
            return -xsd_errors[i].errnum;
    }
    if (n == 6 && memcmp(body, "EQUOTA", 6) == 0)
        return -ENOSPC;
    return -EIO;
}

int xs_wire_reply_status(const struct xs_msg *m, uint32_t req_type)
{
    if (m->hdr.len > XENSTORE_PAYLOAD_MAX)
        return -EIO;
    if (m->hdr.type == XS_ERROR)
        return xs_wire_decode_error(m->body, m->hdr.len);
    return m->hdr.type == req_type ? 0 : -EIO;
}

int xs_wire_decode_ack(const struct xs_msg *m, uint32_t req_type)
{
    int err;

    switch (req_type) {
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS:
    case XS_WATCH:
    case XS_UNWATCH:
    case XS_TRANSACTION_END:
    case XS_RESET_WATCHES:
        break;
    default:
        return -EINVAL;
    }
    err = xs_wire_reply_status(m, req_type);
    if (err < 0)
        return err;
    if (m->hdr.len == 3 && memcmp(m->body, "OK", 3) == 0)
        return 0;
    if (m->hdr.len == 2 && memcmp(m->body, "OK", 2) == 0)
        return 0;
    return -EIO;
}

int xs_wire_decode_read(const struct xs_msg *m, char *buf, size_t size, size_t *needed)
{
    uint32_t len = m->hdr.len;
    int err = xs_wire_reply_status(m, XS_READ);

    if (err < 0)
        return err;
    if (size < (size_t)len + 1) {
        if (needed)
            *needed = (size_t)len + 1;
        return -ERANGE;
    }
    if (len)
        memcpy(buf, m->body, len);
    buf[len] = '\0';
    return (int)len;
}

int xs_wire_decode_directory(const struct xs_msg *m, struct xs_dir_iter *it)
{
    const char *p, *end;
    int count = 0;
    int err = xs_wire_reply_status(m, XS_DIRECTORY);

    if (err < 0)
        return err;
    if (m->hdr.len == 0) {
        *it = (struct xs_dir_iter){NULL, NULL};
        return 0;
    }
    p = m->body;
    end = m->body + m->hdr.len;
    if (end[-1] != '\0')
        return -EIO;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == p)
            return -EIO; /* an empty name */
        count++;
        p = nul + 1;
    }
    *it = (struct xs_dir_iter){m->body, end};
    return count;
}

const char *xs_dir_next(struct xs_dir_iter *it)
{
    const char *name = it->next, *nul;

    if (name == NULL || name >= it->end)
        return NULL;
    nul = memchr(name, '\0', (size_t)(it->end - name));
    if (nul == NULL) {
        it->next = it->end;
        return NULL;
    }
    it->next = nul + 1;
    return name;
}

/*
 * Parse the decimal digits s[0..n) (at least one, nothing else) into *v, at most max.
 * 0 or -EIO.
 */
static int parse_decimal(const char *s, size_t n, uint32_t max, uint32_t *v)
{
    uint32_t x = 0;

    if (n == 0)
        return -EIO;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = (uint32_t)(s[i] - '0');
        if (s[i] < '0' || s[i] > '9')
            return -EIO;
        if (x > (max - d) / 10)
            return -EIO;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

int xs_wire_decode_transaction_start(const struct xs_msg *m, uint32_t *tx_id)
{
    uint32_t len = m->hdr.len, id;
    int err = xs_wire_reply_status(m, XS_TRANSACTION_START);

    if (err < 0)
        return err;
    if (len < 2 || m->body[len - 1] != '\0')
        return -EIO;
    if (parse_decimal(m->body, len - 1, UINT32_MAX, &id) < 0 || id == 0)
        return -EIO;
    *tx_id = id;
    return 0;
}

int xs_wire_decode_perms(const struct xs_msg *m, struct xenolith_xs_perm *perms, unsigned int max)
{
    const char *p, *end;
    unsigned int count = 0;
    int err = xs_wire_reply_status(m, XS_GET_PERMS);

    if (err < 0)
        return err;
    if (m->hdr.len == 0)
        return -EIO;
    p = m->body;
    end = m->body + m->hdr.len;
    if (end[-1] != '\0')
        return -EIO;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        uint32_t domid;

        switch (*p) {
        case XENOLITH_XS_PERM_NONE:
        case XENOLITH_XS_PERM_READ:
        case XENOLITH_XS_PERM_WRITE:
        case XENOLITH_XS_PERM_BOTH:
            break;
        default:
            return -EIO; /* also the empty string */
        }
        if (parse_decimal(p + 1, (size_t)(nul - p - 1), UINT16_MAX, &domid) < 0)
            return -EIO;
        if (perms && count < max)
            perms[count] =
                (struct xenolith_xs_perm){(enum xenolith_xs_perm_access) * p, (uint16_t)domid};
        count++;
        p = nul + 1;
    }
    if (perms && count > max)
        return -ERANGE;
    return (int)count;
}

int xs_wire_decode_watch_event(const struct xs_msg *m, const char **path, const char **token)
{
    const char *body = m->body, *end, *nul1, *nul2;

    if (m->hdr.type != XS_WATCH_EVENT || m->hdr.len > XENSTORE_PAYLOAD_MAX || m->hdr.len < 3)
        return -EIO;
    end = body + m->hdr.len;
    nul1 = memchr(body, '\0', m->hdr.len);
    if (nul1 == NULL || nul1 == body || nul1 - body > XENSTORE_ABS_PATH_MAX)
        return -EIO;
    nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));
    if (nul2 != end - 1)
        return -EIO;
    *path = body;
    *token = nul1 + 1;
    return 0;
}
