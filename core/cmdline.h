/* Command line (xl cmdline=/extra=) to argv. */
#ifndef XENOLITH_CMDLINE_H
#define XENOLITH_CMDLINE_H

/*
 * Split s in place into words and store up to max of them in argv. Returns the
 * number of words found, which may exceed max (the rest are not stored).
 *
 * Quoting, as in a POSIX shell without expansions:
 *   - spaces, tabs and newlines separate words;
 *   - '...' keeps everything inside literally;
 *   - "..." keeps everything inside, except that \" and \\ stand for " and \;
 *   - outside quotes, a backslash makes the next character literal;
 *   - "" or '' alone make an empty word;
 *   - an unterminated quote runs to the end of the line.
 */
int cmdline_split(char *s, char **argv, int max);

#endif
