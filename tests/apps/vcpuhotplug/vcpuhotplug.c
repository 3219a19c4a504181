/*
 * VCPUs that go offline and come back while the domain runs
 * (tests/xen/hotplug.manifest; maxvcpus 8, 4 online at boot). A workload runs
 * throughout: threads spread over the VCPUs claim chunks of a sum from a shared
 * counter, sleeping now and then, so the total over the chunks claimed is exact
 * only if no thread is lost or run twice. Before each offline ("N to 1") every
 * VCPU but 0 gets two threads made for it: one blocked until released (its
 * timeout timer armed there), one whose timeout must fire after its VCPU is gone,
 * on the VCPU its timers moved to, and a loopback event channel (a device's, as far
 * as the kernel can tell) is bound to it. Once one VCPU is left: the offline VCPUs' idle
 * counters must stand still (read twice, a second apart), each must have handed
 * on threads, timers and its channel, the threads made for it must end on VCPU 0
 * and its channel's events must be handled there. Back
 * online ("N online"), a worker pinned to each VCPU must run there and the sum
 * must be exact. Plan, from xl vcpu-set: 4 -> 1 -> 8 -> 1 -> 4.
 * With "cycles N" on the command line (the soak): N times 4 -> 1 -> 4. With
 * "suspend": 4 -> 1, a checkpoint (same domain: Xen kept the offline VCPUs down,
 * 1 -> 4 brings them back from their VCPUOP_down), 4 -> 1 again, a save and
 * restore, 1 -> 4, 4 -> 1 again, a live migration, 1 -> 4: in each new domain Xen
 * kept nothing of the offline VCPUs, they start afresh, and a worker pinned to each
 * must run there with the sum exact; then 4 -> 1 -> 4 once more in that domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenolith/link.h>
#include <xenolith/thread.h>
#include <xenolith/xenstore.h>
#include "core/percpu.h"
#include "core/sched.h"
#include "drivers/xen/evtchn.h"
#define CHECK_PREFIX "vcpu-test: "
#include "tests/apps/check.h"

#define MS         1000000ULL
#define S          (1000 * MS)
#define ADDS       200000
#define MAXV       8
#define SPREAD     12
#define CHUNK      2000
#define TIMED_NS   (200 * MS) /* the timed waiters' sleeps */
#define RELEASE_NS (120 * S)

/* ---- the workload that runs throughout ---- */

static uint64_t chunk_value(uint64_t k)
{
    uint64_t v = 0;
    for (uint64_t i = k * CHUNK; i < (k + 1) * CHUNK; i++)
        v += (i * i) % 1000003;
    return v;
}

struct spread {
    struct xenolith_thread *t;
    uint64_t sum, chunks;
    int last_cpu;
};

static struct spread spread[SPREAD];
static uint64_t next_chunk;
static int stop;

static void *spread_work(void *arg)
{
    struct spread *w = arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        uint64_t k = __atomic_fetch_add(&next_chunk, 1, __ATOMIC_RELAXED);
        w->sum += chunk_value(k);
        w->last_cpu = (int)this_cpu()->id;
        if (++w->chunks % 4 == 0)
            xenolith_thread_sleep_ns(MS);
        else
            xenolith_thread_yield();
    }
    return NULL;
}

static void workload_start(void)
{
    for (int i = 0; i < SPREAD; i++)
        spread[i].t = xenolith_thread_create("spread", spread_work, &spread[i], -1, 0);
}

/* Stop it; the total over every chunk claimed must be exact. */
static void workload_check(void)
{
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    uint64_t sum = 0, chunks = 0, want = 0;
    for (int i = 0; i < SPREAD; i++) {
        xenolith_thread_join(spread[i].t);
        sum += spread[i].sum;
        chunks += spread[i].chunks;
    }
    for (uint64_t k = 0; k < next_chunk; k++)
        want += chunk_value(k);
    CHECK(sum == want && chunks == next_chunk, "workload: %llu chunks summed to %llu, want %llu",
          (unsigned long long)chunks, (unsigned long long)sum, (unsigned long long)want);
    printf("vcpu-test: workload: %llu chunks by %d threads, sum %llu%s\n",
           (unsigned long long)chunks, SPREAD, (unsigned long long)sum,
           sum == want ? " exact" : " FAIL");
}

/* ---- threads made for a VCPU that goes offline ---- */

struct made_for {
    struct xenolith_thread *t;
    int vcpu, timed, rc, ended_on;
    int moved_wakes; /* timeouts that fired on another VCPU than the one it slept on */
    uint64_t offlines_before;
};

static struct made_for made[2 * MAXV];
static int nmade;
static int released;
static struct waitq release_wq = WAITQ_INIT(release_wq);
static struct waitq never_wq = WAITQ_INIT(never_wq); /* the timed waiters' own: never woken */

static int released_now(void)
{
    return __atomic_load_n(&released, __ATOMIC_ACQUIRE);
}

/*
 * Blocked: waits for the release (a long timeout armed meanwhile). Timed: sleeps
 * in short timeouts until released. Nothing wakes it but its timer, so a timeout
 * that ends on another VCPU than it began on is a timer that moved with it.
 */
static void *made_for_wait(void *arg)
{
    struct made_for *m = arg;
    if (!m->timed)
        m->rc = wait_event_timeout(&release_wq, released_now(), RELEASE_NS);
    while (m->timed && !released_now()) {
        int before = (int)this_cpu()->id;
        m->rc = wait_event_timeout(&never_wq, 0, TIMED_NS);
        m->moved_wakes += m->rc == -ETIMEDOUT && (int)this_cpu()->id != before;
    }
    m->ended_on = (int)this_cpu()->id;
    return NULL;
}

static void made_for_start(int online)
{
    nmade = 0;
    released = 0;
    for (int id = 1; id < online; id++)
        for (int timed = 0; timed < 2; timed++) {
            struct made_for *m = &made[nmade++];
            memset(m, 0, sizeof(*m));
            m->vcpu = id;
            m->timed = timed;
            m->t =
                xenolith_thread_create(timed ? "timed-waiter" : "blocked", made_for_wait, m, id, 0);
            CHECK(m->t != NULL, "no thread for vcpu %d", id);
        }
}

static void made_for_check(const char *when)
{
    uint64_t flags = waitq_lock(&release_wq);
    __atomic_store_n(&released, 1, __ATOMIC_RELEASE);
    waitq_unlock_wake(&release_wq, flags, 1);
    int on0 = 0, moved_wakes = 0;
    for (int i = 0; i < nmade; i++) {
        struct made_for *m = &made[i];
        if (!m->t)
            continue;
        xenolith_thread_join(m->t);
        on0 += m->ended_on == 0;
        moved_wakes += m->moved_wakes;
        CHECK(m->ended_on == 0, "%s: thread made for vcpu %d ended on vcpu %d", when, m->vcpu,
              m->ended_on);
        CHECK(m->timed || m->rc == 0, "%s: released thread of vcpu %d: %d", when, m->vcpu, m->rc);
    }
    CHECK(moved_wakes > 0, "%s: no timeout fired on the VCPU its timer moved to", when);
    printf("vcpu-test: %s: %d of %d threads made for offline VCPUs ended on vcpu 0; %d timeouts "
           "fired where their timers moved\n",
           when, on0, nmade, moved_wakes);
}

/* ---- a loopback event channel per VCPU: a device's port, to the kernel ---- */

struct loop_chan {
    evtchn_port_t port, peer; /* handled on port; sent from peer */
    int count, last_cpu;
};

static struct loop_chan chans[MAXV];

static void loop_event(evtchn_port_t port, void *arg)
{
    struct loop_chan *ch = arg;
    __atomic_store_n(&ch->last_cpu, (int)this_cpu()->id, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ch->count, 1, __ATOMIC_RELEASE);
}

static void loop_peer(evtchn_port_t port, void *arg)
{
}

/* At start, and in a new domain (its ports are gone: the kernel forgot their handlers). */
static void chans_open(void)
{
    for (int id = 1; id < MAXV; id++) {
        struct loop_chan *ch = &chans[id];
        int rc = evtchn_alloc_unbound(DOMID_SELF, loop_event, ch, &ch->port);
        if (rc == 0)
            rc = evtchn_bind_interdomain(DOMID_SELF, ch->port, loop_peer, NULL, &ch->peer);
        CHECK(rc == 0, "loopback channel %d: %d", id, rc);
    }
}

/* Signal it; the VCPU its handler ran on, or -1 if it did not run within 2 s. */
static int chan_fire(struct loop_chan *ch)
{
    int before = __atomic_load_n(&ch->count, __ATOMIC_ACQUIRE);
    evtchn_send(ch->peer);
    for (int i = 0; i < 200 && __atomic_load_n(&ch->count, __ATOMIC_ACQUIRE) == before; i++)
        xenolith_thread_sleep_ns(10 * MS);
    return __atomic_load_n(&ch->count, __ATOMIC_ACQUIRE) != before ? ch->last_cpu : -1;
}

/* Bind each channel to its VCPU, and see it handled there. */
static void chans_bind(int online)
{
    for (int id = 1; id < online; id++) {
        struct loop_chan *ch = &chans[id];
        int rc = evtchn_bind_vcpu(ch->port, (unsigned)id), on = chan_fire(ch);
        CHECK(rc == 0 && on == id, "channel of vcpu %d: bound %d, handled on %d", id, rc, on);
    }
}

static void chans_check(const char *when, int from)
{
    int on0 = 0;
    for (int id = 1; id < from; id++) {
        int on = chan_fire(&chans[id]);
        on0 += on == 0;
        CHECK(on == 0, "%s: channel of vcpu %d handled on %d", when, id, on);
    }
    printf("vcpu-test: %s: %d of %d channels of offline VCPUs handled on vcpu 0\n", when, on0,
           from - 1);
}

/* ---- online count ---- */

static int wait_online(int want, int seconds)
{
    for (int i = 0; i < seconds * 50 && xenolith_online_cpus() != want; i++)
        xenolith_thread_sleep_ns(20 * MS);
    int now = xenolith_online_cpus();
    CHECK(now == want, "%d online, waited for %d", now, want);
    return now == want ? 0 : -1;
}

/* An offline VCPU's idle loop is stopped in Xen: its counters stand still. */
static void idle_counters_check(const char *when, int from)
{
    uint64_t a[MAXV], b[MAXV];
    for (int round = 0; round < 2; round++) {
        printf("vcpu-test: %s: idle halts/wakes of offline VCPUs:", when);
        for (int id = 1; id < from; id++) {
            struct sched_cpu *s = &smp_known_cpu(id)->sched;
            uint64_t *v = round ? b : a;
            v[id] = s->idle_halts * 1000003 + s->idle_wakes;
            printf(" %d:%llu/%llu", id, (unsigned long long)s->idle_halts,
                   (unsigned long long)s->idle_wakes);
        }
        printf("\n");
        if (!round)
            xenolith_thread_sleep_ns(S);
    }
    int steady = 1;
    for (int id = 1; id < from; id++)
        steady &= a[id] == b[id];
    CHECK(steady, "%s: idle counters of offline VCPUs still move", when);
    printf("vcpu-test: %s: idle counters of offline VCPUs %s\n", when, steady ? "steady" : "moved");
}

/* What each VCPU handed on when it left: threads and timers were arranged for. */
static void moved_check(const char *when, int from)
{
    unsigned threads = 0, timers = 0, ports = 0;
    for (int id = 1; id < from; id++) {
        struct smp_left *l = &smp_known_cpu(id)->smp.left;
        CHECK(l->threads >= 2 && l->timers >= 1 && l->ports >= 1,
              "%s: vcpu %d moved %u threads, %u timers, %u ports to vcpu %u", when, id, l->threads,
              l->timers, l->ports, l->to);
        threads += l->threads;
        timers += l->timers;
        ports += l->ports;
    }
    printf("vcpu-test: %s: moved %u threads, %u timers, %u event channels in all\n", when, threads,
           timers, ports);
}

/* from to 1, then the checks; the toolstack does the rest. `cycle`: its number, or 0. */
static void offline_phase(int from, int cycle)
{
    char when[32];
    if (cycle)
        snprintf(when, sizeof(when), "cycle %d: %d to 1", cycle, from);
    else
        snprintf(when, sizeof(when), "%d to 1", from);
    if (xenolith_online_cpus() != from)
        return; /* failed already */
    made_for_start(from);
    chans_bind(from);
    xenolith_thread_sleep_ns(200 * MS); /* let them block */
    printf("vcpu-test: %s: ready for offline\n", when);
    if (wait_online(1, 120) < 0)
        return;
    idle_counters_check(when, from);
    moved_check(when, from);
    uint64_t chunks = __atomic_load_n(&next_chunk, __ATOMIC_RELAXED);
    while (__atomic_load_n(&next_chunk, __ATOMIC_RELAXED) < chunks + 2 * SPREAD)
        xenolith_thread_sleep_ns(10 * MS);
    int on0 = 0;
    for (int i = 0; i < SPREAD; i++)
        on0 += spread[i].last_cpu == 0;
    printf("vcpu-test: %s: %d of %d workload threads last ran on vcpu 0\n", when, on0, SPREAD);
    made_for_check(when);
    chans_check(when, from);
}

/* ---- back online: a worker pinned to each VCPU ---- */

XENOLITH_LINK(vcpu_hotplug); /* no API of it to call: the toolstack drives it */
XENOLITH_LINK(suspend);      /* the "suspend" mode checkpoints and restores */

static volatile uint64_t sum;
static int ran_on[MAXV];

static void *pinned_work(void *arg)
{
    int i = (int)(intptr_t)arg;
    ran_on[i] = (int)this_cpu()->id;
    for (int k = 0; k < ADDS; k++)
        __atomic_add_fetch(&sum, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void online_phase(int n, int cycle)
{
    if (wait_online(n, 120) < 0)
        return;
    struct xenolith_thread *t[MAXV];
    sum = 0;
    for (int i = 0; i < n; i++) {
        ran_on[i] = -1;
        t[i] = xenolith_thread_create("pinned", pinned_work, (void *)(intptr_t)i, i, 0);
        CHECK(t[i] != NULL, "no worker on vcpu %d", i);
    }
    int where = 1;
    for (int i = 0; i < n; i++) {
        if (t[i])
            xenolith_thread_join(t[i]);
        where &= ran_on[i] == i;
    }
    CHECK(where && sum == (uint64_t)ADDS * n, "%d online: workers ran where put %d, sum %llu", n,
          where, (unsigned long long)sum);
    char when[16] = "";
    if (cycle)
        snprintf(when, sizeof(when), "cycle %d: ", cycle);
    printf("vcpu-test: %s%d online: %d workers each on its own vcpu%s, sum %llu\n", when, n, n,
           where ? "" : " (NOT)", (unsigned long long)sum);
}

static void wait_go(const char *value)
{
    char v[16];
    for (;;) {
        if (xenolith_xs_read(XENOLITH_XS_NO_TX, "data/vcpu", v, sizeof(v)) > 0 && !strcmp(v, value))
            return;
        xenolith_thread_sleep_ns(20 * MS);
    }
}

int main(int argc, char **argv)
{
    int cycles = argc > 2 && !strcmp(argv[1], "cycles") ? atoi(argv[2]) : 0;
    int at_boot = xenolith_online_cpus();
    printf("vcpu-test: ready with %d online\n", at_boot);
    CHECK(at_boot == 4, "booted with %d online, not 4", at_boot);
    chans_open();
    workload_start();
    if (argc > 1 && !strcmp(argv[1], "suspend")) {
        offline_phase(4, 1);
        wait_go("checkpointed");
        printf("vcpu-test: after the checkpoint: %d online\n", xenolith_online_cpus());
        online_phase(4, 1);
        static const char *const how[] = {"restored", "migrated"};
        for (int k = 0; k < 2; k++) {
            offline_phase(4, 2 + k);
            wait_go(how[k]);
            int now = xenolith_online_cpus();
            CHECK(now == 1, "%d online after the %s", now, k ? "migration" : "restore");
            printf("vcpu-test: after the %s: %d online\n", k ? "migration" : "restore", now);
            chans_open();
            online_phase(4, 2 + k);
        }
        offline_phase(4, 4); /* started afresh, down and back in the same domain */
        online_phase(4, 4);
    } else if (cycles) {
        for (int c = 1; c <= cycles && !failed; c++) {
            offline_phase(4, c);
            online_phase(4, c);
        }
    } else {
        offline_phase(4, 0);
        online_phase(8, 0);
        offline_phase(8, 0);
        online_phase(4, 0);
    }
    wait_go("done"); /* the toolstack's last look at the VCPUs is over */
    workload_check();
    printf("vcpu-test: %d checks passed, %d failed\n", passed, failed);
    if (failed)
        return 1;
    printf("vcpu-test: all ok\n");
    return 0;
}
