#!/usr/bin/env bash
# Fetch lwIP from Debian's `lwip` source package (with Debian's patches applied) and
# put its sources in OUTDIR; the Makefile compiles them with our flags into liblwip.a.
# Cached per Debian version + this script under ${XDG_CACHE_HOME:-~/.cache}/xenolith.
#
# Usage: tools/lwip.sh OUTDIR   -> OUTDIR/src/{core,api,netif,include}, OUTDIR/VERSION
#
# apt-get source needs a deb-src entry; the system's apt sources are left alone: this
# script keeps its own source list and package lists in the cache directory and
# hands them to apt with -o options. Environment: XENOLITH_LWIP_SUITE (bookworm),
# XENOLITH_DEBIAN_MIRROR (the system's Debian mirror, else deb.debian.org).
set -euo pipefail

die() { echo "lwip: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUT=$1
while [ "${OUT%/}" != "$OUT" ]; do OUT=${OUT%/}; done
[ -n "$OUT" ] || die "refusing OUTDIR '/'"
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL GNUMAKEFLAGS

SUITE=${XENOLITH_LWIP_SUITE:-bookworm}
ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/xenolith
APTDIR=$ROOT/apt-src-$SUITE
HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
STAMP=.xenolith-complete

command -v apt-get >/dev/null || die "apt-get not found: lwIP comes from Debian's source package"
mkdir -p "$ROOT"

# apt with our own source list, lists and caches: nothing of the system's changes.
apt_own() {
	apt-get -q -o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::Etc::SourceList=/dev/null -o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}
apt_cache_own() {
	apt-cache -o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::Etc::SourceList=/dev/null -o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" "$@"
}

# The Debian mirror the system already uses (its first http(s) URI serving
# `debian`), so a local mirror or proxy set up there is honoured.
system_mirror() {
	local m
	m=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
		grep -E '^https?://[^ ]*/debian/$' | head -n1 || true)
	echo "${m:-http://deb.debian.org/debian/}"
}

# Our lists are shared by every build using this cache, and apt runs unlocked on them:
# readers take the lists lock shared, an update takes it alone.
lists_lock() {
	exec 8>"$APTDIR.lock"
	if command -v flock >/dev/null; then flock "$1" 8; fi
}
lists_unlock() { exec 8>&-; }

# update_lists [stale]: fetch the index, unless another build did while we waited.
update_lists() {
	local mirror=${XENOLITH_DEBIAN_MIRROR:-$(system_mirror)}
	lists_lock -x
	if [ "${1:-}" != stale ] && [ -n "$(list_version_unlocked)" ]; then
		lists_unlock
		return 0
	fi
	mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	cat >"$APTDIR/sources.list.d/xenolith-src.sources" <<-EOF
		Types: deb-src
		URIs: $mirror
		Suites: $SUITE
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	echo "lwip: fetching Debian's source index for $SUITE from $mirror"
	# apt-get update exits 0 when a mirror cannot be reached: look for its complaints.
	if ! apt_own update >"$APTDIR/update.log" 2>&1 ||
		grep -qE '^(E:|W: (Failed to fetch|Some index files failed))' "$APTDIR/update.log"; then
		rm -rf "$APTDIR/lists"
		die "cannot download Debian's source index for $SUITE from $mirror (no network?): $(grep -E '^(E|W):' "$APTDIR/update.log" | head -n2 | tr '\n' ' ')"
	fi
	lists_unlock
}

# The version of the lwip source package in our lists (empty if none).
list_version_unlocked() {
	[ -d "$APTDIR/lists" ] || return 0
	{ apt_cache_own showsrc --only-source lwip 2>/dev/null || true; } |
		awk '/^Version:/ {print $2}' | sort -V | tail -n1
}
list_version() {
	lists_lock -s
	list_version_unlocked
	lists_unlock
}

install_out() {
	local cache=$1 stage
	mkdir -p "$(dirname "$OUT")"
	stage=$OUT.tmp.$$
	rm -rf "$stage"
	cp -R "$cache" "$stage"
	rm -rf "$OUT"
	mv "$stage" "$OUT"
}

VERSION=$(list_version)
if [ -z "$VERSION" ]; then
	# Offline with a filled cache: any complete entry made by this script will do.
	shopt -s nullglob
	have=("$ROOT"/lwip-*-"$HASH"/$STAMP)
	shopt -u nullglob
	if [ ${#have[@]} -gt 0 ]; then
		install_out "$(dirname "${have[-1]}")"
		exit 0
	fi
	update_lists
	VERSION=$(list_version)
	[ -n "$VERSION" ] || die "Debian $SUITE has no source package 'lwip'"
fi
KEY=lwip-$VERSION-$HASH
CACHE=$ROOT/$KEY

if [ -f "$CACHE/$STAMP" ]; then
	install_out "$CACHE"
	exit 0
fi

exec 9>"$ROOT/.$KEY.lock"
if command -v flock >/dev/null; then
	flock 9
	if [ -f "$CACHE/$STAMP" ]; then
		install_out "$CACHE"
		exit 0
	fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/xenolith-lwip.XXXXXX")
DEST=$(mktemp -d "$ROOT/.$KEY.tmp.XXXXXX")
trap 'rm -rf "$WORK" "$DEST"' EXIT

fetch() { (cd "$WORK/dl" && apt_own source --download-only "lwip=$VERSION") >"$WORK/fetch.log" 2>&1; }
mkdir "$WORK/dl"
echo "lwip: downloading Debian source package lwip $VERSION"
if ! fetch; then
	# The lists may be older than the archive (a point release replaced the version).
	update_lists stale
	VERSION=$(list_version)
	KEY=lwip-$VERSION-$HASH
	CACHE=$ROOT/$KEY
	fetch || die "apt-get source lwip=$VERSION failed: $(grep -E '^(E|W):' "$WORK/fetch.log" | head -n3)"
fi

# Unpack as dpkg-source would: the upstream tarball, debian/, then the quilt series.
shopt -s nullglob
orig=("$WORK"/dl/lwip_*.orig.tar.*)
deb=("$WORK"/dl/lwip_*.debian.tar.*)
shopt -u nullglob
[ ${#orig[@]} -eq 1 ] && [ ${#deb[@]} -eq 1 ] || die "unexpected files from apt-get source: $(ls "$WORK/dl")"
mkdir "$WORK/src"
tar --no-same-owner -xf "${orig[0]}" -C "$WORK/src"
top=("$WORK"/src/*/)
[ ${#top[@]} -eq 1 ] || die "unexpected layout of ${orig[0]##*/}"
SRC=${top[0]%/}
tar --no-same-owner -xf "${deb[0]}" -C "$SRC"
if [ -f "$SRC/debian/patches/series" ]; then
	command -v patch >/dev/null || die "'patch' not found: install it (apt-get install patch)"
	while read -r p _; do
		case $p in '' | '#'*) continue ;; esac
		patch -d "$SRC" -p1 --batch --quiet --no-backup-if-mismatch <"$SRC/debian/patches/$p" \
			>>"$WORK/patch.log" 2>&1 || die "Debian patch $p does not apply: $(tail -n3 "$WORK/patch.log")"
	done <"$SRC/debian/patches/series"
fi
[ -f "$SRC/src/core/tcp.c" ] && [ -f "$SRC/src/include/lwip/opt.h" ] || die "no lwIP sources in the package"

# Keep the stack's sources and the licence; the Hurd port, docs and tests stay out.
cp -R "$SRC/src" "$DEST/src"
cp "$SRC/COPYING" "$DEST/COPYING"
echo "$VERSION" >"$DEST/VERSION"
echo "$KEY $(date -u +%FT%TZ)" >"$DEST/$STAMP"
rm -rf "$CACHE"
mv -T "$DEST" "$CACHE"
install_out "$CACHE"
echo "lwip: $VERSION ready -> $OUT (cache: $CACHE)"
