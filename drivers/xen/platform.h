/* Xen's platform hooks for core/ (core/platform.h). */
#ifndef XENOLITH_XEN_PLATFORM_H
#define XENOLITH_XEN_PLATFORM_H

/* Boot, once Xen is found: core/ runs through Xen from here on. */
void xen_platform_register(void);

#endif
