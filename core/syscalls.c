/*
 * newlib's system interface. Built with MISSING_SYSCALL_NAMES (no libgloss), newlib
 * calls these by their POSIX names: write, sbrk, ... (and _exit). Output goes to the console, the
 * heap to heap_sbrk, exit ends the domain. Files (open, stat, unlink ...) live in core/fs.c,
 * which takes descriptors FS_FD_BASE and up; what is left fails with an errno, never pretends.
 */
#include "core/kernel.h"
#include "core/console.h"
#include "core/fs.h"
#include "core/mm.h"
#include "core/shutdown.h"
#include "core/time.h"
#include "core/sched.h"
#include <reent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <fcntl.h>
#include <stdarg.h>

#undef errno
#define SET_ERRNO(e) (__getreent()->_errno = (e))

/* Each thread has its own newlib state (errno ...); before threads, the global one. */
struct _reent *__getreent(void)
{
    struct xenolith_thread *t = sched_running() ? thread_current() : NULL;
    return t ? &t->reent : _impure_ptr;
}

/*
 * Called from kernel_start so this object (and, through the lock reference, our
 * newlib locks) is linked before libc.a is searched; otherwise libc's default
 * __getreent and dummy locks would be pulled in first and clash.
 */
extern struct __lock __lock___malloc_recursive_mutex;
void *newlib_glue_anchor(void)
{
    return &__lock___malloc_recursive_mutex;
}

int write(int fd, const void *buf, size_t n);
int read(int fd, void *buf, size_t n);
int close(int fd);
int fstat(int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
void *sbrk(ptrdiff_t incr);
_Noreturn void _exit(int status);
int kill(int pid, int sig);
int getpid(void);
clock_t times(struct tms *t);
int gettimeofday(struct timeval *tv, void *tz);
int link(const char *old, const char *new);
int fork(void);
int wait(int *status);
int execve(const char *path, char *const argv[], char *const envp[]);
int fcntl(int fd, int cmd, ...);

/*
 * Descriptors from 3 up are sockets when the app uses them: net/sockets.c defines
 * these. Weak references, so an app without sockets links no network stack.
 */
extern ssize_t socket_read(int fd, void *buf, size_t n) __attribute__((weak));
extern ssize_t socket_write(int fd, const void *buf, size_t n) __attribute__((weak));
extern int socket_close(int fd) __attribute__((weak));
extern int socket_fstat(int fd, struct stat *st) __attribute__((weak));
extern int socket_fcntl(int fd, int cmd, int arg) __attribute__((weak));

int write(int fd, const void *buf, size_t n)
{
    if (fd >= FS_FD_BASE && fs_write)
        return (int)fs_write(fd, buf, n);
    if (fd > 2 && socket_write)
        return (int)socket_write(fd, buf, n);
    if (fd != 1 && fd != 2) {
        SET_ERRNO(EBADF);
        return -1;
    }
    console_write(buf, n);
    return (int)n;
}

int read(int fd, void *buf, size_t n)
{
    if (fd >= FS_FD_BASE && fs_read)
        return (int)fs_read(fd, buf, n);
    if (fd > 2 && socket_read)
        return (int)socket_read(fd, buf, n);
    if (fd != 0) {
        SET_ERRNO(EBADF);
        return -1;
    }
    if (n == 0)
        return 0;
    long got = console_read(buf, n);
    if (got < 0) {
        SET_ERRNO((int)-got);
        return -1;
    }
    return (int)got;
}

int close(int fd)
{
    if (fd >= 0 && fd <= 2)
        return 0;
    if (fd >= FS_FD_BASE && fs_close)
        return fs_close(fd);
    if (fd > 2 && socket_close)
        return socket_close(fd);
    SET_ERRNO(EBADF);
    return -1;
}

int fstat(int fd, struct stat *st)
{
    if (fd >= FS_FD_BASE && fs_fstat)
        return fs_fstat(fd, st);
    if (fd > 2 && socket_fstat)
        return socket_fstat(fd, st);
    if (fd < 0 || fd > 2) {
        SET_ERRNO(EBADF);
        return -1;
    }
    __builtin_memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR;
    return 0;
}

int isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int arg = va_arg(ap, int);
    va_end(ap);
    if (fd >= FS_FD_BASE && fs_fcntl)
        return fs_fcntl(fd, cmd, arg);
    if (fd > 2 && socket_fcntl)
        return socket_fcntl(fd, cmd, arg);
    if (fd < 0 || fd > 2) {
        SET_ERRNO(EBADF);
        return -1;
    }
    if (cmd == F_GETFL)
        return O_RDWR;
    if (cmd == F_SETFL)
        return 0;
    SET_ERRNO(EINVAL);
    return -1;
}

off_t lseek(int fd, off_t off, int whence)
{
    if (fd >= FS_FD_BASE && fs_lseek)
        return fs_lseek(fd, off, whence);
    SET_ERRNO(ESPIPE);
    return -1;
}

void *sbrk(ptrdiff_t incr)
{
    void *p = heap_sbrk(incr);
    if (p == (void *)-1)
        SET_ERRNO(ENOMEM);
    return p;
}

_Noreturn void _exit(int status)
{
    kernel_exit(status);
}

int kill(int pid, int sig)
{
    if (pid == 1)
        kernel_exit(128 + sig);
    SET_ERRNO(ESRCH);
    return -1;
}

int getpid(void)
{
    return 1;
}

clock_t times(struct tms *t)
{
    clock_t ticks = (clock_t)(time_ns_since_boot() / (1000000000 / CLOCKS_PER_SEC));
    if (t) {
        t->tms_utime = ticks;
        t->tms_stime = 0;
        t->tms_cutime = 0;
        t->tms_cstime = 0;
    }
    return ticks;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    uint64_t ns = time_wallclock_ns();
    if (tv) {
        tv->tv_sec = (time_t)(ns / 1000000000);
        tv->tv_usec = (suseconds_t)(ns % 1000000000 / 1000);
    }
    return 0;
}

int link(const char *old, const char *new)
{
    SET_ERRNO(EMLINK);
    return -1;
}

int fork(void)
{
    SET_ERRNO(ENOSYS);
    return -1;
}

int wait(int *status)
{
    SET_ERRNO(ECHILD);
    return -1;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    SET_ERRNO(ENOSYS);
    return -1;
}
