#!/usr/bin/env bash
# make install / make uninstall: the SDK under PREFIX, for apps built outside the tree
# with their own Makefile (pkg-config), CMake or xenolith-cc.
#
#   install.sh install PREFIX BUILD      (environment: CC LD NM ARCHFLAGS VERSION)
#   install.sh uninstall PREFIX
#
# PREFIX/bin/xenolith-cc                  compiler wrapper: compile, or link a bootable ELF
# PREFIX/include/xenolith/                the API (<xenolith/*.h>, <sys/socket.h> ...)
# PREFIX/lib/xenolith/                    libxenolith.a (one object: only the API is global),
#                                         liblwip.a (when built), head.S.o,
#                                         ksyms_empty.o, xenolith.ld, ld + ksyms.sh (the
#                                         two-pass link), newlib/{include,libc.a,libm.a}
# PREFIX/lib/pkgconfig/xenolith.pc        and xenolith-net.pc (with lwIP)
# PREFIX/lib/cmake/xenolith/xenolith-toolchain.cmake
# PREFIX/share/xenolith/installed-files   what install wrote: files, and the directories
#                                         it made; uninstall removes exactly those.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "install: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 install PREFIX BUILD | uninstall PREFIX"
mode=$1
prefix=$2
[ -n "$prefix" ] && [ "$prefix" != / ] || die "refusing PREFIX '$prefix'"
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
manifest=$prefix/share/xenolith/installed-files

uninstall() {
    [ -f "$manifest" ] || die "nothing installed under $prefix (no $manifest)"
    local kind path dirs=()
    while read -r kind path; do
        case $path in "$prefix"/*) ;; *) die "manifest names $path, outside $prefix" ;; esac
        case $kind in
        f) rm -f -- "$path" ;;
        d) dirs+=("$path") ;;
        esac
    done <"$manifest"
    rm -f -- "$manifest"
    # Directories last, deepest first; only those install made, and only when empty.
    local i
    for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
        rmdir -- "${dirs[i]}" 2>/dev/null || echo "uninstall: kept ${dirs[i]} (not empty)"
    done
    echo "uninstalled xenolith from $prefix"
}

if [ "$mode" = uninstall ]; then
    uninstall
    exit 0
fi
[ "$mode" = install ] && [ $# -eq 3 ] || die "usage: $0 install PREFIX BUILD"
B=$3
for f in "$B/sdklib/libxenolith.a" "$B/k/boot/head.S.o" "$B/k/ksyms_empty.o" "$B/newlib/lib/libc.a"; do
    [ -f "$f" ] || die "$f is not built (make install builds it first)"
done
[ -f "$manifest" ] && uninstall >/dev/null

list=$(mktemp)
trap 'rm -f "$list"' EXIT
# mkdirs DIR: make DIR and its missing parents, recording each one made.
mkdirs() {
    [ -d "$1" ] && return
    mkdirs "$(dirname "$1")"
    mkdir "$1"
    echo "d $1" >>"$list"
}
# put MODE SRC DEST
put() {
    mkdirs "$(dirname "$3")"
    install -m "$1" "$2" "$3"
    echo "f $3" >>"$list"
}
# subst SRC: the template with @VARS@ filled in, on stdout.
subst() {
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@CC@|$cc|g" -e "s|@LD@|$ld|g" -e "s|@NM@|$nm|g" \
        -e "s|@ARCHFLAGS@|$ARCHFLAGS|g" -e "s|@GCCINC@|$gccinc|g" -e "s|@VERSION@|$VERSION|g" \
        -e "s|@LINKFLAGS@|$linkflags|g" -e "s|@NAME@|$name|g" -e "s|@DESC@|$desc|g" \
        -e "s|@NETLIB@|$netlib|g" "$1"
}

cc=$(command -v "$CC") || die "no compiler $CC"
ld=$(command -v "$LD") || die "no linker $LD"
nm=$(command -v "$NM") || die "no $NM"
gccinc=$("$cc" -print-file-name=include)
lib=$prefix/lib/xenolith
inc=$prefix/include/xenolith
gen=$(mktemp -d)
trap 'rm -f "$list"; rm -rf "$gen"' EXIT

# Headers: ours, then newlib's (kept apart: ours come first on the include path).
(cd include && find . -type f -name '*.h') | sort | while read -r h; do
    put 644 "include/$h" "$inc/${h#./}"
done
(cd "$B/newlib/include" && find . -type f) | sort | while read -r h; do
    put 644 "$B/newlib/include/$h" "$lib/newlib/include/${h#./}"
done
put 644 "$B/newlib/lib/libc.a" "$lib/newlib/libc.a"
put 644 "$B/newlib/lib/libm.a" "$lib/newlib/libm.a"
# The kernel as one object, global only the API (tools/sdk/kernel-object.sh), and lwIP
# with its calls into the kernel renamed to match.
put 644 "$B/sdklib/libxenolith.a" "$lib/libxenolith.a"
have_net=0
if [ -f "$B/sdklib/liblwip.a" ]; then
    put 644 "$B/sdklib/liblwip.a" "$lib/liblwip.a"
    have_net=1
fi
# The name head.S.o is what linker.ld places first; ksyms names match *ksyms*.o.
put 644 "$B/k/boot/head.S.o" "$lib/head.S.o"
put 644 "$B/k/ksyms_empty.o" "$lib/ksyms_empty.o"
put 644 linker.ld "$lib/xenolith.ld"
put 755 tools/ksyms.sh "$lib/ksyms.sh"

name= desc= netlib=
linkflags='-nostdlib -static -no-pie -Wl,-n -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack
-Wl,--gc-sections -Wl,--build-id=none -B"$lib"/ -T "$lib/xenolith.ld" "$lib/head.S.o"
"$lib/ksyms_empty.o"'
linkflags=$(echo $linkflags)
subst tools/sdk/xenolith-cc.in >"$gen/xenolith-cc"
put 755 "$gen/xenolith-cc" "$prefix/bin/xenolith-cc"
subst tools/sdk/ld.in >"$gen/ld"
put 755 "$gen/ld" "$lib/ld"

linkflags=${linkflags//\"\$lib\"/\$\{libdir\}}
linkflags=${linkflags//\"\$lib/\$\{libdir\}}
linkflags=${linkflags//\"/}
name=xenolith desc="Xen PVH guest unikernel: kernel library, newlib, linker script"
subst tools/sdk/pc.in >"$gen/xenolith.pc"
put 644 "$gen/xenolith.pc" "$prefix/lib/pkgconfig/xenolith.pc"
if [ "$have_net" = 1 ]; then
    name=xenolith-net desc="xenolith with BSD sockets over lwIP" netlib='${libdir}/liblwip.a '
    subst tools/sdk/pc.in >"$gen/xenolith-net.pc"
    put 644 "$gen/xenolith-net.pc" "$prefix/lib/pkgconfig/xenolith-net.pc"
fi
put 644 tools/sdk/xenolith-toolchain.cmake "$prefix/lib/cmake/xenolith/xenolith-toolchain.cmake"

mkdirs "$(dirname "$manifest")"
echo "f $manifest" >>"$list"
cp "$list" "$manifest"
echo "installed xenolith into $prefix ($(grep -c '^f ' "$manifest") files; list in $manifest)"
