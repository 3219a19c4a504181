/* Address conversion (POSIX <arpa/inet.h>). Works before the stack starts. */
#ifndef _ARPA_INET_H
#define _ARPA_INET_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Text to binary: 1 on success, 0 when src is not an address of family af. */
int inet_pton(int af, const char *src, void *dst);
/* Binary to text in dst (size bytes); dst, or NULL with errno ENOSPC / EAFNOSUPPORT. */
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size);

int inet_aton(const char *cp, struct in_addr *inp);
in_addr_t inet_addr(const char *cp);
char *inet_ntoa(struct in_addr in); /* a static buffer */

#ifdef __cplusplus
}
#endif

#endif
