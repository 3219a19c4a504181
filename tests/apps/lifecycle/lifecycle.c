/* Waits to be shut down or rebooted by the toolstack; its handler must run first. */
#include <stdio.h>
#include <xenolith/lifecycle.h>
#include <xenolith/thread.h>

static void on_shutdown(enum xenolith_shutdown_reason reason, void *arg)
{
    printf("lifecycle-test: handler ran for %s\n",
           reason == XENOLITH_SHUTDOWN_REBOOT ? "reboot" : "poweroff");
    fflush(stdout);
}

int main(void)
{
    if (xenolith_on_shutdown(on_shutdown, NULL) < 0)
        return 1;
    printf("lifecycle-test: waiting for the toolstack\n");
    fflush(stdout);
    for (;;)
        xenolith_thread_sleep_ns(1000ULL * 1000 * 1000);
}
