#!/usr/bin/env bash
# The installed kernel library: the kernel objects linked into one relocatable object
# (ld -r) whose only global symbols are what an app may link against, so an app's own
# panic, printk or timer_init cannot collide with the kernel's. Global stay:
#   - the API: every function and variable declared in the installed headers
#     (include/**/*.h) or in the C library headers below, when the kernel defines it;
#   - the C library interface: what newlib's libc.a/libm.a reference or also define
#     (_write, sbrk, __getreent, the __retarget_lock_* hooks ...);
#   - what head.S.o (linked apart: linker.ld places it) calls, and tools/sdk/glue.syms.
# Everything else becomes local. A kernel object that defines what the rest references
# only weakly (core/fs.c: files are linked only into apps that open one) stays a member
# of its own, as in the in-tree archive. Kernel symbols that such a member or lwIP's glue
# (liblwip.a) calls but apps may not (panic, mutex_lock ...) are renamed
# __xenolith_k_NAME in all of them: names C reserves for the implementation.
# Every name declared in include/xenolith/*.h must be defined by the kernel or by
# liblwip (netstack.h's only by liblwip, when it is built): else the build fails.
#
#   kernel-object.sh OUTDIR NEWLIBDIR HEAD_OBJ LIBLWIP|"" KERNEL_OBJ...
#   (environment: CC LD NM OBJCOPY AR ARCHFLAGS)
# Writes OUTDIR/libxenolith.a, OUTDIR/liblwip.a (when given), and OUTDIR/public.syms
# (the names kept global) and OUTDIR/renamed.syms for reading.
set -euo pipefail
export LC_ALL=C
die() {
    echo "kernel-object: $*" >&2
    exit 1
}
[ $# -ge 5 ] || die "usage: $0 OUTDIR NEWLIBDIR HEAD_OBJ LIBLWIP|\"\" KERNEL_OBJ..."
out=$1 newlib=$2 head=$3 lwip=$4
shift 4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
inc=$root/include
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$out"

defined() { "$NM" -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
undefined() { "$NM" -u "$@" 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u; }

# ---- the members: the optional objects apart, the rest as one object
"$NM" "$@" | awk '$1 == "w" { print $2 }' | sort -u >"$w/weakrefs"
core=()
members=()
for o in "$@"; do
    if [ -n "$(defined "$o" | comm -12 - "$w/weakrefs")" ]; then
        members+=("$o")
    else
        core+=("$o")
    fi
done
"$LD" -r -z noexecstack -o "$w/xenolith.o" "${core[@]}"
members=("$w/xenolith.o" "${members[@]}")

# ---- declared names: "HEADER NAME" for each function and extern variable
libc_headers="assert.h ctype.h dirent.h errno.h fcntl.h math.h setjmp.h signal.h stdio.h
    stdlib.h string.h strings.h time.h unistd.h sys/stat.h sys/time.h sys/times.h sys/wait.h"
{
    (cd "$inc" && find . -name '*.h' | sed 's|^\./||' | sort)
    for h in $libc_headers; do [ -f "$newlib/include/$h" ] && echo "$h"; done
} | sed 's|.*|#include <&>|' >"$w/headers.c"
# shellcheck disable=SC2206 # ARCHFLAGS is a list of flags
hdrflags=($ARCHFLAGS -nostdinc -I"$inc" -isystem "$newlib/include"
    -isystem "$("$CC" -print-file-name=include)")
"$CC" "${hdrflags[@]}" -fsyntax-only -aux-info "$w/aux" "$w/headers.c" ||
    die "the installed headers do not compile on their own"
"$CC" "${hdrflags[@]}" -E "$w/headers.c" -o "$w/pp"
# Functions: gcc's -aux-info gives one prototype a line, "/* FILE:LINE:NC */ extern T name (...);".
grep -v '\bstatic\b' "$w/aux" | sed -nE \
    's|^/\* ([^:]*):[0-9]+:[A-Z]+ \*/ [^(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*) \(.*|\1 \2|p' >"$w/decl"
# Variables: one-line "extern T name;" or "extern T name[N];" at the top level.
awk '/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); next }
    /^[ \t]*extern[^(]*;/ {
        s = $0; sub(/[ \t]*(\[[^]]*\])?[ \t]*;.*/, "", s); n = split(s, p, /[^A-Za-z0-9_]+/)
        print f, p[n]
    }' "$w/pp" >>"$w/decl"
awk '{ print $2 }' "$w/decl" | sort -u >"$w/declared"

# ---- what is defined and what the other pieces need
defined "${members[@]}" >"$w/kdef"
: >"$w/lwipdef"
: >"$w/lwipundef"
if [ -n "$lwip" ]; then
    defined "$lwip" >"$w/lwipdef"
    undefined "$lwip" >"$w/lwipundef"
fi
sed 's/[[:space:]#].*//; /^$/d' "$root/tools/sdk/glue.syms" | sort -u >"$w/glue"
missing=$(comm -23 "$w/glue" "$w/kdef")
[ -z "$missing" ] || die "tools/sdk/glue.syms names what the kernel does not define: $missing"

# The public API must exist: a declaration without a definition is a link error in an app.
sort -u "$w/kdef" "$w/lwipdef" >"$w/alldef"
awk -v p="$inc/xenolith/" 'index($1, p) == 1' "$w/decl" | while read -r file name; do
    [ -z "$lwip" ] && [ "${file##*/}" = netstack.h ] && continue
    grep -qxF "$name" "$w/alldef" || echo "  ${file#"$root"/}: $name"
done >"$w/undefined-api"
if [ -s "$w/undefined-api" ]; then
    echo "kernel-object: declared in a public header but defined by no library:" >&2
    cat "$w/undefined-api" >&2
    exit 1
fi

sort -u "$w/declared" "$w/glue" <(undefined "$head") \
    <(defined "$newlib/lib/libc.a" "$newlib/lib/libm.a") \
    <(undefined "$newlib/lib/libc.a" "$newlib/lib/libm.a") | comm -12 - "$w/kdef" >"$out/public.syms"
# Calls between members, and from liblwip: what one needs and another defines.
for m in "${members[@]}"; do
    undefined "$m" | comm -12 - <(for o in "${members[@]}"; do [ "$o" = "$m" ] || defined "$o"; done | sort -u)
done | sort -u - <(comm -12 "$w/lwipundef" "$w/kdef") | comm -23 - "$out/public.syms" |
    awk '{ print $1, "__xenolith_k_" $1 }' >"$out/renamed.syms"

# Localize all but the kept and the renamed, then rename (two passes: objcopy matches
# --keep-global-symbols against the old names).
sort -u "$out/public.syms" <(awk '{ print $1 }' "$out/renamed.syms") >"$w/global"
rm -f "$out/libxenolith.a" "$out"/*.o
objs=()
for m in "${members[@]}"; do
    o=$out/$(basename "$m")
    "$OBJCOPY" --keep-global-symbols="$w/global" "$m" "$w/local.o"
    "$OBJCOPY" --redefine-syms="$out/renamed.syms" "$w/local.o" "$o"
    objs+=("$o")
done
"$AR" rcs "$out/libxenolith.a" "${objs[@]}"
if [ -n "$lwip" ]; then
    "$OBJCOPY" --redefine-syms="$out/renamed.syms" "$lwip" "$out/liblwip.a"
fi
echo "  SDK     $out/libxenolith.a: ${#members[@]} members, $(wc -l <"$out/public.syms") global," \
    "$(wc -l <"$out/renamed.syms") renamed __xenolith_k_*," \
    "$(($(wc -l <"$w/kdef") - $(wc -l <"$w/global"))) made local"
