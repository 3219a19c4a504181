/* control/shutdown and control/sysrq watches. */
#ifndef XENOLITH_CONTROL_H
#define XENOLITH_CONTROL_H

int control_init(void);

#endif
