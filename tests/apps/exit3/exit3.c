/*
 * Returns 3: the domain must end crashed (non-zero), QEMU must report 3. An atexit
 * handler runs first (newlib's lite exit links the exit procedures only for an app
 * that registers one: this one must have them).
 */
#include <stdio.h>
#include <stdlib.h>

static void at_exit(void)
{
    printf("exit3: atexit handler ran\n");
}

int main(void)
{
    if (atexit(at_exit) != 0)
        printf("exit3: atexit failed\n");
    printf("exiting with 3\n");
    return 3;
}
