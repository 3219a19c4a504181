/*
 * Frontend devices that come and go while the domain runs: a watch on
 * device/<type> and one thread that brings the driver's device list in line with
 * xenstore (its scan), under the driver's lock, whenever something there changes
 * or the driver asks (a device finished its disconnect). Shared by netfront and
 * blkfront.
 */
#ifndef XENOLITH_XENBUS_HOTPLUG_H
#define XENOLITH_XENBUS_HOTPLUG_H

#include <xenolith/xenstore.h>
#include "core/sched.h"

struct xenbus_hotplug {
    char path[24]; /* "device/vif" */
    struct mutex *lock;
    void (*scan)(void);
    struct xenolith_xs_watch watch;
    struct waitq wq;
    unsigned int kicks;
    int started;
};

/*
 * Start the thread ("<type>-hotplug") and the watch on device/<type>; the watch's
 * first event runs a scan at once. 0, or -errno (said on the console: devices
 * attached later will not be seen).
 */
int xenbus_hotplug_start(struct xenbus_hotplug *h, const char *type, struct mutex *lock,
                         void (*scan)(void));

/* Run the scan again soon (any thread, any time; nothing before the start). */
void xenbus_hotplug_kick(struct xenbus_hotplug *h);

/* device/<type>/<id> was just written by the toolstack: its state says Initialising. */
int xenbus_freshly_added(const char *type, const char *id);

#endif
