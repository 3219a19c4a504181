/* Console multiplexer: early port 0xe9, COM1 without Xen, the Xen PV ring. */
#ifndef XENOLITH_CONSOLE_H
#define XENOLITH_CONSOLE_H

#include <stddef.h>

struct console_backend {
    const char *name;
    /* can_sleep: a thread with interrupts on, which may block for ring space. */
    void (*write)(const char *s, size_t n, int can_sleep);
    /* Blocking read of at least one byte; NULL for output-only backends. */
    long (*read)(char *buf, size_t n);
};

/* Write to every active backend. Never drops output; may wait for ring space. */
void console_write(const char *s, size_t n);

/* Choose the early backends: 0xe9 always; COM1 too when not on Xen. */
void console_init_early(int on_xen);

/* The PV console ring is up: it replaces 0xe9 unless debugcon was asked for. */
void console_set_ring(const struct console_backend *ring, int keep_debugcon);

/* Read console input (blocks for at least one byte). -ENOSYS without input. */
long console_read(char *buf, size_t n);

/* From now on write without the lock (a crash is being reported). */
void console_panic_mode(void);

#endif
