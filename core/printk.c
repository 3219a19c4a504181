/*
 * Kernel formatting and printk. Our own small formatter so a fault handler can
 * print without newlib, malloc or locks that the faulting code may hold.
 * Supports %d %i %u %x %X %p %s %c %% with -, 0, width, precision (for %s), and
 * the h, l, ll, z length modifiers.
 */
#include "core/kernel.h"
#include "core/console.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, uint64_t v, int base, int upper, int neg, int width, int zero,
                    int left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[v % (uint64_t)base];
        v /= (uint64_t)base;
    } while (v);
    int len = n + neg;
    if (!left && zero && neg)
        put(o, '-');
    for (; !left && width > len; width--)
        put(o, zero ? '0' : ' ');
    if (neg && !(!left && zero))
        put(o, '-');
    while (n)
        put(o, tmp[--n]);
    for (; left && width > len; width--)
        put(o, ' ');
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int left = 0, zero = 0, alt = 0, width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '#')
                alt = 1;
            else if (*fmt == '0')
                zero = 1;
            else
                break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                prec = prec * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l' || *fmt == 'z' || *fmt == 'h') {
            if (*fmt != 'h')
                lng++;
            fmt++;
        }

        uint64_t u;
        int64_t s;
        switch (*fmt) {
        case 'd':
        case 'i':
            s = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(&o, s < 0 ? -(uint64_t)s : (uint64_t)s, 10, 0, s < 0, width, zero, left);
            break;
        case 'u':
        case 'x':
        case 'X':
            u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
            if (alt && *fmt != 'u') {
                put(&o, '0');
                put(&o, 'x');
            }
            put_num(&o, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, zero, left);
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, 0, width, zero, left);
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            int len = 0;
            if (!str)
                str = "(null)";
            while (str[len] && (prec < 0 || len < prec))
                len++;
            for (; !left && width > len; width--)
                put(&o, ' ');
            for (int i = 0; i < len; i++)
                put(&o, str[i]);
            for (; left && width > len; width--)
                put(&o, ' ');
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}
