#!/usr/bin/env bash
# Install the Debian 12 packages xenolith's build and tests need, idempotently:
# a quick dpkg-query check, and apt-get update + install only for what is missing.
# Prints one summary line; needs root or sudo only when something is missing.
set -euo pipefail

PKGS=(gcc make binutils libxen-dev newlib-source qemu-system-x86 libcmocka-dev
	cpio xz-utils gzip clang-format patch
	clang libclang-rt-dev # clang + libFuzzer, ASan, UBSan runtimes: tests/fuzz
	cmake pkgconf) # the installed SDK used from a Makefile and from CMake: tests/sdk

die() { echo "deps: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null ||
	die "no dpkg-query: not a Debian system; install by hand: ${PKGS[*]}"

# Packages that are not fully installed ("install ok installed" / "hold ok installed").
missing_pkgs() {
	local p st
	for p in "${PKGS[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "${st##* }" = installed ] || echo "$p"
	done
}

check_qemu() {
	qemu-system-x86_64 --version >/dev/null 2>&1 ||
		die "qemu-system-x86_64 does not run (qemu-system-x86 is installed; try: qemu-system-x86_64 --version)"
}

mapfile -t missing < <(missing_pkgs)
if [ ${#missing[@]} -eq 0 ]; then
	check_qemu
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
elif command -v sudo >/dev/null; then
	SUDO=(sudo)
else
	die "missing packages (need root, and no sudo found): apt-get install --no-install-recommends ${missing[*]}"
fi

LOG=$(mktemp "${TMPDIR:-/tmp}/xenolith-deps.XXXXXX.log")
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
fail() {
	echo "deps: ---- last 30 lines of $LOG ----" >&2
	tail -n 30 "$LOG" >&2 || true
	die "$1 FAILED (full log: $LOG); missing: ${missing[*]}"
}

echo "deps: installing ${missing[*]} (log: $LOG)"
# A failed update (e.g. one unreachable mirror) may still leave usable lists.
"${APT[@]}" update >>"$LOG" 2>&1 || echo "deps: warning: apt-get update failed, trying the install anyway" >&2
"${APT[@]}" install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 || fail "apt-get install"

mapfile -t still < <(missing_pkgs)
[ ${#still[@]} -eq 0 ] || { missing=("${still[@]}"); fail "install check"; }
check_qemu
rm -f "$LOG"
echo "deps: installed ${missing[*]}; all ${#PKGS[@]} packages present"
