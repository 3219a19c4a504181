/*
 * The xenstore message format (docs/misc/xenstore.txt): requests encoded into caller
 * buffers, replies decoded from untrusted bytes. Pure logic, shared by the kernel and the
 * host tests (tests/unit/test_xs_wire.c).
 */
#ifndef XENOLITH_XS_WIRE_H
#define XENOLITH_XS_WIRE_H

#include <errno.h> /* before xs_wire.h: it only defines xsd_errors[] when EINVAL exists */
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>
#include <xenolith/xenstore.h>

/* Bytes of the header in front of every message, both ways. */
#define XS_HDR_SIZE ((uint32_t)sizeof(struct xsd_sockmsg))

/* The largest message either side may send: header plus XENSTORE_PAYLOAD_MAX. */
#define XS_MSG_MAX (XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX)

/* enum xenolith_xs_perm_access and struct xenolith_xs_perm are public: <xenolith/xenstore.h>. */

/* A complete received message. body points at hdr.len untrusted bytes. */
struct xs_msg {
    struct xsd_sockmsg hdr;
    const char *body;
};

/* Walks the names of a decoded XS_DIRECTORY reply without copying them. */
struct xs_dir_iter {
    const char *next, *end;
};

/*
 * Request encoders. Each writes header + payload into buf[0..size) and returns the total
 * message length (XS_HDR_SIZE + payload), or:
 *   -EINVAL        an empty path, a type the encoder does not build, bad arguments;
 *   -ENAMETOOLONG  a path longer than XENSTORE_ABS_PATH_MAX (paths starting with '/' or
 *                  '@') or XENSTORE_REL_PATH_MAX (relative paths);
 *   -E2BIG         the payload would exceed XENSTORE_PAYLOAD_MAX (xenstored kills the
 *                  connection of a client that sends one);
 *   -ERANGE        buf is too small (XS_MSG_MAX bytes always suffice).
 * Nothing is written to buf on error. Strings are NUL-terminated C strings.
 */

/* XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR or XS_RM of one path: "path\0". */
int xs_wire_encode_path(void *buf, size_t size, uint32_t type, uint32_t req_id, uint32_t tx_id,
                        const char *path);

/* XS_WRITE: "path\0" followed by value_len raw bytes, which are not NUL-terminated. */
int xs_wire_encode_write(void *buf, size_t size, uint32_t req_id, uint32_t tx_id, const char *path,
                         const void *value, size_t value_len);

/*
 * XS_WATCH or XS_UNWATCH (type): "path\0token\0", tx_id 0 (xenstored ignores it). path may
 * be a special watch such as "@releaseDomain"; token is echoed in every event.
 */
int xs_wire_encode_watch(void *buf, size_t size, uint32_t type, uint32_t req_id, const char *path,
                         const char *token);

/* XS_TRANSACTION_START: payload "\0", tx_id 0 (nested transactions are not allowed). */
int xs_wire_encode_transaction_start(void *buf, size_t size, uint32_t req_id);

/* XS_TRANSACTION_END of tx_id (nonzero): "T\0" to commit, "F\0" to abort. */
int xs_wire_encode_transaction_end(void *buf, size_t size, uint32_t req_id, uint32_t tx_id,
                                   int commit);

/*
 * XS_SET_PERMS: "path\0" then each of the n (>= 1) permissions as "<letter><domid>\0";
 * perms[0] is the owner and its access applies to every domain not listed.
 */
int xs_wire_encode_set_perms(void *buf, size_t size, uint32_t req_id, uint32_t tx_id,
                             const char *path, const struct xenolith_xs_perm *perms,
                             unsigned int n);

/* XS_RESET_WATCHES: payload "\0"; drops all our watches and transactions. */
int xs_wire_encode_reset_watches(void *buf, size_t size, uint32_t req_id);

/*
 * The permission strings alone, "n0\0r1\0...", into buf[0..size). Returns their length,
 * -EINVAL for n == 0 or an unknown access letter, -ERANGE if buf is too small.
 */
int xs_wire_encode_perms(char *buf, size_t size, const struct xenolith_xs_perm *perms,
                         unsigned int n);

/*
 * Check a received header before trusting its length: 0, or -EIO when len exceeds
 * XENSTORE_PAYLOAD_MAX or type is not a message type of the protocol.
 */
int xs_wire_check_header(const struct xsd_sockmsg *hdr);

/*
 * The errno named by an XS_ERROR payload ("ENOENT" with or without its NUL), negated.
 * Names outside io/xs_wire.h's xsd_errors[] give -EIO, except oxenstored's "EQUOTA",
 * which means what C xenstored says with ENOSPC and so gives -ENOSPC.
 */
int xs_wire_decode_error(const char *body, uint32_t len);

/*
 * First step of every reply decoder: 0 if m is a reply of type req_type, the negated
 * errno of an XS_ERROR reply, -EIO for any other type or a length over the limit.
 */
int xs_wire_reply_status(const struct xs_msg *m, uint32_t req_type);

/*
 * Reply to XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS, XS_WATCH, XS_UNWATCH,
 * XS_TRANSACTION_END or XS_RESET_WATCHES (req_type): 0 if the payload is "OK\0" (what
 * both xenstoreds send) or "OK", else -EIO or the reply's error.
 */
int xs_wire_decode_ack(const struct xs_msg *m, uint32_t req_type);

/*
 * Reply to XS_READ: copy the value plus a terminating NUL into buf[0..size) and return
 * the value's length (the value may itself hold NULs). -ERANGE if size is too small; then
 * *needed (if not NULL) is set to the size that would do.
 */
int xs_wire_decode_read(const struct xs_msg *m, char *buf, size_t size, size_t *needed);

/*
 * Reply to XS_DIRECTORY: check that the payload is zero or more non-empty NUL-terminated
 * names and return how many, with *it set to walk them; else -EIO or the reply's error.
 */
int xs_wire_decode_directory(const struct xs_msg *m, struct xs_dir_iter *it);

/* The next name of a directory walk (pointing into the message), or NULL at the end. */
const char *xs_dir_next(struct xs_dir_iter *it);

/*
 * Reply to XS_TRANSACTION_START: the id, decimal digits and a NUL, nonzero and within
 * uint32_t, into *tx_id. 0, -EIO or the reply's error.
 */
int xs_wire_decode_transaction_start(const struct xs_msg *m, uint32_t *tx_id);

/*
 * Reply to XS_GET_PERMS: one or more "<n|r|w|b><domid>\0" with domid 0..65535 in
 * decimal. Returns the count and fills perms[0..count) if count <= max; -ERANGE if
 * count > max; with perms NULL, only counts. -EIO or the reply's error otherwise.
 */
int xs_wire_decode_perms(const struct xs_msg *m, struct xenolith_xs_perm *perms, unsigned int max);

/*
 * An XS_WATCH_EVENT: exactly "path\0token\0" with a non-empty path of at most
 * XENSTORE_ABS_PATH_MAX bytes. Sets *path and *token to point into the message; 0 or
 * -EIO.
 */
int xs_wire_decode_watch_event(const struct xs_msg *m, const char **path, const char **token);

#endif
