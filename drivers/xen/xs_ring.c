/*
 * The xenstore ring page: copies in and out of the two byte queues, message reassembly
 * from the reply queue, and the reconnect/error fields. xenstored writes req_cons,
 * rsp_prod, server_features, connection (back to 0) and error; we write the rest. Each
 * index the other side writes is loaded once, with acquire, and checked before use.
 * Pure logic: no hypercalls, tested on the host (tests/unit/test_xs_ring.c).
 */
#include <string.h>
#include "drivers/xen/xs_ring.h"

/* Indices producer ahead of consumer by more than the ring size cannot happen. */
static int ring_used(XENSTORE_RING_IDX prod, XENSTORE_RING_IDX cons, uint32_t *used)
{
    *used = prod - cons; /* free-running: unsigned wrap is the point */
    return *used > XENSTORE_RING_SIZE ? -EIO : 0;
}

int xs_ring_write(struct xenstore_domain_interface *intf, const void *buf, size_t len)
{
    XENSTORE_RING_IDX cons = __atomic_load_n(&intf->req_cons, __ATOMIC_ACQUIRE);
    XENSTORE_RING_IDX prod = __atomic_load_n(&intf->req_prod, __ATOMIC_RELAXED);
    uint32_t used, off, first;
    size_t n;

    if (ring_used(prod, cons, &used) < 0)
        return -EIO;
    n = XENSTORE_RING_SIZE - used;
    if (n > len)
        n = len;
    if (n == 0)
        return 0;
    off = MASK_XENSTORE_IDX(prod);
    first = XENSTORE_RING_SIZE - off;
    if (first > n)
        first = (uint32_t)n;
    memcpy(intf->req + off, buf, first);
    memcpy(intf->req, (const char *)buf + first, n - first);
    __atomic_store_n(&intf->req_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (int)n;
}

int xs_ring_read(struct xenstore_domain_interface *intf, void *buf, size_t len)
{
    XENSTORE_RING_IDX prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_ACQUIRE);
    XENSTORE_RING_IDX cons = __atomic_load_n(&intf->rsp_cons, __ATOMIC_RELAXED);
    uint32_t used, off, first;
    size_t n;

    if (ring_used(prod, cons, &used) < 0)
        return -EIO;
    n = used;
    if (n > len)
        n = len;
    if (n == 0)
        return 0;
    off = MASK_XENSTORE_IDX(cons);
    first = XENSTORE_RING_SIZE - off;
    if (first > n)
        first = (uint32_t)n;
    memcpy(buf, intf->rsp + off, first);
    memcpy((char *)buf + first, intf->rsp, n - first);
    __atomic_store_n(&intf->rsp_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELEASE);
    return (int)n;
}

uint32_t xs_ring_server_features(const struct xenstore_domain_interface *intf)
{
    return __atomic_load_n(&intf->server_features, __ATOMIC_ACQUIRE);
}

uint32_t xs_ring_error(const struct xenstore_domain_interface *intf)
{
    if (!(xs_ring_server_features(intf) & XENSTORE_SERVER_FEATURE_ERROR))
        return 0;
    return __atomic_load_n(&intf->error, __ATOMIC_ACQUIRE);
}

int xs_ring_reconnect_start(struct xenstore_domain_interface *intf)
{
    if (!(xs_ring_server_features(intf) & XENSTORE_SERVER_FEATURE_RECONNECTION))
        return -ENOTSUP;
    /* Release: whatever we wrote to the page before asking is visible to the server. */
    __atomic_store_n(&intf->connection, XENSTORE_RECONNECT, __ATOMIC_RELEASE);
    return 0;
}

int xs_ring_reconnect_done(const struct xenstore_domain_interface *intf)
{
    if (!(xs_ring_server_features(intf) & XENSTORE_SERVER_FEATURE_RECONNECTION))
        return 1;
    /* Acquire: the reset indices are visible once we see XENSTORE_CONNECTED. */
    return __atomic_load_n(&intf->connection, __ATOMIC_ACQUIRE) == XENSTORE_CONNECTED;
}

void xs_reader_init(struct xs_reader *r)
{
    r->have = 0;
    r->complete = 0;
    r->err = 0;
    memset(&r->hdr, 0, sizeof(r->hdr));
}

/* 0 if r may take bytes; forgets a message handed out by the previous call. */
static int reader_begin(struct xs_reader *r)
{
    if (r->err)
        return r->err;
    if (r->complete) {
        r->complete = 0;
        r->have = 0;
    }
    return 0;
}

/* Bytes still missing from the current message, or from its header while incomplete. */
static uint32_t reader_need(const struct xs_reader *r)
{
    if (r->have < XS_HDR_SIZE)
        return XS_HDR_SIZE - r->have;
    return XS_HDR_SIZE + r->hdr.len - r->have;
}

/* n more bytes landed in r->buf: 1 message complete, 0 more needed, -EIO bad header. */
static int reader_took(struct xs_reader *r, uint32_t n, struct xs_msg *msg)
{
    r->have += n;
    if (r->have < XS_HDR_SIZE)
        return 0;
    if (r->have == XS_HDR_SIZE) {
        memcpy(&r->hdr, r->buf, XS_HDR_SIZE);
        if (xs_wire_check_header(&r->hdr) < 0) {
            r->err = -EIO;
            return -EIO;
        }
    }
    if (r->have < XS_HDR_SIZE + r->hdr.len)
        return 0;
    r->complete = 1;
    msg->hdr = r->hdr;
    msg->body = r->buf + XS_HDR_SIZE;
    return 1;
}

int xs_reader_feed(struct xs_reader *r, const void *data, size_t len, size_t *used,
                   struct xs_msg *msg)
{
    const char *p = data;
    size_t done = 0;
    int ret = reader_begin(r);

    *used = 0;
    if (ret < 0)
        return ret;
    while (done < len) {
        uint32_t n = reader_need(r);
        if (n > len - done)
            n = (uint32_t)(len - done);
        memcpy(r->buf + r->have, p + done, n);
        done += n;
        ret = reader_took(r, n, msg);
        if (ret != 0)
            break;
    }
    *used = done;
    return ret;
}

int xs_reader_pull(struct xs_reader *r, struct xenstore_domain_interface *intf, struct xs_msg *msg)
{
    int ret = reader_begin(r);

    while (ret == 0) {
        int n = xs_ring_read(intf, r->buf + r->have, reader_need(r));
        if (n < 0) {
            r->err = -EIO;
            return -EIO;
        }
        if (n == 0)
            return 0;
        ret = reader_took(r, (uint32_t)n, msg);
    }
    return ret;
}
