/* Ending the domain: one place that knows how, on Xen and under bare QEMU. */
#include "core/kernel.h"
#include "core/shutdown.h"
#include "arch/x86/x86.h"
#include "arch/x86/hypercall.h"
#include "drivers/xen/console.h"
#include <xen/sched.h>

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define QEMU_CRASH_CODE      0x7f

_Noreturn void kernel_shutdown(enum shutdown_reason reason, int code)
{
    if (xen.present) {
        xen_console_flush(); /* let xenconsoled read everything before we are gone */
        unsigned int r = reason == SHUTDOWN_REASON_POWEROFF ? SHUTDOWN_poweroff
                         : reason == SHUTDOWN_REASON_REBOOT ? SHUTDOWN_reboot
                                                            : SHUTDOWN_crash;
        xen_shutdown(r);
    }
    outl(QEMU_DEBUG_EXIT_PORT, code < 0 ? QEMU_CRASH_CODE : (uint32_t)code & 0x7f);
    for (;;) {
        irq_disable();
        halt();
    }
}

_Noreturn void kernel_exit(int status)
{
    printk("xenolith: exit %d\n", status);
    if (status == 0)
        kernel_shutdown(SHUTDOWN_REASON_POWEROFF, 0);
    kernel_shutdown(SHUTDOWN_REASON_CRASH, status);
}
