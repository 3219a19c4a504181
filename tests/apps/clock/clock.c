/*
 * The TSC frequency against an independent clock (bare QEMU only: tests/boot/run.sh
 * t_*clock): the CMOS RTC before and after xenolith_thread_sleep_ns(5 s). A wrong calibration
 * makes the sleep end early or late by the same factor; the RTC moves in whole seconds.
 * Prints "clock: slept 5 s, RTC moved N s" and exits 0 when N is 4 to 8.
 */
#include <stdint.h>
#include <stdio.h>
#include <xenolith/thread.h>

static uint8_t cmos(uint8_t reg)
{
    uint8_t v;
    __asm__ volatile("outb %0, $0x70" ::"a"(reg));
    __asm__ volatile("inb $0x71, %0" : "=a"(v));
    return v;
}

static int bcd(uint8_t v, int binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Seconds since midnight, read between updates (twice the same means no update in between). */
static int rtc_seconds(void)
{
    int a, b;
    do {
        while (cmos(0x0a) & 0x80)
            ;
        int binary = cmos(0x0b) & 4;
        a = bcd(cmos(0), binary) + 60 * bcd(cmos(2), binary) + 3600 * bcd(cmos(4) & 0x7f, binary);
        b = bcd(cmos(0), binary) + 60 * bcd(cmos(2), binary) + 3600 * bcd(cmos(4) & 0x7f, binary);
    } while (a != b);
    return a;
}

int main(void)
{
    int t0 = rtc_seconds();
    xenolith_thread_sleep_ns(5000000000ULL);
    int moved = (rtc_seconds() - t0 + 86400) % 86400;
    printf("clock: slept 5 s, RTC moved %d s\n", moved);
    if (moved < 4 || moved > 8) {
        printf("clock: FAIL: the TSC frequency is wrong\n");
        return 1;
    }
    printf("clock: ok\n");
    return 0;
}
