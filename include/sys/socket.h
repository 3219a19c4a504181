/*
 * BSD sockets (POSIX <sys/socket.h>) for xenolith apps, served by lwIP (net/).
 * Constants and layouts are Linux's (no sa_len field), so code written for Linux
 * builds unchanged. Socket descriptors start at 3 and also work with read, write,
 * close, fcntl, ioctl, poll and select. The TCP/IP stack starts on the first
 * socket() call (or xenolith_netstack_init(), <xenolith/netstack.h>): an app that never
 * makes a socket does not link it.
 */
#ifndef _SYS_SOCKET_H
#define _SYS_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t socklen_t;
typedef uint16_t sa_family_t;

struct sockaddr {
    sa_family_t sa_family;
    char sa_data[14];
};

/* Big enough and aligned for any address of ours. */
struct sockaddr_storage {
    sa_family_t ss_family;
    char __ss_pad[118];
    uint64_t __ss_align;
};

struct msghdr {
    void *msg_name;
    socklen_t msg_namelen;
    struct iovec *msg_iov;
    int msg_iovlen;
    void *msg_control;
    socklen_t msg_controllen;
    int msg_flags;
};

struct cmsghdr {
    socklen_t cmsg_len;
    int cmsg_level;
    int cmsg_type;
};

#define CMSG_ALIGN(len) (((len) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#define CMSG_DATA(c)    ((unsigned char *)(c) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_SPACE(len) (CMSG_ALIGN(sizeof(struct cmsghdr)) + CMSG_ALIGN(len))
#define CMSG_LEN(len)   (CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))
#define CMSG_FIRSTHDR(m)                                                                           \
    ((m)->msg_controllen >= sizeof(struct cmsghdr) ? (struct cmsghdr *)(m)->msg_control            \
                                                   : (struct cmsghdr *)NULL)
#define CMSG_NXTHDR(m, c)                                                                          \
    (((unsigned char *)(c) + CMSG_ALIGN((c)->cmsg_len) + sizeof(struct cmsghdr) >                  \
      (unsigned char *)(m)->msg_control + (m)->msg_controllen)                                     \
         ? (struct cmsghdr *)NULL                                                                  \
         : (struct cmsghdr *)((unsigned char *)(c) + CMSG_ALIGN((c)->cmsg_len)))

struct linger {
    int l_onoff;
    int l_linger;
};

#define SOCK_STREAM   1
#define SOCK_DGRAM    2
#define SOCK_RAW      3
#define SOCK_NONBLOCK 04000    /* or'ed into socket()'s type */
#define SOCK_CLOEXEC  02000000 /* accepted and ignored: there is no exec */

#define AF_UNSPEC 0
#define AF_INET   2
#define AF_INET6  10
#define PF_UNSPEC AF_UNSPEC
#define PF_INET   AF_INET
#define PF_INET6  AF_INET6

#define SOL_SOCKET      1
#define SO_DEBUG        1
#define SO_REUSEADDR    2
#define SO_TYPE         3
#define SO_ERROR        4
#define SO_DONTROUTE    5
#define SO_BROADCAST    6
#define SO_SNDBUF       7
#define SO_RCVBUF       8
#define SO_KEEPALIVE    9
#define SO_OOBINLINE    10
#define SO_NO_CHECK     11
#define SO_LINGER       13
#define SO_REUSEPORT    15
#define SO_RCVLOWAT     18
#define SO_SNDLOWAT     19
#define SO_RCVTIMEO     20
#define SO_SNDTIMEO     21
#define SO_BINDTODEVICE 25
#define SO_ACCEPTCONN   30

#define MSG_OOB       0x1
#define MSG_PEEK      0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC    0x8
#define MSG_TRUNC     0x20
#define MSG_DONTWAIT  0x40
#define MSG_EOR       0x80
#define MSG_WAITALL   0x100
#define MSG_NOSIGNAL  0x4000
#define MSG_MORE      0x8000

#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

#define SOMAXCONN 255

int socket(int domain, int type, int protocol);
int bind(int s, const struct sockaddr *addr, socklen_t len);
int listen(int s, int backlog);
int accept(int s, struct sockaddr *addr, socklen_t *len);
int accept4(int s, struct sockaddr *addr, socklen_t *len, int flags);
int connect(int s, const struct sockaddr *addr, socklen_t len);
int shutdown(int s, int how);
int getsockname(int s, struct sockaddr *addr, socklen_t *len);
int getpeername(int s, struct sockaddr *addr, socklen_t *len);
int getsockopt(int s, int level, int name, void *val, socklen_t *len);
int setsockopt(int s, int level, int name, const void *val, socklen_t len);
ssize_t send(int s, const void *buf, size_t len, int flags);
ssize_t sendto(int s, const void *buf, size_t len, int flags, const struct sockaddr *to,
               socklen_t tolen);
ssize_t sendmsg(int s, const struct msghdr *msg, int flags);
ssize_t recv(int s, void *buf, size_t len, int flags);
ssize_t recvfrom(int s, void *buf, size_t len, int flags, struct sockaddr *from,
                 socklen_t *fromlen);
ssize_t recvmsg(int s, struct msghdr *msg, int flags);

#ifdef __cplusplus
}
#endif

#endif
