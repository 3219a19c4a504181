/*
 * Directory entries for <dirent.h> (newlib's, which includes this file): opendir,
 * readdir, rewinddir, closedir over xenolith's files (the initrd at /, RAM at /tmp).
 * "." and ".." are not listed.
 */
#ifndef _SYS_DIRENT_H
#define _SYS_DIRENT_H

#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_DIR     4
#define DT_REG     8
#define DT_LNK     10

struct dirent {
    ino_t d_ino;
    unsigned char d_type;
    char d_name[256];
};

typedef struct {
    int dd_fd;
    struct dirent dd_ent;
} DIR;

#endif
