/* Ending the domain (or QEMU, without Xen). */
#ifndef XENOLITH_SHUTDOWN_H
#define XENOLITH_SHUTDOWN_H

enum shutdown_reason {
    SHUTDOWN_REASON_POWEROFF,
    SHUTDOWN_REASON_REBOOT,
    SHUTDOWN_REASON_CRASH,
};

/*
 * On Xen: SCHEDOP_shutdown with the reason. Without Xen: QEMU's isa-debug-exit
 * (iobase 0xf4), so QEMU exits with status (code << 1) | 1 where code is the
 * the app's exit status (0..126), and 0x7f when code < 0 (a fault or panic).
 */
_Noreturn void kernel_shutdown(enum shutdown_reason reason, int code);

/* main() returned or exit(): print "xenolith: exit N", power off (0) or crash. */
_Noreturn void kernel_exit(int status);

#endif
