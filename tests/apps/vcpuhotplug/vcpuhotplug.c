/*
 * VCPUs that come online while the domain runs (tests/xen/hotplug.manifest): it
 * boots with 1 of 4, dom0 runs xl vcpu-set 4; the app sees the online count grow,
 * then runs a worker pinned to each VCPU (each checks it ran where it was put,
 * and a shared atomic sum must be exact). A later xl vcpu-set 2 is refused by the
 * kernel (offline is not supported yet): the count must stay 4 and the workers
 * run again on every VCPU.
 */
#include <stdio.h>
#include <xenolith/link.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/percpu.h"

#define MS   1000000ULL
#define ADDS 200000
#define WANT 4

XENOLITH_LINK(vcpu_hotplug); /* no API of it to call: the toolstack drives it */

static volatile uint64_t sum;
static int ran_on[WANT];

static void *work(void *arg)
{
    int i = (int)(intptr_t)arg;
    ran_on[i] = (int)this_cpu()->id;
    for (int k = 0; k < ADDS; k++)
        __atomic_add_fetch(&sum, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* One worker per VCPU; 0 when each ran where it was put and the sum is exact. */
static int run_workers(const char *when)
{
    struct thread *t[WANT];
    sum = 0;
    for (int i = 0; i < WANT; i++) {
        ran_on[i] = -1;
        t[i] = thread_create("worker", work, (void *)(intptr_t)i, i, 0);
        if (!t[i]) {
            printf("vcpu-test: FAIL %s: no worker on vcpu %d\n", when, i);
            return -1;
        }
    }
    for (int i = 0; i < WANT; i++)
        thread_join(t[i]);
    int ok = sum == (uint64_t)ADDS * WANT;
    for (int i = 0; i < WANT; i++)
        ok &= ran_on[i] == i;
    printf("vcpu-test: %s: %d workers on vcpus %d %d %d %d, sum %llu%s\n", when, WANT, ran_on[0],
           ran_on[1], ran_on[2], ran_on[3], (unsigned long long)sum, ok ? "" : " FAIL");
    return ok ? 0 : -1;
}

static void wait_go(const char *value)
{
    char v[16];
    for (;;) {
        if (xs_read(XS_NO_TX, "data/vcpu", v, sizeof(v)) > 0 && !__builtin_strcmp(v, value))
            return;
        thread_sleep_ns(20 * MS);
    }
}

int main(void)
{
    int at_boot = xenolith_online_cpus();
    printf("vcpu-test: ready with %d online\n", at_boot);
    for (int i = 0; i < 1000 && xenolith_online_cpus() < WANT; i++)
        thread_sleep_ns(20 * MS);
    int now = xenolith_online_cpus();
    printf("vcpu-test: %d online after xl vcpu-set %d\n", now, WANT);
    if (at_boot != 1 || now != WANT || run_workers("after online") < 0) {
        printf("vcpu-test: FAIL\n");
        return 1;
    }
    wait_go("offline-asked");
    thread_sleep_ns(200 * MS);
    now = xenolith_online_cpus();
    printf("vcpu-test: %d online after an offline request\n", now);
    if (now != WANT || run_workers("after the refused offline") < 0) {
        printf("vcpu-test: FAIL\n");
        return 1;
    }
    printf("vcpu-test: all ok\n");
    return 0;
}
