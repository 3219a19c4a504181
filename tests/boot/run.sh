#!/usr/bin/env bash
# QEMU boot tests: the same ELFs that Xen boots, started by QEMU's PVH loader with
# no hypervisor and no network. Each test checks console output and QEMU's exit
# status (isa-debug-exit: status = code * 2 + 1; a crash reports code 0x7f).
set -uo pipefail
cd "$(dirname "$0")/../.."

B=build
LOG=$B/boot-tests
mkdir -p "$LOG"
pass=0
fail=0
QEMU_EXTRA=()   # more QEMU arguments for the next boot (an -initrd)
QEMU_MACHINE="" # the next boot's machine, when not q35

# boot NAME ELF EXPECTED_STATUS APPEND [MEM]  -> console in $LOG/NAME.log
boot() {
    local name=$1 elf=$2 want=$3 append=$4 mem=${5:-64}
    timeout 60 qemu-system-x86_64 -accel tcg -machine "${QEMU_MACHINE:-q35}" -m "$mem" -nodefaults -nographic \
        -no-reboot -serial "file:$LOG/$name.log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$elf" -append "$append" "${QEMU_EXTRA[@]}" </dev/null >/dev/null 2>"$LOG/$name.qemu"
    local got=$?
    QEMU_EXTRA=()
    QEMU_MACHINE=""
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: QEMU exit status $got, expected $want"
        return 1
    fi
}

# expect NAME PATTERN...: every fixed string must appear in the console log.
expect() {
    local name=$1
    shift
    for pat in "$@"; do
        if ! grep -qF -- "$pat" "$LOG/$name.log"; then
            echo "FAIL $name: missing on console: $pat"
            return 1
        fi
    done
}

run() {
    local name=$1
    shift
    if "$@"; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "---- $name console (last 30 lines) ----"
        tail -n 30 "$LOG/$name.log" 2>/dev/null
        cat "$LOG/$name.qemu" 2>/dev/null
        fail=$((fail + 1))
    fi
}

t_hello() {
    boot hello $B/hello.elf 1 "one 'two words' \"q\\\"uote\" -- xenolith.debugcon=1" &&
        expect hello "Hello from xenolith" 'argc=5' 'argv[1]="one"' 'argv[2]="two words"' \
            'argv[3]="q"uote"' 'argv[4]="xenolith.debugcon=1"' 'pi=3.141593' \
            'malloc: 10000 allocations ok' 'xenolith: exit 0' 'boot: entry to main in'
}

t_small_memory() {
    boot small_memory $B/hello.elf 1 "" 8 && expect small_memory "xenolith: exit 0"
}

t_kernel_option() {
    boot kernel_option $B/hello.elf 1 "xenolith.nosuch=1 app-arg" &&
        expect kernel_option 'options: unknown option xenolith.nosuch=1' 'argc=2' \
            'argv[1]="app-arg"'
}

t_exit3() {
    boot exit3 $B/tests/exit3.elf 7 "" && expect exit3 "exiting with 3" "exit3: atexit handler ran" \
        "xenolith: exit 3"
}

t_fault_null() {
    boot fault_null $B/tests/fault.elf 255 "null" &&
        expect fault_null "vector 14 (#PF page fault)" "(NULL pointer)" "RIP " "CR2 " "RAX " \
            "R15 " "backtrace:" "<crash_null_write+" "<main+" "xenolith: crashed"
}

t_fault_stack() {
    boot fault_stack $B/tests/fault.elf 255 "stack" &&
        expect fault_stack "vector 14 (#PF page fault)" "backtrace:" "<crash_stack_overflow+" \
            "xenolith: crashed"
}

t_timers() {
    boot timers $B/tests/timers.elf 1 "" && expect timers "timers: 1000 fired, 0 missing, 0 early" \
        "timers: all ok"
}

t_primes() {
    boot primes $B/primes.elf 1 "100000" && expect primes "primes below 100000: 9592" \
        "primes: pi(100000) = 9592, as known" "primes: ok"
}

t_threads() {
    boot threads $B/tests/smp.elf 1 "1 1" && expect threads "smp-test: 1 online / 1 possible" \
        "checksum matches" "smp-test: all ok"
}

t_tcploop() {
    boot tcploop $B/tests/tcploop.elf 1 "" 128 && expect tcploop "tcploop: bulk" ", 0 failed"
}

t_udploop() {
    boot udploop $B/tests/udploop.elf 1 "" 128 && expect udploop "udploop: 64-byte" ", 0 failed"
}

t_tcpbulk() {
    boot tcpbulk $B/tests/tcpbulk.elf 1 "" 128 && expect tcpbulk "tcpbulk: 3 passed, 0 failed"
}

# Link-time garbage collection: an app that never touches the network or disks
# carries none of netfront, blkfront or lwIP.
t_link_gc() {
    local n
    n=$(nm $B/hello.elf | grep -ciE 'netfront|blkfront|blkif|lwip|tcp_|udp_') || true
    echo "hello.elf: $(stat -c %s $B/hello.elf) bytes, $(nm $B/hello.elf | wc -l) symbols, $n from net/blk"
    [ "$n" -eq 0 ] || {
        echo "FAIL link_gc: hello.elf links net/blk code:"
        nm $B/hello.elf | grep -iE 'netfront|blkfront|blkif|lwip|tcp_|udp_' | head
        return 1
    }
}

t_printf() {
    boot printf $B/tests/printf.elf 1 "" &&
        expect printf "printf-test: stdout 0.12" "printf-test: stderr 1e+100" \
            "printf-test: vfprintf ok 1 1.0e+02" "printf-test: 31 passed, 0 failed"
}

t_puts() {
    boot puts $B/tests/puts.elf 1 "" && expect puts "Hello from xenolith (puts)" "xenolith: exit 0"
}

# One formatter: printf links ours (with floating point), never newlib's engines or
# dtoa; an app without formatted output links neither (printk needs no newlib).
# Parts linked only when used (<xenolith/link.h>): none in hello; each in the test app
# that needs it, through its API, a driver or XENOLITH_LINK.
t_link_parts() {
    local bad want elf fn
    bad=$(nm $B/hello.elf | grep -E ' T (xen_suspend|balloon_init|vcpu_hotplug_init|gnttab_init)$')
    [ -z "$bad" ] || { echo "FAIL link_parts: hello.elf links optional parts: $bad"; return 1; }
    for want in suspend:xen_suspend blk:xen_suspend blk:gnttab_init tcpbulk:xen_suspend \
        balloon:balloon_init vcpuhotplug:vcpu_hotplug_init grants:gnttab_init; do
        elf=$B/tests/${want%%:*}.elf fn=${want#*:}
        nm "$elf" | grep " T $fn\$" >/dev/null || { echo "FAIL link_parts: $elf has no $fn"; return 1; }
    done
    # Linked on use (issue 15): the VCPU offline path only with vcpu_hotplug, newlib's
    # exit procedures only for an app that calls atexit.
    bad=$(nm $B/tests/puts.elf | grep -E ' T (sched_cpu_drain|smp_cpu_offline_self|__call_exitprocs)$')
    [ -z "$bad" ] || { echo "FAIL link_parts: puts.elf links parts it never uses: $bad"; return 1; }
    for want in vcpuhotplug:sched_cpu_drain vcpuhotplug:smp_cpu_offline_self exit3:__call_exitprocs; do
        elf=$B/tests/${want%%:*}.elf fn=${want#*:}
        nm "$elf" | grep " T $fn\$" >/dev/null || { echo "FAIL link_parts: $elf has no $fn"; return 1; }
    done
}
t_link_printf() {
    local bad
    bad=$(nm $B/hello.elf | grep -E ' (_dtoa_r|__sprint_r|__ssprint_r|_fputwc_r|_localeconv_r)$')
    [ -z "$bad" ] || { echo "FAIL link_printf: hello.elf links newlib's printf: $bad"; return 1; }
    nm $B/hello.elf | grep ' T format_float$' >/dev/null ||
        { echo "FAIL link_printf: hello.elf has no format_float"; return 1; }
    bad=$(nm $B/tests/puts.elf | grep -E ' (_vfprintf_r|_svfprintf_r|format_float|_dtoa_r)$')
    [ -z "$bad" ] || { echo "FAIL link_printf: puts.elf links a printf: $bad"; return 1; }
}

# Files: the archive tests/apps/files/mkarchive.sh made with the README's command, as
# QEMU's -initrd (start_info module 0). The app prints each file's size and POSIX cksum:
# compared with the host's. Then a truncated archive (EIO, a console message), no archive.
files_root=$B/tests/files-root
files_cpio=$B/tests/files.cpio
files_paths=(/hello.txt /etc/motd /data/pattern.txt /data/link.txt /empty /sub/dir/deep.txt)

t_files() {
    local want=() p
    for p in "${files_paths[@]}"; do
        want+=("file $p $(cksum <"$files_root$p" | awk '{print $2, $1}')")
    done
    QEMU_EXTRA=(-initrd "$files_cpio")
    boot files $B/tests/files.elf 1 "check ${files_paths[*]}" 64 &&
        expect files "${want[@]}" "fs: / is the initrd (cpio newc): 12 entries" \
            "dir /: data empty etc hello.txt sub tmp" "dir /etc: motd x" "dir /sub/dir: deep.txt" \
            "dir /tmp: data.bin log sub" "dir /tmp/sub: inner.txt" "files: " ", 0 failed" &&
        ! grep -q "files: FAIL" "$LOG/files.log"
}

t_files_corrupt() {
    head -c 1000 "$files_cpio" >"$LOG/files-cut.cpio"
    QEMU_EXTRA=(-initrd "$LOG/files-cut.cpio")
    boot files_corrupt $B/tests/files.elf 1 "corrupt" 64 &&
        expect files_corrupt "is not a usable cpio newc archive: " "its files give EIO" \
            ", 0 failed"
}

t_files_none() {
    boot files_none $B/tests/files.elf 1 "none" 64 &&
        expect files_none "fs: no initrd: / has no files" ", 0 failed"
}

# QEMU's microvm (the Firecracker-like machine): no PCI, no port 0x61, same ELF. The
# TSC is measured against PIT channel 0; the clock test checks that against the RTC
# (before the fix microvm's TSC ran 500 times fast: a 5 s sleep took no RTC second).
t_clock() {
    boot clock $B/tests/clock.elf 1 "" && expect clock "clock: ok"
}

t_microvm_clock() {
    QEMU_MACHINE=microvm
    boot microvm_clock $B/tests/clock.elf 1 "" && expect microvm_clock "clock: ok"
}

t_microvm_hello() {
    QEMU_MACHINE=microvm
    boot microvm_hello $B/hello.elf 1 "one 'two words'" &&
        expect microvm_hello "Hello from xenolith" 'argv[2]="two words"' 'pi=3.141593' \
            'malloc: 10000 allocations ok' 'xenolith: exit 0'
}

t_microvm_timers() {
    QEMU_MACHINE=microvm
    boot microvm_timers $B/tests/timers.elf 1 "" &&
        expect microvm_timers "timers: 1000 fired, 0 missing, 0 early" "timers: all ok"
}

t_microvm_files() {
    QEMU_MACHINE=microvm
    QEMU_EXTRA=(-initrd "$files_cpio")
    boot microvm_files $B/tests/files.elf 1 "check /etc/motd" &&
        expect microvm_files "file /etc/motd $(cksum <"$files_root/etc/motd" | awk '{print $2, $1}')" \
            "fs: / is the initrd (cpio newc): 12 entries" ", 0 failed"
}

for t in ${BOOT_ONLY:-link_gc link_parts link_printf hello printf puts small_memory kernel_option exit3 fault_null \
    fault_stack timers primes threads tcploop udploop tcpbulk files files_corrupt files_none \
    clock microvm_hello microvm_timers microvm_clock microvm_files}; do
    run "$t" "t_$t"
done
echo "boot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
