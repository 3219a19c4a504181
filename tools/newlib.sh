#!/usr/bin/env bash
# Build newlib (from Debian's newlib-source tarball) into a static libc.a/libm.a for the
# freestanding x86_64 kernel, cached per newlib version + toolchain + this script (its
# hash is in the cache key, so a change of configuration never reuses an old build).
# Usage: tools/newlib.sh OUTDIR   -> OUTDIR/include, OUTDIR/lib/{libc.a,libm.a}
set -euo pipefail

die() { echo "newlib: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUT=$1
while [ "${OUT%/}" != "$OUT" ]; do OUT=${OUT%/}; done
[ -n "$OUT" ] || die "refusing OUTDIR '/'"

# Never let an outer make (jobserver, command-line variables) or the user's
# host flags leak into newlib's own configure and make.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL GNUMAKEFLAGS \
	CC CXX CPP CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LIBS AR AS LD NM RANLIB

CROSS_COMPILE=${CROSS_COMPILE:-}
TCC=${CROSS_COMPILE}gcc
command -v "$TCC" >/dev/null || die "compiler '$TCC' not found"

shopt -s nullglob
tarballs=(/usr/src/newlib/newlib-*.tar.*)
shopt -u nullglob
[ ${#tarballs[@]} -gt 0 ] || die "newlib-source not installed: run 'make deps'"
TARBALL=${tarballs[-1]}

# Cache key: Debian package version (else the tarball name), plus a short hash of this
# script, the cross prefix and the exact compiler version.
if ! PKGVER=$(dpkg-query -W -f='${Version}' newlib-source 2>/dev/null) || [ -z "$PKGVER" ]; then
	PKGVER=$(basename "$TARBALL")
	PKGVER=${PKGVER#newlib-}
	PKGVER=${PKGVER%.tar.*}
fi
HASH=$({ cat "${BASH_SOURCE[0]}"; echo "CROSS_COMPILE=$CROSS_COMPILE"; "$TCC" --version | head -n1; } |
	sha256sum | cut -c1-12)
ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xenolith
KEY=newlib-$PKGVER-$HASH
CACHE=$ROOT/$KEY
STAMP=.xenolith-complete

# Copy a complete cache entry into OUTDIR via a staging dir, so an interrupted copy
# never leaves a libc.a that make would take as up to date.
install_out() {
	local stage
	mkdir -p "$(dirname "$OUT")"
	stage=$OUT.tmp.$$
	rm -rf "$stage"
	mkdir "$stage"
	cp -R "$CACHE/include" "$CACHE/lib" "$stage/"
	rm -rf "$OUT"
	mv "$stage" "$OUT"
}

if [ -f "$CACHE/$STAMP" ]; then
	install_out
	exit 0
fi

mkdir -p "$ROOT"
# One builder at a time per cache entry; a second caller waits and then reuses it.
exec 9>"$ROOT/.$KEY.lock"
if command -v flock >/dev/null; then
	flock 9
	if [ -f "$CACHE/$STAMP" ]; then
		install_out
		exit 0
	fi
fi

LOG=$ROOT/$KEY.log
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xenolith-newlib.XXXXXX")
DEST=$(mktemp -d "$ROOT/.$KEY.tmp.XXXXXX")   # same filesystem as $CACHE: atomic mv
trap 'rm -rf "$WORK" "$DEST"' EXIT

TARGET=x86_64-elf
# No padding before functions, jumps, loops or labels, as for the kernel (the Makefile's
# ARCHFLAGS): gcc's -O2 would align each function to 16 bytes.
TCFLAGS="-Os -g -ffreestanding -mno-red-zone -mcmodel=small -fno-pic -fno-pie -fno-stack-protector \
-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections \
-falign-functions=1 -falign-jumps=1 -falign-loops=1 -falign-labels=1 \
-D__DYNAMIC_REENT__ -fno-tree-vectorize -Wa,--noexecstack"
JOBS=$(nproc 2>/dev/null || echo 2)

echo "newlib: building $PKGVER for $TARGET with $TCC, -j$JOBS (log: $LOG)"
start=$(date +%s)

fail() {
	echo "newlib: ---- last 40 lines of $LOG ----" >&2
	tail -n 40 "$LOG" >&2 || true
	die "build FAILED during $1 (full log: $LOG)"
}

: >"$LOG"
step=unpack
{
	mkdir "$WORK/src" "$WORK/build"
	tar --no-same-owner -xf "$TARBALL" -C "$WORK/src"
} >>"$LOG" 2>&1 || fail "$step"
src=("$WORK"/src/*/)   # the top directory's name varies (e.g. newlib-salsa)
if [ ${#src[@]} -ne 1 ] || [ ! -x "${src[0]}configure" ]; then
	echo "unexpected tarball layout: ${src[*]}" >>"$LOG"
	fail "$step"
fi
SRC=${src[0]%/}

# Top-level configure with only target-newlib: we build no libgloss (the kernel
# supplies the system calls) and no docs (so no texinfo is needed).
step=configure
(
	cd "$WORK/build"
	"$SRC/configure" --target=$TARGET --prefix="$WORK/prefix" \
		--disable-multilib --disable-libgloss --disable-nls \
		--disable-newlib-supplied-syscalls \
		--enable-newlib-retargetable-locking \
		--enable-newlib-global-stdio-streams \
		--enable-newlib-io-long-long \
		--enable-newlib-io-c99-formats \
		--enable-newlib-io-float \
		--disable-newlib-nano-formatted-io \
		--disable-newlib-nano-malloc \
		--enable-lite-exit \
		CC_FOR_TARGET="$TCC" \
		AR_FOR_TARGET="${CROSS_COMPILE}ar" \
		AS_FOR_TARGET="${CROSS_COMPILE}as" \
		LD_FOR_TARGET="${CROSS_COMPILE}ld" \
		NM_FOR_TARGET="${CROSS_COMPILE}nm" \
		RANLIB_FOR_TARGET="${CROSS_COMPILE}ranlib" \
		OBJDUMP_FOR_TARGET="${CROSS_COMPILE}objdump" \
		READELF_FOR_TARGET="${CROSS_COMPILE}readelf" \
		STRIP_FOR_TARGET="${CROSS_COMPILE}strip" \
		CFLAGS_FOR_TARGET="$TCFLAGS"
) >>"$LOG" 2>&1 || fail "$step"

step="make"
make -C "$WORK/build" -j"$JOBS" all-target-newlib >>"$LOG" 2>&1 || fail "$step"
step="make install"
make -C "$WORK/build" install-target-newlib >>"$LOG" 2>&1 || fail "$step"

# xenolith's own printf (core/stdio_printf.c on core/format.c) replaces newlib's
# formatting engines: their entry points become local, so the archive no longer offers
# them and the printf family resolves to ours. What else those objects define stays
# (__sprint_r and __ssprint_r, for the wide printf family).
ENGINES="_vfprintf_r vfprintf _svfprintf_r _vfiprintf_r vfiprintf _svfiprintf_r"
step="replace printf engines"
{
	LIBC=$WORK/prefix/$TARGET/lib/libc.a
	"${CROSS_COMPILE}objcopy" $(printf -- '--localize-symbol=%s ' $ENGINES) "$LIBC"
	"${CROSS_COMPILE}ranlib" "$LIBC"
	left=$("${CROSS_COMPILE}nm" -A --defined-only "$LIBC" 2>/dev/null |
		awk -v e=" $ENGINES " '$2 ~ /^[A-Z]$/ && index(e, " " $3 " ")' || true)
	if [ -n "$left" ]; then
		echo "still defined: $left"
		false
	fi
} >>"$LOG" 2>&1 || fail "$step"

step=collect
cp "$LOG" "$DEST/build.log" || fail "$step"
{
	P=$WORK/prefix/$TARGET
	mkdir -p "$DEST/lib"
	cp -R "$P/include" "$DEST/include"
	cp "$P/lib/libc.a" "$P/lib/libm.a" "$DEST/lib/"
	echo "$KEY $(date -u +%FT%TZ)" >"$DEST/$STAMP"   # written last: marks a complete entry
	rm -rf "$CACHE"                                   # a stale, stamp-less leftover
	mv -T "$DEST" "$CACHE"
} >>"$LOG" 2>&1 || fail "$step"

rm -f "$LOG"   # a copy is kept as $CACHE/build.log
install_out
echo "newlib: done in $(($(date +%s) - start))s -> $OUT (cache: $CACHE)"
