/*
 * Command line splitter. Pure logic, tested on the host (tests/unit/test_cmdline.c).
 * The rules are documented in cmdline.h and in the README.
 */
#include "core/cmdline.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_split(char *s, char **argv, int max)
{
    int argc = 0;
    char *in = s, *out = s;

    for (;;) {
        while (is_space(*in))
            in++;
        if (*in == '\0')
            break;

        char *word = out;
        while (*in != '\0' && !is_space(*in)) {
            if (*in == '\'') {
                in++;
                while (*in != '\0' && *in != '\'')
                    *out++ = *in++;
                if (*in == '\'')
                    in++;
            } else if (*in == '"') {
                in++;
                while (*in != '\0' && *in != '"') {
                    if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
                        in++;
                    *out++ = *in++;
                }
                if (*in == '"')
                    in++;
            } else if (*in == '\\' && in[1] != '\0') {
                in++;
                *out++ = *in++;
            } else {
                *out++ = *in++;
            }
        }
        /* out never passes in, so terminating here cannot clobber unread input
         * unless out == in, where the separator we stopped on is rewritten. */
        int at_end = (*in == '\0');
        *out++ = '\0';
        if (!at_end)
            in++;
        if (argc < max)
            argv[argc] = word;
        argc++;
        if (at_end)
            break;
    }
    return argc;
}
