/*
 * The POSIX socket calls of <sys/socket.h>, <poll.h>, <sys/select.h>,
 * <sys/ioctl.h>, <net/if.h> over lwIP's lwip_* functions, and the hooks through
 * which read, write, close, fstat and fcntl (core/syscalls.c) reach socket
 * descriptors (3 and up). socket() starts the stack on first use.
 */
#include "core/kernel.h"
#include "core/sched.h"
#include "lwip/sockets.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include <xenolith/netstack.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/select.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <poll.h>

#define FIRST_SOCKET 3 /* LWIP_SOCKET_OFFSET */

static int fail(int err)
{
    errno = err;
    return -1;
}

static int stack_running(void)
{
    return lock_tcpip_core != NULL;
}

int socket(int domain, int type, int protocol)
{
    int rc = xenolith_netstack_init();
    if (rc < 0)
        return fail(-rc);
    int nonblock = type & SOCK_NONBLOCK;
    int s = lwip_socket(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol);
    if (s >= 0 && nonblock)
        lwip_fcntl(s, F_SETFL, O_NONBLOCK);
    return s;
}

int bind(int s, const struct sockaddr *addr, socklen_t len)
{
    return lwip_bind(s, addr, len);
}

int listen(int s, int backlog)
{
    return lwip_listen(s, backlog);
}

int accept(int s, struct sockaddr *addr, socklen_t *len)
{
    return lwip_accept(s, addr, len);
}

int accept4(int s, struct sockaddr *addr, socklen_t *len, int flags)
{
    int c = lwip_accept(s, addr, len);
    if (c >= 0 && (flags & SOCK_NONBLOCK))
        lwip_fcntl(c, F_SETFL, O_NONBLOCK);
    return c;
}

int connect(int s, const struct sockaddr *addr, socklen_t len)
{
    int rc = lwip_connect(s, addr, len);
    if (rc < 0 && errno == ECONNRESET)
        errno = ECONNREFUSED; /* lwIP's word for a reset answering our SYN */
    return rc;
}

int shutdown(int s, int how)
{
    return lwip_shutdown(s, how);
}

int getsockname(int s, struct sockaddr *addr, socklen_t *len)
{
    return lwip_getsockname(s, addr, len);
}

int getpeername(int s, struct sockaddr *addr, socklen_t *len)
{
    return lwip_getpeername(s, addr, len);
}

int getsockopt(int s, int level, int name, void *val, socklen_t *len)
{
    return lwip_getsockopt(s, level, name, val, len);
}

int setsockopt(int s, int level, int name, const void *val, socklen_t len)
{
    return lwip_setsockopt(s, level, name, val, len);
}

ssize_t send(int s, const void *buf, size_t len, int flags)
{
    return lwip_send(s, buf, len, flags & ~MSG_NOSIGNAL);
}

ssize_t sendto(int s, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t tolen)
{
    return lwip_sendto(s, buf, len, flags & ~MSG_NOSIGNAL, to, tolen);
}

ssize_t sendmsg(int s, const struct msghdr *msg, int flags)
{
    return lwip_sendmsg(s, msg, flags & ~MSG_NOSIGNAL);
}

/* MSG_TRUNC on a datagram socket (Linux): the datagram's full length, not what fit. */
static ssize_t recv_trunc(int s, void *buf, size_t len, int flags, struct sockaddr *from,
                          socklen_t *fromlen)
{
    int type = 0, pending = 0;
    socklen_t tl = sizeof(type);
    if (lwip_getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type == SOCK_STREAM)
        return lwip_recvfrom(s, buf, len, flags & ~MSG_TRUNC, from, fromlen);
    /* Wait for a datagram as recv would, then learn its size. */
    ssize_t n = lwip_recvfrom(s, buf, 0, (flags & ~MSG_TRUNC) | MSG_PEEK, NULL, NULL);
    if (n < 0 || lwip_ioctl(s, FIONREAD, &pending) < 0)
        return n < 0 ? n : -1;
    n = lwip_recvfrom(s, buf, len, flags & ~MSG_TRUNC, from, fromlen);
    return n < 0 ? n : pending;
}

ssize_t recv(int s, void *buf, size_t len, int flags)
{
    if (flags & MSG_TRUNC)
        return recv_trunc(s, buf, len, flags, NULL, NULL);
    return lwip_recv(s, buf, len, flags);
}

ssize_t recvfrom(int s, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
    if (flags & MSG_TRUNC)
        return recv_trunc(s, buf, len, flags, from, fromlen);
    return lwip_recvfrom(s, buf, len, flags, from, fromlen);
}

ssize_t recvmsg(int s, struct msghdr *msg, int flags)
{
    return lwip_recvmsg(s, msg, flags);
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    if (fd < FIRST_SOCKET)
        return fail(EINVAL);
    return lwip_readv(fd, iov, iovcnt);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (fd < FIRST_SOCKET) {
        ssize_t total = 0;
        for (int i = 0; i < iovcnt; i++) {
            ssize_t n = write(fd, iov[i].iov_base, iov[i].iov_len);
            if (n < 0)
                return total ? total : n;
            total += n;
        }
        return total;
    }
    return lwip_writev(fd, iov, iovcnt);
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (fd < FIRST_SOCKET)
        return fail(ENOTTY);
    return lwip_ioctl(fd, (long)request, arg);
}

/* Sleep for a poll/select timeout when no socket is involved. */
static int sleep_ms(int timeout)
{
    if (timeout < 0)
        for (;;)
            xenolith_thread_sleep_ns(3600ULL * 1000000000);
    xenolith_thread_sleep_ns((uint64_t)timeout * 1000000);
    return 0;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    int sockets = 0, bad = 0;
    for (nfds_t i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd >= FIRST_SOCKET)
            sockets++;
        else if (fds[i].fd >= 0) {
            fds[i].revents = POLLNVAL;
            bad++;
        }
    }
    if (sockets && stack_running())
        return lwip_poll(fds, nfds, timeout);
    for (nfds_t i = 0; i < nfds; i++)
        if (fds[i].fd >= FIRST_SOCKET) {
            fds[i].revents = POLLNVAL;
            bad++;
        }
    return bad ? bad : sleep_ms(timeout);
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *timeout)
{
    if (nfds < 0 || nfds > FD_SETSIZE)
        return fail(EINVAL);
    if (nfds > FIRST_SOCKET && stack_running())
        return lwip_select(nfds, rd, wr, ex, timeout);
    for (int fd = 0; fd < nfds; fd++)
        if ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex)))
            return fail(EBADF);
    if (!timeout)
        return sleep_ms(-1);
    xenolith_thread_sleep_ns((uint64_t)timeout->tv_sec * 1000000000 +
                             (uint64_t)timeout->tv_usec * 1000);
    return 0;
}

unsigned int if_nametoindex(const char *name)
{
    if (!stack_running())
        return 0;
    LOCK_TCPIP_CORE();
    struct netif *n = netif_find(name);
    unsigned int index = n ? netif_get_index(n) : 0;
    UNLOCK_TCPIP_CORE();
    return index;
}

char *if_indextoname(unsigned int index, char *name)
{
    if (!stack_running() || index == 0 || index > 255)
        return errno = ENXIO, NULL;
    LOCK_TCPIP_CORE();
    struct netif *n = netif_get_by_index((u8_t)index);
    if (n)
        ksnprintf(name, IF_NAMESIZE, "%c%c%u", n->name[0], n->name[1], n->num);
    UNLOCK_TCPIP_CORE();
    return n ? name : (errno = ENXIO, NULL);
}

/*
 * The descriptor hooks of core/syscalls.c: weak references there, so only apps
 * that use sockets link them (and the stack).
 */
ssize_t socket_read(int fd, void *buf, size_t n);
ssize_t socket_write(int fd, const void *buf, size_t n);
int socket_close(int fd);
int socket_fcntl(int fd, int cmd, int arg);
int socket_fstat(int fd, struct stat *st);

ssize_t socket_read(int fd, void *buf, size_t n)
{
    return lwip_read(fd, buf, n);
}

ssize_t socket_write(int fd, const void *buf, size_t n)
{
    return lwip_write(fd, buf, n);
}

int socket_close(int fd)
{
    return lwip_close(fd);
}

int socket_fcntl(int fd, int cmd, int arg)
{
    return lwip_fcntl(fd, cmd, arg);
}

int socket_fstat(int fd, struct stat *st)
{
    if (lwip_fcntl(fd, F_GETFL, 0) < 0)
        return -1;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFSOCK | 0777;
    return 0;
}
