/*
 * Lives through ballooning: 8 MiB of heap blocks hold a pattern that a checker
 * thread rewrites and verifies all along while dom0 resizes the domain with
 * xl mem-set (tests/xen/hotplug.manifest). Each size change is printed as the
 * memory callback reports it ("size now N KiB") for dom0 to compare with xl list.
 * dom0 drives the rest through data/balloon: "pressure" (at 16 MiB a 24 MiB malloc
 * must fail cleanly, a small one still succeed) and "done" (verify, report, exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/memory.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>

#define MS      1000000ULL
#define NBLOCKS 8
#define BLOCK   (1024 * 1024)

static uint64_t *blocks[NBLOCKS];
static volatile uint64_t passes, bad_words, changes;
static volatile int stop;

static uint64_t word(unsigned int b, size_t i, uint64_t pass)
{
    return ((uint64_t)b << 56) ^ (i * 0x9e3779b97f4a7c15ULL) ^ pass;
}

/* Verify what the last pass wrote, then write the next pass's pattern. */
static void *checker(void *arg)
{
    for (uint64_t pass = 1; !stop; pass++) {
        for (unsigned int b = 0; b < NBLOCKS; b++) {
            for (size_t i = 0; i < BLOCK / 8; i++) {
                if (pass > 1 && blocks[b][i] != word(b, i, pass - 1))
                    bad_words++;
                blocks[b][i] = word(b, i, pass);
            }
        }
        passes = pass;
        xenolith_thread_sleep_ns(10 * MS);
    }
    return NULL;
}

static void on_change(uint64_t total, uint64_t free, void *arg)
{
    changes++;
    printf("balloon-test: size now %llu KiB, %llu KiB free\n", (unsigned long long)(total >> 10),
           (unsigned long long)(free >> 10));
}

static void pressure(void)
{
    void *big = malloc(24 << 20);
    void *small = malloc(64 << 10);
    uint64_t total;
    xenolith_memory_info(&total, NULL);
    printf("balloon-test: pressure at %llu KiB: malloc(24 MiB) %s, malloc(64 KiB) %s\n",
           (unsigned long long)(total >> 10), big ? "succeeded" : "= NULL",
           small ? "succeeded" : "= NULL");
    if (!big && small)
        printf("balloon-test: pressure ok\n");
    else
        printf("balloon-test: FAIL pressure\n");
    free(big);
    free(small);
}

int main(void)
{
    uint64_t total, free;
    xenolith_memory_info(&total, &free);
    printf("balloon-test: start with %llu KiB, %llu KiB free\n", (unsigned long long)(total >> 10),
           (unsigned long long)(free >> 10));
    for (unsigned int b = 0; b < NBLOCKS; b++) {
        blocks[b] = malloc(BLOCK);
        if (!blocks[b]) {
            printf("balloon-test: FAIL no memory for block %u\n", b);
            return 1;
        }
    }
    if (xenolith_memory_on_change(on_change, NULL) < 0)
        return 1;
    struct xenolith_thread *t = xenolith_thread_create("checker", checker, NULL, 0, 0);
    while (passes < 2)
        xenolith_thread_sleep_ns(10 * MS);
    printf("balloon-test: ready\n");

    char cmd[32];
    for (;;) {
        xenolith_thread_sleep_ns(50 * MS);
        if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/balloon", cmd, sizeof(cmd)) <= 0)
            continue;
        xenolith_xs_write(XENOLITH_XS_NO_TX, "data/balloon", "");
        if (!strcmp(cmd, "pressure"))
            pressure();
        else if (!strcmp(cmd, "done"))
            break;
    }
    stop = 1;
    xenolith_thread_join(t);
    xenolith_memory_info(&total, &free);
    printf("balloon-test: %llu passes over %d MiB, %llu bad words, %llu size changes, end at %llu "
           "KiB\n",
           (unsigned long long)passes, NBLOCKS, (unsigned long long)bad_words,
           (unsigned long long)changes, (unsigned long long)(total >> 10));
    if (bad_words || changes < 2 || passes < 10) {
        printf("balloon-test: FAIL\n");
        return 1;
    }
    printf("balloon-test: all ok\n");
    return 0;
}
