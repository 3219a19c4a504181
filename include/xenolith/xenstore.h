/*
 * xenstore for applications and drivers. Paths are absolute ("/local/domain/0/...")
 * or relative to this domain's home ("data/x" is /local/domain/<id>/data/x).
 * Every call returns 0 or a result >= 0, or a negative errno: -ENOENT, -EACCES,
 * -EAGAIN (transaction conflict), -ETIMEDOUT (xenstored did not answer), -EIO
 * (a malformed reply) ...
 */
#ifndef XENOLITH_XENSTORE_H
#define XENOLITH_XENSTORE_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t xs_tx_t;
#define XS_NO_TX ((xs_tx_t)0)

/* Access a domain has to a node; the first entry of a list names the owner. */
enum xs_perm_access {
    XS_PERM_NONE = 'n',
    XS_PERM_READ = 'r',
    XS_PERM_WRITE = 'w',
    XS_PERM_BOTH = 'b',
};

struct xs_perm {
    enum xs_perm_access perm;
    uint16_t domid;
};

/* Read a value into buf (NUL-terminated). Returns its length; -ERANGE if buf is small. */
int xs_read(xs_tx_t tx, const char *path, char *buf, size_t size);

/* Read a value into a malloc'd NUL-terminated string; NULL with errno set on failure. */
char *xs_read_alloc(xs_tx_t tx, const char *path);

/* Read a decimal integer value. */
int xs_read_int(xs_tx_t tx, const char *path, long *value);

int xs_write(xs_tx_t tx, const char *path, const char *value);
int xs_mkdir(xs_tx_t tx, const char *path);
int xs_rm(xs_tx_t tx, const char *path);

/*
 * The children of path: returns their number and sets *names to a malloc'd array
 * of that many strings (one allocation: free(*names) releases everything).
 */
int xs_directory(xs_tx_t tx, const char *path, char ***names);

/* Permissions of path: fills up to max entries, returns how many there are. */
int xs_get_perms(xs_tx_t tx, const char *path, struct xs_perm *perms, unsigned int max);
int xs_set_perms(xs_tx_t tx, const char *path, const struct xs_perm *perms, unsigned int n);

int xs_transaction_start(xs_tx_t *tx);
/* Commit (commit != 0) or abort. -EAGAIN: someone else changed what we read; retry. */
int xs_transaction_end(xs_tx_t tx, int commit);

/*
 * Run fn in a transaction and commit, starting over when the commit says -EAGAIN
 * (up to 100 times). fn returning < 0 aborts with that error.
 */
int xs_transaction(int (*fn)(xs_tx_t tx, void *arg), void *arg);

struct xs_watch;
typedef void (*xs_watch_fn)(struct xs_watch *w, const char *path, void *arg);

/* Fields are private; the struct must live until xs_unwatch. */
struct xs_watch {
    struct xs_watch *next;
    char token[16];
    char *path;
    xs_watch_fn fn;
    void *arg;
};

/*
 * Call fn(w, changed_path, arg) when path or anything below it changes (and once
 * right after registering, as xenstored does). Callbacks run one at a time in the
 * xenstore watch thread and may use xenstore themselves. Events that arrive while
 * a callback runs are queued; one for a watch and path already queued is merged
 * with it (the callback reads the current value anyway), and at most 256 wait in
 * all (more are dropped, and reported). xs_unwatch drops the watch's queued events
 * and, unless called from a callback, returns only once a running callback of it
 * has ended: the watch and its argument may be freed then.
 */
int xs_watch(struct xs_watch *w, const char *path, xs_watch_fn fn, void *arg);
int xs_unwatch(struct xs_watch *w);

/* This domain's id (from xenstore "domid"), or -errno. */
int xs_domid(void);

#endif
