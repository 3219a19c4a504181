#!/usr/bin/env bash
# The installed SDK: `make install` into a temporary prefix, then apps copied outside
# the tree are built against it only (their own Makefile with pkg-config, CMake with
# the toolchain file, xenolith-cc) and booted under QEMU; then `make uninstall` must
# leave the prefix empty. The ELFs are kept in build/sdk/ for the nested Xen suite.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/xenolith-sdk.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
unset PKG_CONFIG_LIBDIR
mkdir -p "$root/build/sdk"
. "$root/tests/sdk/lib.bash"

# build NAME DIR COMMAND...: run COMMAND in DIR, log in $tmp/NAME.build.
build() {
    local name=$1 dir=$2
    shift 2
    if (cd "$dir" && "$@") >"$tmp/$name.build" 2>&1; then
        return 0
    fi
    tail -n 30 "$tmp/$name.build"
    return 1
}

# boot NAME ELF WANT_STATUS APPEND MEM PATTERN...: QEMU -kernel, console checked.
boot() {
    local name=$1 elf=$2 want=$3 append=$4 mem=$5
    shift 5
    local log=$tmp/$name.console rc
    timeout 120 qemu-system-x86_64 -accel tcg -machine q35 -m "$mem" -nodefaults -nographic \
        -no-reboot -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$elf" -append "$append" </dev/null >/dev/null 2>&1 && rc=0 || rc=$?
    if [ "$rc" != "$want" ]; then
        tail -n 30 "$log"
        echo "$name: QEMU status $rc, expected $want"
        return 1
    fi
    local pat
    for pat in "$@"; do
        grep -qF -- "$pat" "$log" || {
            tail -n 30 "$log"
            echo "$name: missing on console: $pat"
            return 1
        }
    done
}

# ---- install
if make --no-print-directory -C "$root" install PREFIX="$prefix" >"$tmp/install.log" 2>&1 &&
    [ -x "$prefix/bin/xenolith-cc" ] && [ -f "$prefix/lib/xenolith/libxenolith.a" ] &&
    [ -f "$prefix/lib/xenolith/newlib/libc.a" ] && [ -f "$prefix/include/xenolith/xenolith/thread.h" ] &&
    pkg-config --exists xenolith xenolith-net; then
    ok "make install PREFIX=<tmp>: $(grep -c '^f ' "$prefix/share/xenolith/installed-files") files"
else
    cat "$tmp/install.log"
    bad "make install"
    echo "sdk-install: $pass passed, $fail failed"
    exit 1
fi

hello_lines=('Hello from xenolith' 'argv[1]="one"' 'argv[2]="two words"' 'pi=3.141593'
    'malloc: 10000 allocations ok' 'xenolith: exit 0')

# ---- hello with its own Makefile and pkg-config
app=$tmp/hello-make
mkdir -p "$app"
cp "$root/examples/hello/hello.c" "$app/"
cat >"$app/Makefile" <<'MK'
CFLAGS := -O2 -g -Wall -Werror $(shell pkg-config --cflags xenolith)
LDLIBS := $(shell pkg-config --libs xenolith)
hello.elf: hello.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
MK
if build hello-make "$app" make --no-print-directory &&
    boot hello-make "$app/hello.elf" 1 "one 'two words'" 64 "${hello_lines[@]}" 'argv[0]="hello"'; then
    cp "$app/hello.elf" "$root/build/sdk/hello-make.elf"
    ok "hello: own Makefile with pkg-config --cflags/--libs xenolith, boots"
else
    bad "hello: own Makefile with pkg-config"
fi

# ---- hello with CMake and the toolchain file
app=$tmp/hello-cmake
mkdir -p "$app"
cp "$root/examples/hello/hello.c" "$app/"
cat >"$app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.13)
project(hello C)
add_executable(hello hello.c)
target_compile_options(hello PRIVATE -O2 -Wall -Werror)
CM
if build hello-cmake "$app" cmake -S . -B build \
    -DCMAKE_TOOLCHAIN_FILE="$prefix/lib/cmake/xenolith/xenolith-toolchain.cmake" &&
    build hello-cmake-build "$app" cmake --build build &&
    boot hello-cmake "$app/build/hello.elf" 1 "one 'two words'" 64 "${hello_lines[@]}"; then
    cp "$app/build/hello.elf" "$root/build/sdk/hello-cmake.elf"
    ok "hello: CMake with xenolith-toolchain.cmake, boots"
else
    bad "hello: CMake"
fi

# ---- two files with xenolith-cc; a fault's backtrace names functions of both
app=$tmp/twofiles
mkdir -p "$app"
cat >"$app/main.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "util.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "crash") == 0)
        util_crash();
    printf("%s: %d\n", argv[0], util_twice(21));
    return 0;
}
C
cat >"$app/util.h" <<'C'
int util_twice(int x);
void util_crash(void);
C
cat >"$app/util.c" <<'C'
#include "util.h"

volatile int *volatile util_target;

int util_twice(int x)
{
    return 2 * x;
}

__attribute__((noinline)) void util_crash(void)
{
    *util_target = 1;
}
C
if build twofiles "$app" "$prefix/bin/xenolith-cc" -O2 -g -Wall -Werror -o app.elf main.c util.c &&
    boot twofiles "$app/app.elf" 1 "" 64 "app: 42" "xenolith: exit 0" &&
    boot twofiles-crash "$app/app.elf" 255 "crash" 64 "vector 14 (#PF page fault)" \
        "backtrace:" "<util_crash+" "<main+" "xenolith: crashed"; then
    ok "xenolith-cc -o app.elf main.c util.c: boots; a fault's backtrace names util_crash and main"
else
    bad "xenolith-cc with two files"
fi
n=$(nm "$app/app.elf" 2>/dev/null | grep -ciE 'netfront|blkfront|lwip|tcp_|udp_')
if [ -f "$app/app.elf" ] && [ "$n" -eq 0 ]; then
    ok "xenolith-cc: an app without sockets links no lwIP, netfront or blkfront"
else
    bad "xenolith-cc: an app without sockets links $n network/block symbols"
fi

# ---- sockets: tests/apps/tcploop over loopback, Makefile with pkg-config xenolith-net
app=$tmp/tcploop
mkdir -p "$app/tests/apps"
cp "$root/tests/apps/tcploop/tcploop.c" "$app/"
cp "$root/tests/apps/check.h" "$app/tests/apps/" # its #include "tests/apps/check.h"
cat >"$app/Makefile" <<'MK'
CFLAGS := -O2 -g -Wall $(shell pkg-config --cflags xenolith-net)
LDLIBS := $(shell pkg-config --libs xenolith-net)
tcploop.elf: tcploop.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
MK
if build tcploop "$app" make --no-print-directory &&
    boot tcploop "$app/tcploop.elf" 1 "" 128 "tcploop: bulk" ", 0 failed" "xenolith: exit 0"; then
    ok "sockets app (tcploop): own Makefile with pkg-config xenolith-net, boots and passes"
else
    bad "sockets app with xenolith-net"
fi

# ---- uninstall: exactly the file list, and the directories install made
if make --no-print-directory -C "$root" uninstall PREFIX="$prefix" >"$tmp/uninstall.log" 2>&1 &&
    [ -z "$(find "$prefix" -mindepth 1 | head -n 1)" ]; then
    ok "make uninstall PREFIX=<tmp>: prefix empty again"
else
    cat "$tmp/uninstall.log"
    find "$prefix" -mindepth 1 | head
    bad "make uninstall left files behind"
fi

echo "sdk-install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
