/* Suspend and resume of the whole domain (drivers/xen/suspend.c). */
#ifndef XENOLITH_SUSPEND_H
#define XENOLITH_SUSPEND_H

/*
 * Suspend the domain; runs in a thread on VCPU 0. Returns 1 once resumed in a
 * new domain (restore, migration), 0 when the suspend was cancelled (checkpoint)
 * and the domain simply goes on, or -errno when it did not suspend. control.c
 * calls it through a weak reference: an image that links no suspend support
 * (<xenolith/link.h>) has none.
 */
int xen_suspend(void);

/*
 * A driver's part: suspend(arg) before (threads still run: stop issuing, keep
 * what is in flight), resume(new_domain, arg) after (new_domain: reconnect to
 * the backend, which may be another one, and replay). 0 or -ENOMEM.
 */
int xen_suspend_register(void (*suspend)(void *arg), void (*resume)(int new_domain, void *arg),
                         void *arg);

#endif
