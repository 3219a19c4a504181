/* TCP socket options (<netinet/tcp.h>), Linux's values. */
#ifndef _NETINET_TCP_H
#define _NETINET_TCP_H

#define TCP_NODELAY   1
#define TCP_MAXSEG    2
#define TCP_KEEPIDLE  4 /* seconds */
#define TCP_KEEPINTVL 5 /* seconds */
#define TCP_KEEPCNT   6
#define TCP_KEEPALIVE 0x10 /* lwIP's: milliseconds before the first keepalive */

#endif
