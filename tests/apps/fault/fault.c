/* Faults on purpose: "null" writes through NULL, "stack" recurses into the guard page,
 * "smp" faults on the last VCPU while the others spin.
 * The kernel must print a register dump and a backtrace naming the function. */
#include <stdio.h>
#include <string.h>
#include <xenolith/thread.h>
#include "core/smp.h"

/* Through a volatile global, so the compiler cannot see the NULL and drop the frame. */
volatile int *volatile fault_target;

__attribute__((noinline)) static void crash_null_write(void)
{
    *fault_target = 42;
}

/* The limit is far beyond any stack we give main(): the guard page is hit first. */
__attribute__((noinline)) static int crash_stack_overflow(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth > 10000000)
        return pad[0];
    return crash_stack_overflow(depth + 1) + pad[0];
}

static void *spin_forever(void *arg)
{
    for (;;)
        __asm__ volatile("pause");
    return NULL;
}

static void *fault_on_this_cpu(void *arg)
{
    crash_null_write();
    return NULL;
}

/* Every other VCPU busy, then a fault on the last one: all must report. */
static int crash_smp(void)
{
    int last = 0;
    for (int id = 1; id < 128; id++)
        if (smp_cpu(id))
            last = id;
    for (int id = 0; id < last; id++)
        if (smp_cpu(id) && id != 0)
            xenolith_thread_create("spin", spin_forever, NULL, id, 0);
    xenolith_thread_sleep_ns(50 * 1000 * 1000);
    xenolith_thread_join(xenolith_thread_create("faulter", fault_on_this_cpu, NULL, last, 0));
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "null";
    printf("fault: %s\n", mode);
    if (strcmp(mode, "stack") == 0)
        return crash_stack_overflow(0);
    if (strcmp(mode, "smp") == 0)
        return crash_smp();
    crash_null_write();
    printf("fault: survived a NULL write?!\n");
    return 0;
}
