/*
 * Files for apps (core/fs.c): descriptors FS_FD_BASE and up. core/syscalls.c hands
 * them over through these weak references, so an app that never opens a file links
 * none of the file system. Each returns like the POSIX call: -1 with errno set.
 */
#ifndef XENOLITH_FS_H
#define XENOLITH_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FS_FD_BASE 1024 /* sockets use 3 .. 130 */
#define FS_FD_MAX  128  /* files open at once */

extern ssize_t fs_read(int fd, void *buf, size_t n) __attribute__((weak));
extern ssize_t fs_write(int fd, const void *buf, size_t n) __attribute__((weak));
extern int fs_close(int fd) __attribute__((weak));
extern int fs_fstat(int fd, struct stat *st) __attribute__((weak));
extern off_t fs_lseek(int fd, off_t off, int whence) __attribute__((weak));
extern int fs_fcntl(int fd, int cmd, int arg) __attribute__((weak));

#endif
