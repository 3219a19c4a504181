/*
 * printk: the kernel's printf to every console, formatted by core/format.c into a
 * buffer on the stack, so a fault handler can print without newlib, malloc or
 * locks that the faulting code may hold. No floating point (the kernel has no SSE).
 */
#include "core/kernel.h"
#include "core/console.h"

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    if (n > 0)
        console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
