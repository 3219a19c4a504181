/*
 * %e %f %g %a for the printf formatter (format.h). The decimal forms are laid out
 * from exact digits (format_dtoa below: the double's whole decimal expansion in big
 * integer arithmetic, then rounded half to even at the digit asked for); %a from the
 * bits (leading digit 1, or 0 for subnormals, as glibc does). A long double argument
 * (%Lf) is printed with double's precision. No allocation, no newlib. Built with
 * SSE (a double argument lives in an SSE register): apps only.
 */
#include "core/format.h"
#include <stdint.h>
#include <string.h>

#define LIMB  1000000000u /* big integers in base 10^9, least significant limb first */
#define LIMBS 90          /* 2^53 * 5^1074 has 767 digits */

/*
 * Division by constants as multiplies, which the compiler does not do where it
 * optimizes for size: t / 10^9 is exact for t < 1.2e19, u / 10 for every u.
 */
static uint64_t div_limb(uint64_t t)
{
    return (uint64_t)(((unsigned __int128)t * 0x112e0be826d694b3ull) >> 90);
}

static uint32_t div10(uint32_t u)
{
    return (uint32_t)(((uint64_t)u * 0xcccccccdu) >> 35);
}

/* x = x * f, for f up to 5^13 (limb * f + carry stays below 1.3e18). */
static void big_mul(uint32_t *x, int *n, uint32_t f)
{
    uint64_t carry = 0;
    for (int i = 0; i < *n; i++) {
        uint64_t t = (uint64_t)x[i] * f + carry;
        carry = div_limb(t);
        x[i] = (uint32_t)(t - carry * LIMB);
    }
    for (; carry; carry = div_limb(carry))
        x[(*n)++] = (uint32_t)(carry - div_limb(carry) * LIMB);
}

/*
 * Round the digits d[0..len) (value 0.d * 10^*decpt) to cut digits, half to even,
 * and drop trailing zeros. A carry out of the first digit moves the point.
 */
static size_t round_at(char *d, size_t len, long cut, int *decpt)
{
    if (cut < 0)
        return 0;
    if (cut < (long)len) {
        int up = d[cut] > '5';
        if (d[cut] == '5') {
            size_t i = (size_t)cut + 1;
            while (i < len && d[i] == '0')
                i++;
            up = i < len || (cut > 0 && ((d[cut - 1] - '0') & 1));
        }
        len = (size_t)cut;
        long i = cut - 1;
        for (; up && i >= 0 && d[i] == '9'; i--)
            d[i] = '0';
        if (up && i >= 0) {
            d[i]++;
        } else if (up) { /* 9...9 became 10...0 */
            d[0] = '1';
            len = len ? len : 1;
            (*decpt)++;
        }
    }
    while (len && d[len - 1] == '0')
        len--;
    return len;
}

size_t format_dtoa(double v, int mode, int ndigits, char *d, int *decpt)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int e = (int)(bits >> 52) & 0x7ff;
    uint64_t m = bits & ((1ull << 52) - 1);
    uint32_t x[LIMBS];
    int n = 0;

    if (e) /* normal: the hidden bit */
        m |= 1ull << 52;
    e = (e ? e : 1) - 1075; /* v = m * 2^e */
    for (; m; m = div_limb(m))
        x[n++] = (uint32_t)(m - div_limb(m) * LIMB);
    for (int k = e; k > 0; k -= 29) /* m * 2^e */
        big_mul(x, &n, 1u << (k < 29 ? k : 29));
    for (int k = -e; k > 0; k -= 13) { /* m * 5^-e = v * 10^-e */
        uint32_t f = 1;
        for (int j = 0; j < (k < 13 ? k : 13); j++)
            f *= 5;
        big_mul(x, &n, f);
    }
    uint32_t top = x[n - 1]; /* not 0: v > 0 */
    size_t len = 0;
    for (uint32_t t = top; t; t = div10(t))
        len++;
    for (size_t i = len; i--; top = div10(top))
        d[i] = (char)('0' + top - div10(top) * 10);
    for (int i = n - 2; i >= 0; i--, len += 9) {
        uint32_t t = x[i];
        for (int j = 8; j >= 0; j--, t = div10(t))
            d[len + (size_t)j] = (char)('0' + t - div10(t) * 10);
    }
    *decpt = (int)len + (e < 0 ? e : 0);
    return round_at(d, len, mode == 2 ? ndigits : (long)*decpt + ndigits, decpt);
}

/* Digits from..from+n of 0.DIGITS: zeros before and after the len digits of d. */
static void digits_out(struct format_sink *s, const char *d, size_t len, long from, long n)
{
    if (n <= 0)
        return;
    if (from < 0) {
        long z = -from < n ? -from : n;
        format_repeat(s, '0', (size_t)z);
        from += z;
        n -= z;
    }
    if (n > 0 && from < (long)len) {
        long k = (long)len - from < n ? (long)len - from : n;
        format_out(s, d + from, (size_t)k);
        from += k;
        n -= k;
    }
    format_repeat(s, '0', n > 0 ? (size_t)n : 0);
}

/* "e+05": letter, sign and at least min digits; returns the length. */
static size_t exponent(char *buf, char letter, int x, int min)
{
    char tmp[8];
    unsigned int u = x < 0 ? (unsigned int)-x : (unsigned int)x;
    int n = 0;
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) || n < min);
    size_t len = 0;
    buf[len++] = letter;
    buf[len++] = x < 0 ? '-' : '+';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

static int hex_float(struct format_sink *s, struct format_spec *sp, char *prefix, char *p, double v)
{
    int upper = sp->flags & FORMAT_UPPER, ndig = 13;
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int e = (int)(bits >> 52) & 0x7ff;
    uint64_t m = bits & ((1ull << 52) - 1);
    unsigned int lead = e != 0;

    e = e ? e - 1023 : m ? -1022 : 0;
    if (sp->prec >= 0 && sp->prec < 13) {
        int drop = (13 - sp->prec) * 4;
        uint64_t rem = m & ((1ull << drop) - 1), half = 1ull << (drop - 1);
        m >>= drop;
        int odd = sp->prec ? (int)(m & 1) : (int)(lead & 1);
        if (rem > half || (rem == half && odd))
            m++;
        if (m >> (sp->prec * 4)) { /* carried into the leading digit */
            m &= (1ull << (sp->prec * 4)) - 1;
            lead++;
        }
        ndig = sp->prec;
    } else if (sp->prec < 0) {
        for (; ndig && !(m & 0xf); ndig--)
            m >>= 4;
    }
    size_t zeros = sp->prec > 13 ? (size_t)(sp->prec - 13) : 0;
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[16], exp[8];
    for (int i = ndig - 1; i >= 0; i--, m >>= 4)
        digits[i] = hex[m & 0xf];
    size_t elen = exponent(exp, upper ? 'P' : 'p', e, 1);
    int dot = ndig || zeros || (sp->flags & FORMAT_ALT);
    char first = hex[lead];

    *p++ = '0';
    *p++ = upper ? 'X' : 'x';
    *p = '\0';
    size_t after = format_field(s, sp, prefix, 1 + (size_t)dot + (size_t)ndig + zeros + elen);
    format_out(s, &first, 1);
    format_out(s, ".", (size_t)dot);
    format_out(s, digits, (size_t)ndig);
    format_repeat(s, '0', zeros);
    format_out(s, exp, elen);
    format_repeat(s, ' ', after);
    return 0;
}

int format_float(struct format_sink *s, const struct format_spec *spec, va_list *ap)
{
    struct format_spec sp = *spec;
    double v = sp.len == 'L' ? (double)va_arg(*ap, long double) : va_arg(*ap, double);
    int upper = sp.flags & FORMAT_UPPER, alt = sp.flags & FORMAT_ALT;
    char prefix[4] = {0}, *p = prefix;

    if (__builtin_signbit(v)) {
        *p++ = '-';
        v = -v;
    } else if (sp.flags & (FORMAT_PLUS | FORMAT_SPACE)) {
        *p++ = sp.flags & FORMAT_PLUS ? '+' : ' ';
    }
    if (__builtin_isinf(v) || __builtin_isnan(v)) {
        sp.flags &= ~FORMAT_ZERO;
        size_t after = format_field(s, &sp, prefix, 3);
        format_out(s, __builtin_isnan(v) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3);
        format_repeat(s, ' ', after);
        return 0;
    }
    if (sp.conv == 'a')
        return hex_float(s, &sp, prefix, p, v);

    int prec = sp.prec < 0 ? 6 : sp.prec, decpt = 1;
    char d[FORMAT_DTOA_MAX];
    size_t len = 0;
    char style = sp.conv;
    if (sp.conv == 'g') {
        if (prec == 0)
            prec = 1;
        if (v != 0)
            len = format_dtoa(v, 2, prec, d, &decpt);
        int x = len ? decpt - 1 : 0;
        long shown = x < prec && x >= -4 ? (long)len - decpt : (long)len - 1;
        style = x < prec && x >= -4 ? 'f' : 'e';
        prec = style == 'f' ? prec - 1 - x : prec - 1;
        if (!alt && prec > shown) /* %g drops trailing zeros */
            prec = shown > 0 ? (int)shown : 0;
    } else if (v != 0) {
        len = style == 'f' ? format_dtoa(v, 3, prec, d, &decpt)
                           : format_dtoa(v, 2, prec + 1, d, &decpt);
    }

    int dot = prec || alt;
    char exp[8];
    size_t elen = 0;
    long lead = 1; /* digits before the point */
    if (style == 'e')
        elen = exponent(exp, upper ? 'E' : 'e', len ? decpt - 1 : 0, 2);
    else if (decpt > 1)
        lead = decpt;
    size_t after = format_field(s, &sp, prefix, (size_t)lead + (size_t)dot + (size_t)prec + elen);
    if (style == 'f' && decpt <= 0)
        format_out(s, "0", 1);
    else
        digits_out(s, d, len, 0, lead);
    format_out(s, ".", (size_t)dot);
    digits_out(s, d, len, style == 'f' ? decpt : 1, prec);
    format_out(s, exp, elen);
    format_repeat(s, ' ', after);
    return 0;
}
