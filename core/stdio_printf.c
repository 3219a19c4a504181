/*
 * newlib's printf family on our formatter (core/format.c). printf, fprintf, snprintf,
 * asprintf, fiprintf ... all end in _vfprintf_r (a stream) or _svfprintf_r (a string
 * FILE); tools/newlib.sh takes newlib's own definitions of those out of libc.a, so
 * these are linked as soon as an app (or newlib's assert) prints with a format, and
 * never otherwise. Floating point comes along (core/format_float.c).
 */
#include "core/format.h"
#include <errno.h>
#include <limits.h>
#include <reent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* newlib internals (libc.a; declared in its private headers). */
void __sinit(struct _reent *r);
int _svfprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap);
int _svfiprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap);

/* A stream: pieces gathered in a small buffer, written with _fwrite_r. */
struct file_sink {
    struct format_sink sink;
    struct _reent *r;
    FILE *fp;
    int error;
    size_t used;
    char buf[128];
};

static void file_write(struct file_sink *f, const char *p, size_t n)
{
    if (n && !f->error && _fwrite_r(f->r, p, 1, n, f->fp) != n)
        f->error = 1;
}

static void file_put(struct format_sink *s, const char *p, size_t n)
{
    struct file_sink *f = (struct file_sink *)s;

    if (f->used + n > sizeof(f->buf)) {
        file_write(f, f->buf, f->used);
        f->used = 0;
    }
    if (n >= sizeof(f->buf)) {
        file_write(f, p, n);
        return;
    }
    memcpy(f->buf + f->used, p, n);
    f->used += n;
}

/* The count, or EOF after an error (errno says which). */
static int result(struct _reent *r, int rc, int error, size_t count)
{
    if (rc < 0 || error)
        return EOF;
    if (count > INT_MAX) {
        r->_errno = EOVERFLOW;
        return EOF;
    }
    return (int)count;
}

/* The whole call holds the stream's lock, as newlib's own does. */
int _vfprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap)
{
    struct file_sink f = {{file_put, format_float, 0}, r, fp, 0, 0, {0}};

    if (r && !r->__sdidinit)
        __sinit(r);
    int lock = !(fp->_flags2 & __SNLK);
    if (lock)
        _flockfile(fp);
    int rc = format(&f.sink, fmt, ap);
    file_write(&f, f.buf, f.used);
    if (lock)
        _funlockfile(fp);
    return result(r, rc, f.error, f.sink.count);
}

int vfprintf(FILE *fp, const char *fmt, va_list ap)
{
    return _vfprintf_r(_REENT, fp, fmt, ap);
}

/*
 * A string FILE as newlib's sprintf family sets it up: _p and _w say where the next
 * bytes go and how many fit (snprintf has kept one for the NUL). asprintf's buffers
 * (__SMBF: ours to realloc; __SOPT: the caller's, copied out on growth) grow by half
 * and always keep a byte spare for the NUL their callers add.
 */
struct string_sink {
    struct format_sink sink;
    struct _reent *r;
    FILE *fp;
    int error;
};

static int string_grow(struct string_sink *s, size_t need)
{
    FILE *fp = s->fp;
    size_t used = (size_t)(fp->_p - fp->_bf._base), size = (size_t)fp->_bf._size * 3 / 2;
    unsigned char *p;

    if (size < used + need + 1)
        size = used + need + 1;
    if (size > INT_MAX) {
        s->r->_errno = EOVERFLOW;
        return -1;
    }
    if (fp->_flags & __SOPT) {
        p = _malloc_r(s->r, size);
        if (p && used)
            memcpy(p, fp->_bf._base, used);
        if (p)
            fp->_flags = (short)((fp->_flags & ~__SOPT) | __SMBF);
    } else {
        p = _realloc_r(s->r, fp->_bf._base, size);
        if (!p) {
            _free_r(s->r, fp->_bf._base);
            fp->_bf._base = NULL;
        }
    }
    if (!p) {
        s->r->_errno = ENOMEM;
        return -1;
    }
    fp->_bf._base = p;
    fp->_bf._size = (int)size;
    fp->_p = p + used;
    fp->_w = (int)(size - used);
    return 0;
}

static void string_put(struct format_sink *sink, const char *p, size_t n)
{
    struct string_sink *s = (struct string_sink *)sink;
    FILE *fp = s->fp;

    if (s->error)
        return;
    if (n >= (size_t)fp->_w && (fp->_flags & (__SMBF | __SOPT)) && string_grow(s, n) < 0) {
        s->error = 1;
        fp->_flags |= __SERR;
        return;
    }
    size_t k = n < (size_t)fp->_w ? n : (size_t)fp->_w;
    memcpy(fp->_p, p, k);
    fp->_p += k;
    fp->_w -= (int)k;
}

int _svfprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap)
{
    struct string_sink s = {{string_put, format_float, 0}, r, fp, 0};

    /* asprintf writes its NUL through _p even when nothing was printed */
    if ((fp->_flags & __SMBF) && !fp->_bf._base && string_grow(&s, 63) < 0) {
        fp->_flags |= __SERR;
        return EOF;
    }
    int rc = format(&s.sink, fmt, ap);
    return result(r, rc, s.error, s.sink.count);
}

/* The integer-only variants (iprintf, fiprintf, ...) are the same here. */
int _vfiprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap)
    __attribute__((alias("_vfprintf_r")));
int _svfiprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap)
    __attribute__((alias("_svfprintf_r")));

int vfiprintf(FILE *fp, const char *fmt, va_list ap)
{
    return _vfprintf_r(_REENT, fp, fmt, ap);
}
