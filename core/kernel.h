/* What every kernel file needs: printk, panic, and a few helpers. */
#ifndef XENOLITH_KERNEL_H
#define XENOLITH_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include "core/format.h" /* ksnprintf, kvsnprintf */

#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))
#define READ_ONCE(x)     (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier()        __asm__ volatile("" ::: "memory")
#define unlikely(x)      __builtin_expect(!!(x), 0)

/* Kernel printf to every console; safe in fault context (no malloc, no newlib). */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);

/* A broken invariant of our own: report with a backtrace and end the domain. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define BUG_ON(c)                                                                                  \
    do {                                                                                           \
        if (unlikely(c))                                                                           \
            panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__);                                  \
    } while (0)

/* Referenced at boot so newlib glue links before libc.a (core/syscalls.c). */
void *newlib_glue_anchor(void);

/* Image bounds from linker.ld. */
extern char __image_start[], __image_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __bss_start[], __bss_end[];

/* From boot/head.S. */
extern uint64_t boot_tsc;
extern uint32_t boot_start_info;
extern uint32_t boot_nx_supported;

#endif
