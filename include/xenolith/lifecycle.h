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

/*
 * Suspend and resume: xl save / restore, xl save -c (a checkpoint: the domain
 * goes on) and xl migrate. Before the domain suspends, every suspend handler runs
 * (registration order, in the xenstore watch thread, other threads still
 * running); after it resumes, every resume handler runs (reverse order), with
 * new_domain 1 when it came back in a new domain (restore, migration: its domid,
 * its devices' backends, maybe its host are new; re-read what was cached from
 * xenstore) and 0 when the suspend was cancelled (checkpoint). Threads, memory
 * and open sockets survive both; time goes on from where it was. 0 or -ENOMEM.
 */
typedef void (*xenolith_suspend_fn)(void *arg);
typedef void (*xenolith_resume_fn)(int new_domain, void *arg);
int xenolith_on_suspend(xenolith_suspend_fn fn, void *arg);
int xenolith_on_resume(xenolith_resume_fn fn, void *arg);

#endif
