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
 * If word is "xenolith.NAME[=VALUE]", set the matching option (a bare NAME means
 * 1 for a BOOL) and return 1; unknown names or bad values are reported and still
 * consumed. Other words return 0.
 */
int options_parse(const struct kernel_option *opts, size_t n, char *word);

#endif
