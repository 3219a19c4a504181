#!/usr/bin/env bash
# An app may use any name <xenolith/*.h> does not declare: this one defines eight names
# the kernel uses inside (panic, printk, timer_init, schedule, mutex_lock,
# page_alloc_init, evtchn_init, gnttab_init) and five the public API had before it took
# the xenolith_ prefix (thread_create, blk_read, net_tx, xs_read, time_now_ns), is built
# against the installed SDK with xenolith-cc and boots under QEMU. Its own functions run when it calls them; the
# kernel's calls still reach the kernel's (threads sleep and join, /tmp works, a fault
# gives the kernel's crash report, never one of the app's functions). The ELF is kept
# as build/sdk/collide.elf.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/xenolith-collide.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
. "$root/tests/sdk/lib.bash"
finish() {
    echo "sdk-collide: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}

# boot NAME WANT_STATUS APPEND: QEMU -kernel, console in $tmp/NAME.console
boot() {
    local rc
    timeout 60 qemu-system-x86_64 -accel tcg -machine q35 -m 64 -nodefaults -nographic \
        -no-reboot -serial "file:$tmp/$1.console" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$app/app.elf" -append "$3" </dev/null >/dev/null 2>&1 && rc=0 || rc=$?
    [ "$rc" = "$2" ] || echo "$1: QEMU status $rc, expected $2"
    [ "$rc" = "$2" ]
}
# console NAME PATTERN...: every fixed string is on the console
console() {
    local name=$1 pat
    shift
    for pat in "$@"; do
        grep -qF -- "$pat" "$tmp/$name.console" || {
            tail -n 30 "$tmp/$name.console"
            echo "$name: missing on console: $pat"
            return 1
        }
    done
}

if ! make --no-print-directory -C "$root" install PREFIX="$prefix" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    bad "make install"
    finish
fi

app=$tmp/collide
mkdir -p "$app"
cat >"$app/main.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xenolith/thread.h>

/* The app's own functions, under names the kernel uses inside, with other signatures
 * (noinline: each stays a function of its own in the ELF). */
#define OWN __attribute__((noinline))
static int calls;

OWN void panic(const char *why)
{
    calls++;
    printf("collide: the app's panic(%s)\n", why);
}

OWN int printk(int x)
{
    calls++;
    return x + 1;
}

OWN int timer_init(void)
{
    calls++;
    return 42;
}

OWN void schedule(int *n)
{
    calls++;
    *n += 10;
}

OWN int mutex_lock(int *m)
{
    calls++;
    return ++*m;
}

OWN char *page_alloc_init(void)
{
    calls++;
    return "pages";
}

OWN long evtchn_init(long x)
{
    calls++;
    return 2 * x;
}

OWN unsigned gnttab_init(unsigned x)
{
    calls++;
    return x ^ 0xff;
}

/* The public API's names before the xenolith_ prefix: the kernel has none of them. */
OWN int thread_create(int x)
{
    calls++;
    return x + 5;
}

OWN int blk_read(int a, int b)
{
    calls++;
    return a + b;
}

OWN const char *net_tx(void)
{
    calls++;
    return "frame";
}

OWN int xs_read(const char *key)
{
    calls++;
    return (int)strlen(key);
}

OWN long time_now_ns(long x)
{
    calls++;
    return x + 1;
}

static void *sleeper(void *arg)
{
    xenolith_thread_sleep_ns(20 * 1000 * 1000);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "crash") == 0)
        *(volatile int *)0 = 1;

    int n = 0, m = 0;
    schedule(&n);
    panic("by the app");
    printf("collide: printk=%d timer_init=%d schedule=%d mutex_lock=%d page_alloc_init=%s "
           "evtchn_init=%ld gnttab_init=%u\n",
           printk(1), timer_init(), n, mutex_lock(&m), page_alloc_init(), evtchn_init(21),
           gnttab_init(0xf0));
    printf("collide: thread_create=%d blk_read=%d net_tx=%s xs_read=%d time_now_ns=%ld\n",
           thread_create(10), blk_read(4, 5), net_tx(), xs_read("shutdown"), time_now_ns(1000));
    printf("collide: the app's functions ran %d times\n", calls);

    /* The kernel at work: a thread that sleeps, a file in /tmp. */
    uint64_t t0 = xenolith_time_now_ns();
    struct xenolith_thread *t = xenolith_thread_create("sleeper", sleeper, (void *)7, -1, 0);
    long got = t ? (long)xenolith_thread_join(t) : -1;
    uint64_t slept = (xenolith_time_now_ns() - t0) / 1000000;
    printf("collide: thread returned %ld after %s20 ms\n", got, slept >= 20 ? ">= " : "< ");

    char buf[8] = {0};
    int fd = open("/tmp/collide", O_CREAT | O_RDWR, 0644);
    int rw = fd >= 0 && write(fd, "xenolith", 8) == 8 && lseek(fd, 0, SEEK_SET) == 0 &&
             read(fd, buf, 8) == 8 && memcmp(buf, "xenolith", 8) == 0;
    if (fd >= 0)
        close(fd);
    printf("collide: /tmp/collide %s\n", rw ? "read back" : "FAILED");

    printf("collide: after the kernel's work, the app's functions ran %d times\n", calls);
    return got == 7 && slept >= 20 && rw && calls == 13 ? 0 : 1;
}
C

if (cd "$app" && "$prefix/bin/xenolith-cc" -O2 -g -Wall -Werror -o app.elf main.c) >"$tmp/build.log" 2>&1; then
    ok "an app defining panic, printk, timer_init, schedule, mutex_lock, page_alloc_init, evtchn_init, gnttab_init, thread_create, blk_read, net_tx, xs_read, time_now_ns links against the SDK"
else
    cat "$tmp/build.log"
    bad "the colliding app does not link against the installed SDK"
    finish
fi
mkdir -p "$root/build/sdk"
cp "$app/app.elf" "$root/build/sdk/collide.elf"

# Each name is global once, in the app's text (linker.ld's __app_text_start/end); the
# kernel's own stays linked beside it, local or renamed __xenolith_k_NAME. The kernel
# calls none of its global schedule (core/sched.c inlines it), so --gc-sections drops it;
# the old public names are the app's alone (the kernel's carry the xenolith_ prefix).
names="panic printk timer_init schedule mutex_lock page_alloc_init evtchn_init gnttab_init
    thread_create blk_read net_tx xs_read time_now_ns"
unused="schedule thread_create blk_read net_tx xs_read time_now_ns"
if nm "$app/app.elf" | awk -v names="$names" -v unused="$unused" '
    BEGIN {
        n = split(names, l, " "); for (i = 1; i <= n; i++) want[l[i]] = 1
        u = split(unused, l, " "); for (i = 1; i <= u; i++) none[l[i]] = 1
    }
    $3 == "__app_text_start" { lo = $1 } $3 == "__app_text_end" { hi = $1 }
    { a[NR] = $1; t[NR] = $2; s[NR] = $3 }
    END {
        for (i = 1; i <= NR; i++) {
            k = s[i]; sub(/^__xenolith_k_/, "", k)
            if (!(k in want)) continue
            # As strings: nm pads to 16 hex digits, and awk would read "1143e0" as 1143.
            if (t[i] == "T" && k == s[i] && (a[i] "") >= (lo "") && (a[i] "") < (hi "")) app[k]++
            else if (t[i] == "t" || (t[i] == "T" && k != s[i])) kern[k]++
            else bad[k]++
        }
        for (k in want) {
            printf "%s: app %d, kernel %d%s\n", k, app[k], kern[k], bad[k] ? ", other " bad[k] : ""
            if (app[k] == 1 && kern[k] == (k in none ? 0 : 1) && !bad[k]) ok++
        }
        exit ok != n
    }' >"$tmp/nm.txt"; then
    ok "the ELF holds each name twice: the app's, global in app text, and the kernel's, local or renamed"
else
    cat "$tmp/nm.txt"
    bad "the app's and the kernel's copies of the names are not as expected"
fi

if boot run 1 "" && console run "collide: the app's panic(by the app)" \
    "collide: printk=2 timer_init=42 schedule=10 mutex_lock=1 page_alloc_init=pages evtchn_init=42 gnttab_init=15" \
    "collide: thread_create=15 blk_read=9 net_tx=frame xs_read=8 time_now_ns=1001" \
    "collide: the app's functions ran 13 times" "collide: thread returned 7 after >= 20 ms" \
    "collide: /tmp/collide read back" "collide: after the kernel's work, the app's functions ran 13 times" \
    "xenolith: exit 0"; then
    ok "boots: the app's own functions ran, and the kernel's scheduler, timers and /tmp still work"
else
    bad "the colliding app under QEMU"
fi

if boot crash 255 "crash" && console crash "vector 14 (#PF page fault)" "<main+" "xenolith: crashed" &&
    ! grep -qF "the app's" "$tmp/crash.console"; then
    ok "a fault in the app: the kernel's own crash report, none of the app's functions"
else
    tail -n 30 "$tmp/crash.console"
    bad "the colliding app's fault"
fi
finish
