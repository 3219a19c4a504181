/* lwIP's compiler and platform hooks for xenolith (gcc, x86-64, newlib). */
#ifndef XENOLITH_LWIP_CC_H
#define XENOLITH_LWIP_CC_H

#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>
#include <sys/time.h>

/* newlib has ssize_t in <sys/types.h> but no SSIZE_MAX: without it lwIP would
 * declare its own ssize_t. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

void net_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void net_assert_failed(const char *msg, const char *file, int line);
uint32_t net_random32(void);

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        net_diag x;                                                                                \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_assert_failed(x, __FILE__, __LINE__)
#define LWIP_RAND()             net_random32()

#endif
