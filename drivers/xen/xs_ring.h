/*
 * The xenstore shared ring (io/xs_wire.h, docs/misc/xenstore-ring.txt): byte copies in and
 * out with the right barriers, reassembly of whole messages from the reply stream, and the
 * reconnect and error fields. Pure logic, tested on the host (tests/unit/test_xs_ring.c).
 */
#ifndef XENOLITH_XS_RING_H
#define XENOLITH_XS_RING_H

#include <stddef.h>
#include <stdint.h>
#include "drivers/xen/xs_wire.h"

/*
 * Copy as much of buf[0..len) into the request ring as fits, wrapping at the end of the
 * array, and publish it (release store of req_prod after the bytes). Returns the bytes
 * written, 0 if the ring is full, or -EIO if xenstored left impossible indices
 * (req_prod - req_cons > XENSTORE_RING_SIZE). The caller signals the event channel.
 */
int xs_ring_write(struct xenstore_domain_interface *intf, const void *buf, size_t len);

/*
 * Copy up to len bytes out of the reply ring into buf and hand the space back (release
 * store of rsp_cons after the copy). Returns the bytes read, 0 if the ring is empty, or
 * -EIO if the indices are impossible. The caller signals the event channel.
 */
int xs_ring_read(struct xenstore_domain_interface *intf, void *buf, size_t len);

/* The server's XENSTORE_SERVER_FEATURE_* bits. Bits are only ever added. */
uint32_t xs_ring_server_features(const struct xenstore_domain_interface *intf);

/*
 * The server's connection error indicator (XENSTORE_ERROR_*; other nonzero values may
 * appear in future), or 0 if the server does not advertise XENSTORE_SERVER_FEATURE_ERROR.
 * Nonzero means xenstored has stopped serving this ring and dropped our requests,
 * watches and transactions.
 */
uint32_t xs_ring_error(const struct xenstore_domain_interface *intf);

/*
 * Ask xenstored to reset the ring: sets the connection field to XENSTORE_RECONNECT. The
 * caller then signals the event channel, touches nothing else on the page, and waits
 * until xs_ring_reconnect_done(). 0, or -ENOTSUP if the server does not advertise
 * XENSTORE_SERVER_FEATURE_RECONNECTION.
 */
int xs_ring_reconnect_start(struct xenstore_domain_interface *intf);

/*
 * Nonzero when the ring may be used: the server does not do reconnection, or it has set
 * the connection field back to XENSTORE_CONNECTED (after which the queues are empty and
 * every request, watch and transaction is gone). Check it at start-up too: someone else
 * may have begun a reset before we arrived.
 */
int xs_ring_reconnect_done(const struct xenstore_domain_interface *intf);

/*
 * Reassembles whole messages from the reply stream: the header, checked with
 * xs_wire_check_header() as soon as its 16 bytes are in, then exactly hdr.len payload
 * bytes, across any number of partial reads. Holds one message at a time in its own
 * buffer, copied out of shared memory before anything is checked.
 */
struct xs_reader {
    uint32_t have;          /* bytes of the current message in buf */
    int complete;           /* buf holds a whole message, handed out by the last call */
    int err;                /* 0, or -EIO for good: a bad header or corrupt ring was seen */
    struct xsd_sockmsg hdr; /* the current header, once have >= XS_HDR_SIZE */
    char buf[XS_MSG_MAX];
};

/* Start empty (also after a ring reconnect, which restarts the stream). */
void xs_reader_init(struct xs_reader *r);

/*
 * Feed bytes of the reply stream. Consumes data up to the end of the current message at
 * most and sets *used to how many. Returns 1 with *msg set when a message is complete
 * (msg->body points into r and stays valid until the next feed, pull or init), 0 when
 * all of data went into a still incomplete message, or -EIO for a bad header; the reader
 * then stays in error and returns -EIO until xs_reader_init().
 */
int xs_reader_feed(struct xs_reader *r, const void *data, size_t len, size_t *used,
                   struct xs_msg *msg);

/*
 * Like xs_reader_feed(), fed straight from the reply ring: reads no further than the end
 * of the current message, so later messages stay in the ring. Returns 1 with *msg set, 0
 * if the ring ran dry first (the bytes so far are kept), or -EIO for a bad header or
 * corrupt indices (sticky as above). The caller signals the event channel when this read
 * anything, as xenstored may be waiting for space.
 */
int xs_reader_pull(struct xs_reader *r, struct xenstore_domain_interface *intf, struct xs_msg *msg);

#endif
