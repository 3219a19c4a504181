/* The Xen PV console ring (io/console.h) as a console backend. */
#ifndef XENOLITH_XEN_CONSOLE_H
#define XENOLITH_XEN_CONSOLE_H

/* Find the ring via HVM params, map it, and make it the console. 0 or -errno. */
int xen_console_init(int keep_debugcon);

/* Boot is over: tell the backend about the lines boot left in the ring, and
 * notify per write from now on. */
void xen_console_boot_done(void);

/* Take console events: input wakes readers. Needs threads and events. */
int xen_console_enable_events(void);
/* Resume in a new domain: take the console's new event channel. */
int xen_console_resume(void);

/* Wait (bounded) until the backend has read everything we wrote. */
void xen_console_flush(void);

#endif
