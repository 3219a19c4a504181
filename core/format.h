/*
 * The one printf formatter. printk and ksnprintf use it directly; newlib's printf
 * family reaches it through core/stdio_printf.c. C99 conversions and modifiers:
 * %d %i %u %o %x %X %c %s %p %n %% (and %lc %ls for characters up to 0xff), flags
 * - + space # 0, width and precision (also as *), lengths hh h l ll j z t q L.
 * The floating-point conversions %e %f %g %a (and upper case) go to the sink's
 * conv_float: the kernel is built without SSE and has none, the apps get
 * core/format_float.c. Positional arguments (%1$d) are not supported.
 */
#ifndef XENOLITH_FORMAT_H
#define XENOLITH_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

enum {
    FORMAT_LEFT = 1,   /* - */
    FORMAT_PLUS = 2,   /* + */
    FORMAT_SPACE = 4,  /* space */
    FORMAT_ALT = 8,    /* # */
    FORMAT_ZERO = 16,  /* 0 */
    FORMAT_UPPER = 32, /* the conversion was upper case (X E F G A) */
};

/* One conversion as parsed: conv is lower case (see FORMAT_UPPER). */
struct format_spec {
    unsigned int flags;
    int width; /* 0 when none */
    int prec;  /* -1 when none */
    char conv; /* d i u o x c s p n e f g a */
    char len;  /* 0, 'H' (hh), 'h', 'l' (l ll j z t q) or 'L' */
};

struct format_sink {
    /* Receives the output in pieces, in order. */
    void (*put)(struct format_sink *s, const char *p, size_t n);
    /* Formats one floating-point argument (spec->conv is e, f, g or a); 0 or -1. */
    int (*conv_float)(struct format_sink *s, const struct format_spec *spec, va_list *ap);
    size_t count; /* characters produced so far */
};

/* Format fmt into s (s->count grows by the length). 0, or -1 (errno EILSEQ). */
int format(struct format_sink *s, const char *fmt, va_list ap);

/* For conversions: output n characters, or c n times, counted in s->count. */
void format_out(struct format_sink *s, const char *p, size_t n);
void format_repeat(struct format_sink *s, char c, size_t n);

/*
 * Start a field of body characters after a prefix (sign, 0x): the padding that
 * spec's width and flags put before it, and the prefix. Returns the number of
 * spaces to output after the body (format_repeat).
 */
size_t format_field(struct format_sink *s, const struct format_spec *spec, const char *prefix,
                    size_t body);

/*
 * Floating point (core/format_float.c, built with SSE: for apps only): a sink's
 * conv_float. format_dtoa gives the decimal digits of a finite v > 0 into d
 * (FORMAT_DTOA_MAX bytes), correctly rounded (half to even), without trailing zeros,
 * and returns how many: mode 2 keeps ndigits significant digits, mode 3 the digits
 * up to ndigits after the point (none when v rounds to 0). v ~ 0.DIGITS * 10^decpt.
 */
#define FORMAT_DTOA_MAX 800
int format_float(struct format_sink *s, const struct format_spec *spec, va_list *ap);
size_t format_dtoa(double v, int mode, int ndigits, char *d, int *decpt);

/* Kernel printing into a buffer (no floating point): vsnprintf's contract. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
