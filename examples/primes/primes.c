/*
 * primes: an SMP demo. Counts the primes below N on one thread, then on one
 * thread per VCPU (each taking every k-th block), and prints both times. The
 * counts must agree, and equal pi(N) when N is one whose count is known (a
 * power of ten up to 10^8, or the default 2,000,000). Usage: primes [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <xenolith/thread.h>

#define BLOCK 10000

struct job {
    long n, first_block, stride;
    long count;
};

/* pi(n), the number of primes below n, for the n whose answer we know; -1 otherwise. */
static long known_count(long n)
{
    static const struct {
        long n, count;
    } known[] = {{10, 4},           {100, 25},          {1000, 168},
                 {10000, 1229},     {100000, 9592},     {1000000, 78498},
                 {2000000, 148933}, {10000000, 664579}, {100000000, 5761455}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].n == n)
            return known[i].count;
    return -1;
}

static int is_prime(long x)
{
    if (x < 2)
        return 0;
    for (long d = 2; d * d <= x; d++)
        if (x % d == 0)
            return 0;
    return 1;
}

static void *count_primes(void *arg)
{
    struct job *j = arg;
    j->count = 0;
    for (long b = j->first_block; b * BLOCK < j->n; b += j->stride)
        for (long x = b * BLOCK; x < (b + 1) * BLOCK && x < j->n; x++)
            j->count += is_prime(x);
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    int ncpu = xenolith_online_cpus();

    struct job serial = {n, 0, 1, 0};
    uint64_t t0 = xenolith_time_now_ns();
    count_primes(&serial);
    uint64_t t_serial = xenolith_time_now_ns() - t0;

    struct job *jobs = calloc((size_t)ncpu, sizeof(*jobs));
    struct xenolith_thread **threads = calloc((size_t)ncpu, sizeof(*threads));
    if (!jobs || !threads)
        return 1;
    t0 = xenolith_time_now_ns();
    for (int i = 0; i < ncpu; i++) {
        jobs[i] = (struct job){n, i, ncpu, 0};
        threads[i] = xenolith_thread_create("primes", count_primes, &jobs[i], -1, 0);
        if (!threads[i])
            return 1;
    }
    long total = 0;
    for (int i = 0; i < ncpu; i++) {
        xenolith_thread_join(threads[i]);
        total += jobs[i].count;
    }
    uint64_t t_par = xenolith_time_now_ns() - t0;

    printf("primes below %ld: %ld (serial %lu ms), %ld on %d VCPUs (%lu ms)\n", n, serial.count,
           (unsigned long)(t_serial / 1000000), total, ncpu, (unsigned long)(t_par / 1000000));
    if (total != serial.count) {
        printf("primes: the parallel count differs!\n");
        return 1;
    }
    long want = known_count(n);
    if (want >= 0 && serial.count != want) {
        printf("primes: counted %ld, but pi(%ld) is %ld!\n", serial.count, n, want);
        return 1;
    }
    if (want >= 0)
        printf("primes: pi(%ld) = %ld, as known\n", n, want);
    printf("primes: ok\n");
    return 0;
}
