/*
 * newlib's printf family on xenolith's formatter, in the guest: floating point
 * (%f %e %g %a, rounding, extremes), C99 lengths, the string family (snprintf
 * truncation, asprintf growth), streams (printf, fprintf, vfprintf return values)
 * and a strtod/printf round trip. Every result is compared byte for byte with what
 * C (and glibc) print; the expected strings were checked by building this file on
 * the host. Prints "printf-test: N passed, 0 failed".
 */
#define _GNU_SOURCE /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int line, const char *want, int n, const char *got)
{
    if (n == (int)strlen(want) && strcmp(want, got) == 0) {
        passed++;
        return;
    }
    failed++;
    printf("printf-test: FAIL line %d: got \"%s\" (%d), want \"%s\"\n", line, got, n, want);
}

static void check_int(int line, long want, long got)
{
    if (want == got) {
        passed++;
        return;
    }
    failed++;
    printf("printf-test: FAIL line %d: got %ld, want %ld\n", line, got, want);
}

static char buf[2048];
#define CHECK(want, ...) check(__LINE__, want, snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

static void floats(void)
{
    CHECK("pi=3.141593 e=2.718e+00", "pi=%f e=%.3e", 3.14159265358979, 2.718281828);
    CHECK("0.0001 1e-05 1.23457e+08 100000 1e+06", "%g %g %g %g %g", 0.0001, 1e-5, 123456789.0, 1e5,
          1e6);
    CHECK("0 2 2 4 -0 -2", "%.0f %.0f %.0f %.0f %.0f %.0f", 0.5, 1.5, 2.5, 3.5, -0.5, -1.5);
    CHECK("0.10000000000000000555|0.10000000000000001", "%.20f|%.17g", 0.1, 0.1);
    CHECK("4.940656e-324 2.225074e-308 1.797693e+308", "%e %e %e", 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308);
    CHECK("10000000000000000000000.000000", "%f", 1e22);
    CHECK("    3.1416|2.72e+00  |+1.5|-0.000", "%10.4f|%-10.2e|%+g|%.3f", 3.14159265, 2.71828, 1.5,
          -0.0001);
    CHECK("0001.50|+001.5|1.000000e+00|1.00000", "%07.2f|%+06.1f|%#e|%#g", 1.5, 1.5, 1.0, 1.0);
    CHECK("inf -inf nan INF", "%f %e %g %F", 1e308 * 10, -1e308 * 10, __builtin_nan(""),
          1e308 * 10);
    CHECK("0x1p+0 0x1.8p+1 -0x1.999999999999ap-4 0X1.00P+10", "%a %a %a %.2A", 1.0, 3.0, -0.1,
          1024.0);
    CHECK("1.500000 -2.25", "%Lf %Lg", 1.5L, -2.25L);
    CHECK("1 2.5 3 x 4.25e+00", "%d %g %d %c %.2e", 1, 2.5, 3, 'x', 4.25);
}

static void integers(void)
{
    CHECK("18446744073709551615 -9223372036854775808 -1 127 42 -3", "%zu %lld %hhd %hhd %jd %td",
          (size_t)-1, (long long)INT64_MIN, (signed char)255, 127, (intmax_t)42, (ptrdiff_t)-3);
    CHECK("0755 0xbeef 0XBEEF 00042 -0042 +42 ' 42'", "%#o %#x %#X %05d %05d %+d '% d'", 0755,
          0xbeef, 0xbeef, 42, -42, 42, 42);
    CHECK("[   abc] [abc   ] [ab] [x]", "[%6s] [%-6s] [%.2s] [%c]", "abc", "abc", "abc", 'x');
    CHECK("[   -7] [-7   ] [-007]", "[%*d] [%-*d] [%.*d]", 5, -7, 5, -7, 3, -7);
    int n = 0;
    CHECK("12345", "123%n45", &n);
    CHECK("3", "%d", n);
}

static void strings(void)
{
    char small[5];
    check_int(__LINE__, 8, snprintf(small, sizeof(small), "%f", 1.5));
    check(__LINE__, "1.50", 4, small);
    check_int(__LINE__, 9, snprintf(NULL, 0, "%d-%s", 12345, "abc"));

    char *p = NULL;
    int n = asprintf(&p, "%s", "");
    check(__LINE__, "", n, p ? p : "(asprintf failed)");
    free(p);
    n = asprintf(&p, "%0500d|%.3f", 7, 2.0 / 3); /* grows the buffer several times */
    check_int(__LINE__, 506, n);
    int ok = p && n == 506 && strspn(p, "0") == 499;
    check(__LINE__, "0007|0.667", ok ? (int)strlen(p + 496) : -1, ok ? p + 496 : "?");
    free(p);
}

static int vprint(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

static void streams(void)
{
    check_int(__LINE__, 25, printf("printf-test: stdout %.2f\n", 0.125));
    check_int(__LINE__, 27, fprintf(stderr, "printf-test: stderr %g\n", 1e100));
    check_int(__LINE__, 35, vprint(stdout, "printf-test: vfprintf %s %d %.1e\n", "ok", 1, 100.0));
    fflush(stdout);
}

static void round_trip(void)
{
    static const char *texts[] = {"0.1", "2.718281828459045", "1e-310", "123456789012345678"};
    for (unsigned int i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        double v = strtod(texts[i], NULL), back;
        snprintf(buf, sizeof(buf), "%.17g", v);
        back = strtod(buf, NULL);
        check(__LINE__, texts[i], back == v ? (int)strlen(texts[i]) : -1,
              back == v ? texts[i] : buf);
    }
}

int main(void)
{
    floats();
    integers();
    strings();
    streams();
    round_trip();
    printf("printf-test: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
