/*
 * The printf formatter (conversions in format.h). No allocation, no locks and no
 * floating point, so a fault handler can print with it; output goes through the
 * sink's put() in pieces. kvsnprintf and ksnprintf are the buffer sink.
 */
#include "core/format.h"
#include <errno.h>
#include <stdint.h>

void format_out(struct format_sink *s, const char *p, size_t n)
{
    if (n) {
        s->count += n;
        s->put(s, p, n);
    }
}

void format_repeat(struct format_sink *s, char c, size_t n)
{
    char run[16];

    if (!n)
        return;
    for (size_t i = 0; i < sizeof(run); i++)
        run[i] = c;
    while (n) {
        size_t k = n < sizeof(run) ? n : sizeof(run);
        format_out(s, run, k);
        n -= k;
    }
}

size_t format_field(struct format_sink *s, const struct format_spec *spec, const char *prefix,
                    size_t body)
{
    size_t plen = 0;
    while (prefix[plen])
        plen++;
    size_t width = spec->width > 0 ? (size_t)spec->width : 0;
    size_t pad = width > plen + body ? width - plen - body : 0;

    if (spec->flags & FORMAT_LEFT) {
        format_out(s, prefix, plen);
        return pad;
    }
    if (!(spec->flags & FORMAT_ZERO))
        format_repeat(s, ' ', pad);
    format_out(s, prefix, plen);
    if (spec->flags & FORMAT_ZERO)
        format_repeat(s, '0', pad);
    return 0;
}

/* The digits of v in base 8, 10 or 16 at the end of buf; returns how many. */
static int to_digits(char *end, uint64_t v, unsigned int base, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned int shift = base == 16 ? 4 : 3;
    int n = 0;

    for (; v; n++) {
        if (base == 10) {
            /* v / 10 as a multiply, also where the compiler optimizes for size */
            uint64_t q = (uint64_t)(((unsigned __int128)v * 0xcccccccccccccccdull) >> 67);
            *--end = (char)('0' + (v - q * 10));
            v = q;
        } else {
            *--end = digits[v & (base - 1)];
            v >>= shift;
        }
    }
    return n;
}

static void conv_int(struct format_sink *s, struct format_spec *sp, uint64_t v, int neg)
{
    char buf[24], prefix[4] = {0};
    unsigned int base = sp->conv == 'o' ? 8 : sp->conv == 'x' || sp->conv == 'p' ? 16 : 10;
    int n = to_digits(buf + sizeof(buf), v, base, sp->flags & FORMAT_UPPER);
    int want = sp->prec < 0 ? 1 : sp->prec;
    size_t zeros = want > n ? (size_t)(want - n) : 0;
    char *p = prefix;

    if (sp->prec >= 0)
        sp->flags &= ~FORMAT_ZERO;
    if (neg)
        *p++ = '-';
    else if ((sp->conv == 'd' || sp->conv == 'i') && (sp->flags & (FORMAT_PLUS | FORMAT_SPACE)))
        *p++ = sp->flags & FORMAT_PLUS ? '+' : ' ';
    if (sp->conv == 'o' && (sp->flags & FORMAT_ALT) && zeros == 0)
        zeros = 1; /* the first digit is a 0 */
    if ((sp->conv == 'x' && (sp->flags & FORMAT_ALT) && v) || sp->conv == 'p') {
        *p++ = '0';
        *p++ = sp->flags & FORMAT_UPPER ? 'X' : 'x';
    }
    size_t after = format_field(s, sp, prefix, zeros + (size_t)n);
    format_repeat(s, '0', zeros);
    format_out(s, buf + sizeof(buf) - n, (size_t)n);
    format_repeat(s, ' ', after);
}

static void conv_str(struct format_sink *s, struct format_spec *sp, const char *str, size_t len)
{
    sp->flags &= ~FORMAT_ZERO;
    size_t after = format_field(s, sp, "", len);
    format_out(s, str, len);
    format_repeat(s, ' ', after);
}

/* A wide character in the C locale: one byte, or EILSEQ above 0xff. */
static int wide_byte(unsigned int wc, char *out)
{
    if (wc > 0xff) {
        errno = EILSEQ;
        return -1;
    }
    *out = (char)wc;
    return 0;
}

/* %ls: bytes up to the precision, each checked before any is written. */
static int conv_wstr(struct format_sink *s, struct format_spec *sp, const wchar_t *ws)
{
    size_t len = 0;
    char c;

    while (ws[len] && (sp->prec < 0 || len < (size_t)sp->prec)) {
        if (wide_byte((unsigned int)ws[len], &c) < 0)
            return -1;
        len++;
    }
    sp->flags &= ~FORMAT_ZERO;
    size_t after = format_field(s, sp, "", len);
    for (size_t i = 0; i < len; i++) {
        c = (char)ws[i];
        format_out(s, &c, 1);
    }
    format_repeat(s, ' ', after);
    return 0;
}

static void store_count(const struct format_spec *sp, void *p, size_t count)
{
    switch (sp->len) {
    case 'H':
        *(signed char *)p = (signed char)count;
        break;
    case 'h':
        *(short *)p = (short)count;
        break;
    case 'l':
        *(long *)p = (long)count;
        break;
    default:
        *(int *)p = (int)count;
    }
}

/* Decimal digits (saturating: no width or precision takes gigabytes anyway). */
static const char *parse_num(const char *fmt, int *v)
{
    for (; *fmt >= '0' && *fmt <= '9'; fmt++)
        *v = *v < 100000000 ? *v * 10 + (*fmt - '0') : *v;
    return fmt;
}

/* Flags, width, precision and length of the conversion at *fmt (after the %). */
static const char *parse_spec(const char *fmt, struct format_spec *sp, va_list *ap)
{
    static const char flag_chars[] = "-+ #0";

    *sp = (struct format_spec){.prec = -1};
    for (;; fmt++) {
        int i = 0;
        while (flag_chars[i] && flag_chars[i] != *fmt)
            i++;
        if (!flag_chars[i])
            break;
        sp->flags |= 1u << i;
    }
    if (*fmt == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->flags |= FORMAT_LEFT;
            sp->width = sp->width == INT32_MIN ? INT32_MAX : -sp->width;
        }
        fmt++;
    }
    fmt = parse_num(fmt, &sp->width);
    if (*fmt == '.') {
        sp->prec = 0;
        if (*++fmt == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            fmt++;
        }
        fmt = parse_num(fmt, &sp->prec);
    }
    if (sp->flags & FORMAT_LEFT)
        sp->flags &= ~FORMAT_ZERO;
    if (sp->flags & FORMAT_PLUS)
        sp->flags &= ~FORMAT_SPACE;
    switch (*fmt) {
    case 'h':
        sp->len = fmt[1] == 'h' ? (fmt++, 'H') : 'h';
        fmt++;
        break;
    case 'l': /* long, long long, intmax_t, size_t and ptrdiff_t are all 64 bits */
        fmt += fmt[1] == 'l';
        /* fall through */
    case 'j':
    case 'z':
    case 't':
    case 'q':
        sp->len = 'l';
        fmt++;
        break;
    case 'L':
        sp->len = 'L';
        fmt++;
        break;
    }
    char c = *fmt;
    if (c >= 'A' && c <= 'Z') {
        c = (char)(c - 'A' + 'a');
        /* %C %S %D %O %U: the wide or long forms (newlib's, from BSD) */
        if (c == 'c' || c == 's' || c == 'd' || c == 'o' || c == 'u')
            sp->len = 'l';
        else
            sp->flags |= FORMAT_UPPER;
    }
    sp->conv = c;
    return fmt;
}

static uint64_t arg_unsigned(const struct format_spec *sp, va_list *ap)
{
    if (sp->len == 'l' || sp->len == 'L')
        return va_arg(*ap, uint64_t);
    unsigned int v = va_arg(*ap, unsigned int);
    return sp->len == 'H' ? (unsigned char)v : sp->len == 'h' ? (unsigned short)v : v;
}

static int64_t arg_signed(const struct format_spec *sp, va_list *ap)
{
    if (sp->len == 'l' || sp->len == 'L')
        return va_arg(*ap, int64_t);
    int v = va_arg(*ap, int);
    return sp->len == 'H' ? (signed char)v : sp->len == 'h' ? (short)v : v;
}

/* One conversion; start is its '%' (output as is when the conversion is unknown). */
static int convert(struct format_sink *s, struct format_spec *sp, const char *start,
                   const char *end, va_list *ap)
{
    char c;

    switch (sp->conv) {
    case 'd':
    case 'i': {
        int64_t v = arg_signed(sp, ap);
        conv_int(s, sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
        return 0;
    }
    case 'u':
    case 'o':
    case 'x':
        conv_int(s, sp, arg_unsigned(sp, ap), 0);
        return 0;
    case 'p':
        conv_int(s, sp, (uintptr_t)va_arg(*ap, void *), 0);
        return 0;
    case 'c':
        if (sp->len == 'l' && wide_byte(va_arg(*ap, unsigned int), &c) < 0)
            return -1;
        if (sp->len != 'l')
            c = (char)va_arg(*ap, int);
        conv_str(s, sp, &c, 1);
        return 0;
    case 's': {
        if (sp->len == 'l') {
            const wchar_t *ws = va_arg(*ap, const wchar_t *);
            static const wchar_t wnull[] = L"(null)";
            return conv_wstr(s, sp, ws ? ws : wnull);
        }
        const char *str = va_arg(*ap, const char *);
        size_t len = 0;
        if (!str)
            str = "(null)";
        while ((sp->prec < 0 || len < (size_t)sp->prec) && str[len])
            len++;
        conv_str(s, sp, str, len);
        return 0;
    }
    case 'n':
        store_count(sp, va_arg(*ap, void *), s->count);
        return 0;
    case 'e':
    case 'f':
    case 'g':
    case 'a':
        if (s->conv_float)
            return s->conv_float(s, sp, ap);
        break;
    }
    /* Unknown (or %%, or no float support here): the directive's own text. */
    if (sp->conv == '%' && end == start + 1)
        format_out(s, "%", 1);
    else
        format_out(s, start, (size_t)(end - start + (*end != '\0')));
    return 0;
}

int format(struct format_sink *s, const char *fmt, va_list ap)
{
    va_list aq;
    int rc = 0;

    va_copy(aq, ap);
    while (*fmt && rc == 0) {
        const char *p = fmt;
        while (*p && *p != '%')
            p++;
        format_out(s, fmt, (size_t)(p - fmt));
        if (!*p)
            break;
        struct format_spec sp;
        const char *end = parse_spec(p + 1, &sp, &aq);
        rc = convert(s, &sp, p, end, &aq);
        fmt = *end ? end + 1 : end;
    }
    va_end(aq);
    return rc;
}

struct buffer_sink {
    struct format_sink sink;
    char *buf;
    size_t size;
};

static void buffer_put(struct format_sink *s, const char *p, size_t n)
{
    struct buffer_sink *b = (struct buffer_sink *)s;
    size_t at = s->count - n; /* count already includes this piece */

    for (size_t i = 0; i < n && at + i + 1 < b->size; i++)
        b->buf[at + i] = p[i];
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer_sink b = {{buffer_put, NULL, 0}, buf, size};

    if (format(&b.sink, fmt, ap) < 0)
        return -1;
    if (size)
        buf[b.sink.count < size ? b.sink.count : size - 1] = '\0';
    return b.sink.count > INT32_MAX ? -1 : (int)b.sink.count;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
