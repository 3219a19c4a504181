/* Faults on purpose: "null" writes through NULL, "stack" recurses into the guard page.
 * The kernel must print a register dump and a backtrace naming the function. */
#include <stdio.h>
#include <string.h>

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

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "null";
    printf("fault: %s\n", mode);
    if (strcmp(mode, "stack") == 0)
        return crash_stack_overflow(0);
    crash_null_write();
    printf("fault: survived a NULL write?!\n");
    return 0;
}
