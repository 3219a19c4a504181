/* The domain's life: what happens when the toolstack asks it to stop. */
#ifndef XENOLITH_LIFECYCLE_H
#define XENOLITH_LIFECYCLE_H

enum xenolith_shutdown_reason {
    XENOLITH_SHUTDOWN_POWEROFF, /* xl shutdown */
    XENOLITH_SHUTDOWN_REBOOT,   /* xl reboot */
};

typedef void (*xenolith_shutdown_fn)(enum xenolith_shutdown_reason reason, void *arg);

/*
 * Call fn before the domain powers off or reboots at the toolstack's request
 * (not on exit() or a crash). Handlers run in registration order in the
 * xenstore watch thread; when they return, the domain goes down. Returns 0 or
 * -ENOMEM.
 */
int xenolith_on_shutdown(xenolith_shutdown_fn fn, void *arg);

#endif
