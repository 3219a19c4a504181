/* Kernel options from the command line: "xenolith.NAME=VALUE". */
#ifndef XENOLITH_OPTIONS_H
#define XENOLITH_OPTIONS_H

#include <stddef.h>

enum option_type { OPT_BOOL, OPT_INT, OPT_STRING };

struct kernel_option {
    const char *name; /* without the "xenolith." prefix */
    enum option_type type;
    void *value; /* int * for BOOL/INT, const char ** for STRING */
    const char *help;
};

/*
 * Declare a kernel option anywhere in the kernel: it lands in the .kernel_options
 * table (linker.ld) and is parsed at boot, before the subsystem runs. Options of
 * a subsystem an app does not link are unknown to that app.
 */
#define KERNEL_OPTION(var, optname, otype, helptext)                                               \
    static const struct kernel_option __kopt_##var                                                 \
        __attribute__((used, section(".kernel_options"), aligned(8))) = {optname, otype, &var,     \
                                                                         helptext}

/*
 * If word is "xenolith.NAME[=VALUE]", set the matching option (a bare NAME means
 * 1 for a BOOL) and return 1; unknown names or bad values are reported and still
 * consumed. Other words return 0.
 */
int options_parse(char *word);

#endif
