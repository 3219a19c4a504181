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

typedef uint32_t xenolith_xs_tx_t;
#define XENOLITH_XS_NO_TX ((xenolith_xs_tx_t)0)

/* Access a domain has to a node; the first entry of a list names the owner. */
enum xenolith_xs_perm_access {
    XENOLITH_XS_PERM_NONE = 'n',
    XENOLITH_XS_PERM_READ = 'r',
    XENOLITH_XS_PERM_WRITE = 'w',
    XENOLITH_XS_PERM_BOTH = 'b',
};

struct xenolith_xs_perm {
    enum xenolith_xs_perm_access perm;
    uint16_t domid;
};

/* Read a value into buf (NUL-terminated). Returns its length; -ERANGE if buf is small. */
int xenolith_xs_read(xenolith_xs_tx_t tx, const char *path, char *buf, size_t size);

/* Read a value into a malloc'd NUL-terminated string; NULL with errno set on failure. */
char *xenolith_xs_read_alloc(xenolith_xs_tx_t tx, const char *path);

/* Read a decimal integer value. */
int xenolith_xs_read_int(xenolith_xs_tx_t tx, const char *path, long *value);

int xenolith_xs_write(xenolith_xs_tx_t tx, const char *path, const char *value);
int xenolith_xs_mkdir(xenolith_xs_tx_t tx, const char *path);
int xenolith_xs_rm(xenolith_xs_tx_t tx, const char *path);

/*
 * The children of path: returns their number and sets *names to a malloc'd array
 * of that many strings (one allocation: free(*names) releases everything).
 */
int xenolith_xs_directory(xenolith_xs_tx_t tx, const char *path, char ***names);

/* Permissions of path: fills up to max entries, returns how many there are. */
int xenolith_xs_get_perms(xenolith_xs_tx_t tx, const char *path, struct xenolith_xs_perm *perms,
                          unsigned int max);
int xenolith_xs_set_perms(xenolith_xs_tx_t tx, const char *path,
                          const struct xenolith_xs_perm *perms, unsigned int n);

int xenolith_xs_transaction_start(xenolith_xs_tx_t *tx);
/* Commit (commit != 0) or abort. -EAGAIN: someone else changed what we read; retry. */
int xenolith_xs_transaction_end(xenolith_xs_tx_t tx, int commit);

/*
 * Run fn in a transaction and commit, starting over when the commit says -EAGAIN
 * (up to 100 times). fn returning < 0 aborts with that error.
 */
int xenolith_xs_transaction(int (*fn)(xenolith_xs_tx_t tx, void *arg), void *arg);

struct xenolith_xs_watch;
typedef void (*xenolith_xs_watch_fn)(struct xenolith_xs_watch *w, const char *path, void *arg);

/* Fields are private; the struct must live until xenolith_xs_unwatch. */
struct xenolith_xs_watch {
    struct xenolith_xs_watch *next;
    char token[16];
    char *path;
    xenolith_xs_watch_fn fn;
    void *arg;
};

/*
 * Call fn(w, changed_path, arg) when path or anything below it changes (and once
 * right after registering, as xenstored does). Callbacks run one at a time in the
 * xenstore watch thread and may use xenstore themselves. Events that arrive while
 * a callback runs are queued; one for a watch and path already queued is merged
 * with it (the callback reads the current value anyway), and at most 256 wait in
 * all (more are dropped, and reported). xenolith_xs_unwatch drops the watch's queued events
 * and, unless called from a callback, returns only once a running callback of it
 * has ended: the watch and its argument may be freed then.
 */
int xenolith_xs_watch(struct xenolith_xs_watch *w, const char *path, xenolith_xs_watch_fn fn,
                      void *arg);
int xenolith_xs_unwatch(struct xenolith_xs_watch *w);

/* This domain's id (from xenstore "domid"), or -errno. */
int xenolith_xs_domid(void);

#endif
