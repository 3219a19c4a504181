/*
 * Files for apps: the initrd (start_info module 0: xl ramdisk=, QEMU -initrd), a cpio
 * newc archive, read-only at "/" (core/cpio.c), and a RAM-backed "/tmp" (core/tmpfs.c).
 * Here: the POSIX calls newlib makes (open, stat, unlink, mkdir ...), <dirent.h>, and
 * the descriptors core/syscalls.c passes on (FS_FD_BASE and up). The archive is indexed
 * on the first call; a corrupt one is reported once and its files give EIO.
 * One mutex over everything: file calls are not a hot path in a unikernel.
 */
#include "core/kernel.h"
#include "core/cpio.h"
#include "core/fs.h"
#include "core/fs_path.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/tmpfs.h"
#include "boot/start_info.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_BYTES 1024

enum kind { K_FILE, K_DIR, K_TMP };

/* What a path names: an archive file or directory (rf NULL: the root or implied), or /tmp's. */
struct target {
    enum kind kind;
    const struct cpio_file *rf;
    struct tmpfs_node *tn;
};

struct ofile {
    int used;
    int flags;
    uint64_t pos;
    struct target t;
    char *dir; /* K_DIR: its path (pos: where the listing is) */
    size_t dirlen;
    int tmp_listed; /* the root's listing has shown "tmp" */
};

static struct mutex fs_lock = MUTEX_INIT(fs_lock);
static enum { UNMOUNTED, NO_INITRD, MOUNTED, CORRUPT } state;
static struct cpio_index idx;
static struct tmpfs tmp;
static struct ofile files[FS_FD_MAX];

static void mount(void)
{
    tmpfs_init(&tmp);
    if (!boot_module_size) {
        state = NO_INITRD;
        printk("fs: no initrd: / has no files; /tmp in RAM\n");
        return;
    }
    int rc = cpio_index_build(&idx, (const void *)(uintptr_t)boot_module_paddr,
                              (size_t)boot_module_size, malloc);
    if (rc == -EIO) {
        state = CORRUPT;
        printk("fs: the initrd (%lu bytes) is not a usable cpio newc archive: %s at byte %lu; "
               "its files give EIO; /tmp in RAM\n",
               (unsigned long)boot_module_size, idx.why, (unsigned long)idx.bad_offset);
        return;
    }
    if (rc < 0) {
        state = CORRUPT;
        printk("fs: no memory to index the initrd; its files give EIO\n");
        return;
    }
    state = MOUNTED;
    printk("fs: / is the initrd (cpio newc): %lu entries, %lu bytes of data, read-only; "
           "/tmp in RAM\n",
           (unsigned long)idx.n, (unsigned long)idx.bytes);
    if (idx.skipped)
        printk("fs: %lu initrd entries skipped (names with '..', '//' or a trailing '/')\n",
               (unsigned long)idx.skipped);
}

static void fs_enter(void)
{
    mutex_lock(&fs_lock);
    if (state == UNMOUNTED)
        mount();
}

static void fs_leave(void)
{
    mutex_unlock(&fs_lock);
}

/* A call's result: r >= 0 as is; a negative errno becomes -1 with errno set. */
static long posix(long r)
{
    if (r >= 0)
        return r;
    errno = (int)-r;
    return -1;
}

static int is_tmp(const char *p, size_t n, const char **rest)
{
    return fs_path_under(p, n, "tmp", rest);
}

/* Find what the normalized path p (length n) names. */
static int resolve(const char *p, size_t n, struct target *t)
{
    const char *rest;
    memset(t, 0, sizeof(*t));
    if (is_tmp(p, n, &rest)) {
        t->kind = K_TMP;
        return tmpfs_lookup(&tmp, rest, &t->tn);
    }
    if (n == 0) {
        t->kind = K_DIR; /* the root is there even with no (or a broken) archive */
        return state == CORRUPT ? -EIO : 0;
    }
    if (state != MOUNTED)
        return state == CORRUPT ? -EIO : -ENOENT;
    t->rf = cpio_lookup(&idx, p, n);
    if (t->rf) {
        t->kind = (t->rf->mode & CPIO_S_IFMT) == CPIO_S_IFDIR ? K_DIR : K_FILE;
        return 0;
    }
    if (cpio_has_children(&idx, p, n)) {
        t->kind = K_DIR;
        return 0;
    }
    return -ENOENT;
}

static void fill_stat(const struct target *t, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_nlink = 1;
    st->st_blksize = 4096;
    if (t->kind == K_TMP) {
        st->st_dev = 2;
        st->st_ino = t->tn->ino;
        st->st_mode = t->tn->dir ? S_IFDIR | 0777 : S_IFREG | 0666;
        st->st_size = (off_t)t->tn->size;
        st->st_mtime = (time_t)(t->tn->mtime_ns / 1000000000);
    } else if (t->rf) {
        st->st_dev = 1;
        st->st_ino = t->rf->ino;
        st->st_mode = t->rf->mode;
        st->st_size = (off_t)t->rf->size;
        st->st_mtime = (time_t)t->rf->mtime;
    } else {
        st->st_dev = 1;
        st->st_mode = S_IFDIR | 0555;
    }
    st->st_blocks = (st->st_size + 511) / 512;
}

static struct ofile *fd_file(int fd)
{
    if (fd < FS_FD_BASE || fd >= FS_FD_BASE + FS_FD_MAX || !files[fd - FS_FD_BASE].used)
        return NULL;
    return &files[fd - FS_FD_BASE];
}

static int fd_new(void)
{
    for (int i = 0; i < FS_FD_MAX; i++)
        if (!files[i].used) {
            memset(&files[i], 0, sizeof(files[i]));
            files[i].used = 1;
            return FS_FD_BASE + i;
        }
    return -EMFILE;
}

/* path made canonical into p (PATH_BYTES): its length, or a negative errno; in /tmp or not. */
static int canon(const char *path, char *p, int *in_tmp, const char **rest)
{
    int n = fs_path_normalize(path, p, PATH_BYTES);
    *in_tmp = n >= 0 && is_tmp(p, (size_t)n, rest);
    return n;
}

/* open on /tmp: create, truncate, refuse what flags do not allow. */
static int open_tmp(const char *rest, int flags, struct target *t)
{
    int acc = flags & O_ACCMODE;
    int rc = tmpfs_lookup(&tmp, rest, &t->tn);
    if (rc == -ENOENT && (flags & O_CREAT)) {
        rc = tmpfs_create(&tmp, rest, 0, &t->tn);
        if (rc == 0)
            t->tn->mtime_ns = time_wallclock_ns();
    } else if (rc == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
        rc = -EEXIST;
    }
    if (rc < 0)
        return rc;
    if (t->tn->dir && acc != O_RDONLY)
        return -EISDIR;
    if (!t->tn->dir && (flags & O_DIRECTORY))
        return -ENOTDIR;
    if (!t->tn->dir && (flags & O_TRUNC) && acc != O_RDONLY)
        return tmpfs_truncate(t->tn, 0);
    return 0;
}

static int do_open(const char *path, int flags)
{
    char p[PATH_BYTES];
    const char *rest;
    struct target t;
    int in_tmp, rc, n = canon(path, p, &in_tmp, &rest);
    if (n < 0)
        return n;
    if (in_tmp) {
        t.kind = K_TMP;
        t.rf = NULL;
        rc = open_tmp(rest, flags, &t);
    } else {
        rc = resolve(p, (size_t)n, &t);
        if (rc == -ENOENT && (flags & O_CREAT))
            rc = -EROFS;
        else if (rc == 0 && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
            rc = -EROFS;
        else if (rc == 0 && t.kind == K_FILE && (t.rf->mode & CPIO_S_IFMT) == CPIO_S_IFLNK)
            rc = -ELOOP; /* symbolic links are listed, not followed */
        else if (rc == 0 && t.kind == K_FILE && (flags & O_DIRECTORY))
            rc = -ENOTDIR;
    }
    if (rc < 0)
        return rc;

    int fd = fd_new();
    if (fd < 0)
        return fd;
    struct ofile *f = fd_file(fd);
    f->flags = flags;
    f->t = t;
    if (t.kind == K_TMP) {
        tmpfs_hold(t.tn);
    } else if (t.kind == K_DIR) {
        f->dir = malloc((size_t)n + 1);
        if (!f->dir) {
            f->used = 0;
            return -ENOMEM;
        }
        memcpy(f->dir, p, (size_t)n + 1);
        f->dirlen = (size_t)n;
    }
    return fd;
}

int open(const char *path, int flags, ...)
{
    fs_enter();
    int r = do_open(path, flags);
    fs_leave();
    return (int)posix(r);
}

static ssize_t do_read(struct ofile *f, void *buf, size_t n)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (f->t.kind == K_DIR || (f->t.kind == K_TMP && f->t.tn->dir))
        return -EISDIR;
    ssize_t got;
    if (f->t.kind == K_TMP) {
        got = tmpfs_read(f->t.tn, f->pos, buf, n);
    } else {
        uint64_t size = f->t.rf->size;
        size_t k = f->pos >= size ? 0 : (size_t)MIN((uint64_t)n, size - f->pos);
        memcpy(buf, f->t.rf->data + f->pos, k);
        got = (ssize_t)k;
    }
    if (got > 0)
        f->pos += (uint64_t)got;
    return got;
}

ssize_t fs_read(int fd, void *buf, size_t n)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    ssize_t r = f ? do_read(f, buf, n) : -EBADF;
    fs_leave();
    return posix(r);
}

static ssize_t do_write(struct ofile *f, const void *buf, size_t n)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY || f->t.kind != K_TMP)
        return -EBADF;
    if (f->flags & O_APPEND)
        f->pos = f->t.tn->size;
    ssize_t put = tmpfs_write(f->t.tn, f->pos, buf, n);
    if (put > 0) {
        f->pos += (uint64_t)put;
        f->t.tn->mtime_ns = time_wallclock_ns();
    }
    return put;
}

ssize_t fs_write(int fd, const void *buf, size_t n)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    ssize_t r = f ? do_write(f, buf, n) : -EBADF;
    fs_leave();
    return posix(r);
}

int fs_close(int fd)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    int r = -EBADF;
    if (f) {
        if (f->t.kind == K_TMP)
            tmpfs_release(f->t.tn);
        free(f->dir);
        f->used = 0;
        r = 0;
    }
    fs_leave();
    return (int)posix(r);
}

int fs_fstat(int fd, struct stat *st)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    if (f)
        fill_stat(&f->t, st);
    fs_leave();
    return (int)posix(f ? 0 : -EBADF);
}

static off_t do_lseek(struct ofile *f, off_t off, int whence)
{
    if (f->t.kind == K_DIR || (f->t.kind == K_TMP && f->t.tn->dir))
        return -EISDIR;
    int64_t size = (int64_t)(f->t.kind == K_TMP ? f->t.tn->size : f->t.rf->size);
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)f->pos : size;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return -EINVAL;
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (off_t)f->pos;
}

off_t fs_lseek(int fd, off_t off, int whence)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    off_t r = f ? do_lseek(f, off, whence) : -EBADF;
    fs_leave();
    return (off_t)posix(r);
}

int fs_fcntl(int fd, int cmd, int arg)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    int r = -EBADF;
    if (f && cmd == F_GETFL) {
        r = f->flags & (O_ACCMODE | O_APPEND);
    } else if (f && cmd == F_SETFL) {
        f->flags = (f->flags & ~O_APPEND) | (arg & O_APPEND);
        r = 0;
    } else if (f) {
        r = -EINVAL;
    }
    fs_leave();
    return (int)posix(r);
}

int ftruncate(int fd, off_t len)
{
    fs_enter();
    struct ofile *f = fd_file(fd);
    int r = -EBADF;
    if (f && len < 0)
        r = -EINVAL;
    else if (f && f->t.kind != K_TMP)
        r = -EROFS;
    else if (f && (f->t.tn->dir || (f->flags & O_ACCMODE) == O_RDONLY))
        r = -EINVAL;
    else if (f)
        r = tmpfs_truncate(f->t.tn, (uint64_t)len);
    fs_leave();
    return (int)posix(r);
}

int fsync(int fd)
{
    fs_enter();
    int ok = fd_file(fd) != NULL;
    fs_leave();
    return (int)posix(ok ? 0 : -EBADF);
}

static int do_stat(const char *path, struct stat *st)
{
    char p[PATH_BYTES];
    struct target t;
    int n = fs_path_normalize(path, p, sizeof(p));
    int rc = n < 0 ? n : resolve(p, (size_t)n, &t);
    if (rc == 0)
        fill_stat(&t, st);
    return rc;
}

int stat(const char *path, struct stat *st)
{
    fs_enter();
    int r = do_stat(path, st);
    fs_leave();
    return (int)posix(r);
}

/* Links are never followed, so lstat is stat (newlib's headers do not declare it here). */
int lstat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st)
{
    return stat(path, st);
}

int access(const char *path, int mode)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if ((mode & W_OK) && st.st_dev == 1)
        return (int)posix(-EROFS);
    return 0;
}

/* unlink, mkdir and rmdir: only under /tmp; the archive is read-only. */
static int do_change(const char *path, int what)
{
    char p[PATH_BYTES];
    const char *rest;
    struct target t;
    int in_tmp, n = canon(path, p, &in_tmp, &rest);
    if (n < 0)
        return n;
    if (in_tmp) {
        if (!*rest)
            return what == 'm' ? -EEXIST : -EBUSY;
        if (what == 'm') {
            int rc = tmpfs_create(&tmp, rest, 1, &t.tn);
            if (rc == 0)
                t.tn->mtime_ns = time_wallclock_ns();
            return rc;
        }
        return tmpfs_remove(&tmp, rest, what == 'r');
    }
    int rc = resolve(p, (size_t)n, &t);
    if (rc == -EIO)
        return rc;
    if (what == 'm')
        return rc == 0 ? -EEXIST : -EROFS;
    return rc == 0 ? -EROFS : rc;
}

int unlink(const char *path)
{
    fs_enter();
    int r = do_change(path, 'u');
    fs_leave();
    return (int)posix(r);
}

int mkdir(const char *path, mode_t mode)
{
    fs_enter();
    int r = do_change(path, 'm');
    fs_leave();
    return (int)posix(r);
}

int rmdir(const char *path)
{
    fs_enter();
    int r = do_change(path, 'r');
    fs_leave();
    return (int)posix(r);
}

/* ---- <dirent.h> */

static void set_entry(struct dirent *d, const char *name, size_t len, ino_t ino, int type)
{
    len = MIN(len, sizeof(d->d_name) - 1);
    memcpy(d->d_name, name, len);
    d->d_name[len] = '\0';
    d->d_ino = ino;
    d->d_type = (unsigned char)type;
}

static int dt_of(uint32_t mode)
{
    switch (mode & CPIO_S_IFMT) {
    case CPIO_S_IFDIR:
        return DT_DIR;
    case CPIO_S_IFREG:
        return DT_REG;
    case CPIO_S_IFLNK:
        return DT_LNK;
    }
    return DT_UNKNOWN;
}

/* The next entry of directory f: 1 with *d filled, 0 at the end, or a negative errno. */
static int do_readdir(struct ofile *f, struct dirent *d)
{
    if (f->t.kind == K_TMP) {
        if (!f->t.tn->dir)
            return -ENOTDIR;
        struct tmpfs_node *c = tmpfs_child(f->t.tn, (size_t)f->pos);
        if (!c)
            return 0;
        f->pos++;
        set_entry(d, c->name, strlen(c->name), c->ino, c->dir ? DT_DIR : DT_REG);
        return 1;
    }
    if (f->t.kind != K_DIR)
        return -ENOTDIR;
    if (state == MOUNTED) {
        size_t pos = (size_t)f->pos, len;
        const struct cpio_file *c = cpio_next_child(&idx, f->dir, f->dirlen, &pos);
        f->pos = pos;
        if (c) {
            const char *name = cpio_basename(c, &len);
            if (f->dirlen == 0 && len == 3 && memcmp(name, "tmp", 3) == 0)
                f->tmp_listed = 1; /* the mount point hides the archive's own tmp */
            set_entry(d, name, len, c->ino, dt_of(c->mode));
            return 1;
        }
    }
    if (f->dirlen == 0 && !f->tmp_listed) {
        f->tmp_listed = 1;
        set_entry(d, "tmp", 3, 1, DT_DIR);
        return 1;
    }
    return 0;
}

DIR *opendir(const char *path)
{
    DIR *dir = malloc(sizeof(*dir));
    if (!dir) {
        errno = ENOMEM;
        return NULL;
    }
    dir->dd_fd = open(path, O_RDONLY | O_DIRECTORY);
    if (dir->dd_fd < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

struct dirent *readdir(DIR *dir)
{
    fs_enter();
    struct ofile *f = fd_file(dir->dd_fd);
    int r = f ? do_readdir(f, &dir->dd_ent) : -EBADF;
    fs_leave();
    if (r < 0)
        errno = -r;
    return r == 1 ? &dir->dd_ent : NULL;
}

void rewinddir(DIR *dir)
{
    fs_enter();
    struct ofile *f = fd_file(dir->dd_fd);
    if (f) {
        f->pos = 0;
        f->tmp_listed = 0;
    }
    fs_leave();
}

int closedir(DIR *dir)
{
    int r = fs_close(dir->dd_fd);
    free(dir);
    return r;
}

int dirfd(DIR *dir)
{
    return dir->dd_fd;
}
