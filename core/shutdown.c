/* Ending the domain: one place that knows how, on Xen and under bare QEMU. */
#include "core/kernel.h"
#include "core/shutdown.h"
#include "arch/x86/x86.h"
#include "core/platform.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define QEMU_CRASH_CODE      0x7f

_Noreturn void kernel_shutdown(enum shutdown_reason reason, int code)
{
    platform->shutdown(reason);
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
