/*
 * Files test (tests/boot/run.sh t_files*): the initrd's cpio archive at "/" and /tmp.
 *   files check PATH...   each file read in odd-sized chunks, through lseek and through
 *                         stdio: "file PATH SIZE CKSUM" (POSIX cksum: the test compares
 *                         with the host's); directory listings; read-only refusals; /tmp
 *                         written, read back, listed, removed
 *   files corrupt         the archive is corrupt: its files give EIO, /tmp still works
 *   files none            no initrd: files give ENOENT, /tmp still works
 * Ends with "files: N passed, M failed" and exits 0 only when M is 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_PREFIX "files: "
#include "tests/apps/check.h"

/* POSIX cksum: CRC-32 (poly 0x04c11db7, MSB first) over the bytes, then the length. */
struct cksum {
    uint32_t crc;
    uint64_t len;
};

static void cksum_add(struct cksum *c, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        c->crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++)
            c->crc = c->crc & 0x80000000u ? c->crc << 1 ^ 0x04c11db7u : c->crc << 1;
    }
    c->len += n;
}

static uint32_t cksum_end(struct cksum *c)
{
    uint8_t b;
    for (uint64_t l = c->len; l; l >>= 8) {
        b = (uint8_t)l;
        uint64_t keep = c->len;
        cksum_add(c, &b, 1);
        c->len = keep;
    }
    return ~c->crc;
}

static void check_file(const char *path)
{
    struct stat st, fst;
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode), "stat %s", path);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s", path);
    if (fd < 0)
        return;
    CHECK(fstat(fd, &fst) == 0 && fst.st_size == st.st_size, "fstat %s", path);

    /* Odd chunk sizes, so reads straddle every boundary. */
    static uint8_t buf[7777];
    struct cksum c = {0, 0};
    uint8_t *all = malloc((size_t)st.st_size + 1);
    size_t total = 0, chunk = 1;
    ssize_t got;
    while ((got = read(fd, buf, chunk)) > 0) {
        cksum_add(&c, buf, (size_t)got);
        if (all && total + (size_t)got <= (size_t)st.st_size)
            memcpy(all + total, buf, (size_t)got);
        total += (size_t)got;
        chunk = chunk * 3 + 1 > sizeof(buf) ? 1 : chunk * 3 + 1;
    }
    CHECK(got == 0 && total == (size_t)st.st_size, "read %s: %zu of %ld bytes", path, total,
          (long)st.st_size);
    printf("file %s %ld %lu\n", path, (long)total, (unsigned long)cksum_end(&c));

    /* lseek: the end, then a window in the middle read again. */
    CHECK(lseek(fd, 0, SEEK_END) == st.st_size, "lseek end %s", path);
    CHECK(read(fd, buf, 1) == 0, "read at the end of %s", path);
    if (all && st.st_size > 10) {
        off_t mid = st.st_size / 3;
        CHECK(lseek(fd, mid, SEEK_SET) == mid && read(fd, buf, 10) == 10 &&
                  memcmp(buf, all + mid, 10) == 0,
              "lseek + read in the middle of %s", path);
    }
    CHECK(write(fd, "x", 1) < 0 && errno == EBADF, "write to read-only %s", path);
    CHECK(close(fd) == 0, "close %s", path);

    /* stdio over the same file gives the same bytes. */
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "fopen %s", path);
    if (f && all) {
        uint8_t *again = malloc((size_t)st.st_size + 1);
        size_t n = again ? fread(again, 1, (size_t)st.st_size + 1, f) : 0;
        CHECK(n == (size_t)st.st_size && memcmp(again, all, n) == 0, "fread %s", path);
        free(again);
    }
    if (f)
        fclose(f);
    free(all);
}

/* The names in a directory, sorted, on one line: "dir PATH: a b c". */
static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    CHECK(d != NULL, "opendir %s", path);
    if (!d)
        return;
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        names[n++] = strdup(e->d_name);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    printf("dir %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void check_readonly(const char *existing)
{
    errno = 0;
    CHECK(open(existing, O_WRONLY) < 0 && errno == EROFS, "open %s for writing: EROFS", existing);
    CHECK(open("/new-file", O_CREAT | O_WRONLY, 0644) < 0 && errno == EROFS,
          "create outside /tmp: EROFS");
    CHECK(unlink(existing) < 0 && errno == EROFS, "unlink %s: EROFS", existing);
    CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS, "mkdir outside /tmp: EROFS");
    CHECK(open("/no/such/file", O_RDONLY) < 0 && errno == ENOENT, "missing file: ENOENT");
    struct stat st;
    CHECK(stat("/", &st) == 0 && S_ISDIR(st.st_mode), "stat /");
}

/* /tmp: a file written through stdio and descriptors, read back, listed, removed. */
static void check_tmp(void)
{
    enum { SIZE = 200000 };
    uint8_t *pattern = malloc(SIZE), *back = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        pattern[i] = (uint8_t)(i * 131 + i / 977);

    FILE *f = fopen("/tmp/data.bin", "w");
    CHECK(f != NULL, "fopen /tmp/data.bin for writing");
    if (f) {
        CHECK(fwrite(pattern, 1, SIZE, f) == SIZE, "fwrite /tmp/data.bin");
        CHECK(fclose(f) == 0, "fclose /tmp/data.bin");
    }
    int fd = open("/tmp/data.bin", O_RDONLY);
    CHECK(fd >= 0 && read(fd, back, SIZE) == SIZE && memcmp(back, pattern, SIZE) == 0,
          "/tmp/data.bin reads back byte for byte");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == SIZE && S_ISREG(st.st_mode), "fstat /tmp file");
    close(fd);

    /* Append, overwrite in the middle, a hole past the end, truncate. */
    fd = open("/tmp/log", O_CREAT | O_WRONLY | O_APPEND, 0644);
    CHECK(fd >= 0 && write(fd, "one ", 4) == 4 && write(fd, "two", 3) == 3, "append");
    close(fd);
    fd = open("/tmp/log", O_RDWR);
    char s[32] = {0};
    CHECK(fd >= 0 && lseek(fd, 4, SEEK_SET) == 4 && write(fd, "TWO", 3) == 3 &&
              lseek(fd, 0, SEEK_SET) == 0 && read(fd, s, sizeof(s)) == 7 &&
              strcmp(s, "one TWO") == 0,
          "overwrite in place: \"%s\"", s);
    CHECK(lseek(fd, 10, SEEK_SET) == 10 && write(fd, "!", 1) == 1 && lseek(fd, 7, SEEK_SET) == 7 &&
              read(fd, s, 4) == 4 && memcmp(s, "\0\0\0!", 4) == 0,
          "a hole reads as zeros");
    CHECK(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate");
    close(fd);
    CHECK(open("/tmp/log", O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 && errno == EEXIST, "O_EXCL");
    fd = open("/tmp/log", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC");
    close(fd);

    CHECK(mkdir("/tmp/sub", 0755) == 0, "mkdir /tmp/sub");
    CHECK(mkdir("/tmp/sub", 0755) < 0 && errno == EEXIST, "mkdir twice: EEXIST");
    fd = open("/tmp/sub/inner.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "inner\n", 6) == 6, "create /tmp/sub/inner.txt");
    close(fd);
    CHECK(rmdir("/tmp/sub") < 0 && errno == ENOTEMPTY, "rmdir non-empty: ENOTEMPTY");
    list_dir("/tmp");
    list_dir("/tmp/sub");

    /* Unlinked while open: still readable through the descriptor. */
    fd = open("/tmp/sub/inner.txt", O_RDONLY);
    CHECK(unlink("/tmp/sub/inner.txt") == 0, "unlink /tmp/sub/inner.txt");
    CHECK(open("/tmp/sub/inner.txt", O_RDONLY) < 0 && errno == ENOENT, "gone after unlink");
    CHECK(fd >= 0 && read(fd, s, 6) == 6 && memcmp(s, "inner\n", 6) == 0,
          "an unlinked file stays readable while open");
    close(fd);
    CHECK(rmdir("/tmp/sub") == 0 && unlink("/tmp/log") == 0 && unlink("/tmp/data.bin") == 0,
          "rmdir and unlink");
    list_dir("/tmp");
    free(pattern);
    free(back);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "check";
    if (strcmp(mode, "check") == 0) {
        for (int i = 2; i < argc; i++)
            check_file(argv[i]);
        list_dir("/");
        list_dir("/etc");
        list_dir("/sub/dir");
        check_readonly(argc > 2 ? argv[2] : "/");
    } else {
        int want = strcmp(mode, "corrupt") == 0 ? EIO : ENOENT;
        errno = 0;
        CHECK(open("/hello.txt", O_RDONLY) < 0 && errno == want, "open in a %s archive: %s", mode,
              strerror(want));
        struct stat st;
        CHECK(stat("/etc/motd", &st) < 0 && errno == want, "stat in a %s archive", mode);
        CHECK(fopen("/hello.txt", "r") == NULL, "fopen in a %s archive", mode);
        list_dir("/tmp");
    }
    check_tmp();
    printf("files: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
