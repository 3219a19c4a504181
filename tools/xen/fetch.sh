#!/usr/bin/env bash
# Fetch the Debian packages the nested Xen harness needs and unpack them into build/xen/root.
#
#   tools/xen/fetch.sh        resolve, download what the cache lacks, unpack if changed
#
# Packages come only from Debian through apt-get download (the host needs no Xen
# installed). The .debs are cached in ${XDG_CACHE_HOME:-~/.cache}/xenolith/debs under
# their versioned file names, so a new package version is downloaded once and an
# unchanged one never again. Unpacking happens only when the set of .debs changes.
set -euo pipefail
source "$(dirname "$0")/common.sh"

command -v apt-cache >/dev/null || xt_die "apt-cache not found: the harness needs a Debian host"
mkdir -p "$XT_CACHE" "$XT_BUILD"

# Resolving asks apt-cache several times (about a second each here); the answer only
# changes when apt's package lists do, so it is kept keyed by their names and times.
lists_key=$({ echo "${XT_PACKAGES[*]}"; ls -l --time-style=+%s /var/lib/apt/lists/; } 2>/dev/null |
	sha256sum | cut -c1-16)
resolved=$XT_BUILD/debs.resolved
if [[ $(head -n1 "$resolved" 2>/dev/null) != "$lists_key" ]]; then
	# The current kernel image package, from linux-image-amd64's Depends.
	kernel_pkg() {
		apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1=="Depends:" && $2 ~ /^linux-image-/ {print $2; exit}'
	}
	kpkg=$(kernel_pkg)
	if [[ -z $kpkg && $(id -u) == 0 ]]; then
		# A fresh machine may have no package lists yet.
		xt_log "apt knows no linux-image-amd64: running apt-get update"
		apt-get update -q >/dev/null 2>&1 || true
		kpkg=$(kernel_pkg)
	fi
	[[ -n $kpkg ]] || xt_die "cannot resolve linux-image-amd64 to a kernel package (run 'apt-get update')"

	# Closure of Depends/PreDepends over shared-library packages: the roots' own
	# dependencies are followed only where they are libraries (lib*, zlib*), so python3, udev
	# and friends stay out. Which .so files really go into the initramfs is decided
	# later by the dynamic loader.
	declare -A seen=()
	queue=("${XT_PACKAGES[@]}" "$kpkg")
	for p in "${queue[@]}"; do seen[$p]=1; done
	while ((${#queue[@]})); do
		next=()
		while read -r dep; do
			[[ -n ${seen[$dep]:-} ]] && continue
			seen[$dep]=1
			next+=("$dep")
		done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
				--no-replaces --no-enhances "${queue[@]}" 2>/dev/null |
			awk '
				/^[^ ]/ { alt = 0; next }               # a package header line
				$1 ~ /^\|?(Pre)?Depends:$/ {
					if (alt) { alt = ($1 ~ /^\|/); next } # later members of an a|b|c group
					alt = ($1 ~ /^\|/)
					if ($2 ~ /^</) next                   # virtual package
					if ($2 ~ /^(lib|zlib)/) print $2
					next
				}
				{ alt = 0 }')
		queue=("${next[@]}")
	done

	# Each package's candidate version and file name, as apt-get download names it.
	mapfile -t names < <(printf '%s\n' "${!seen[@]}" | sort)
	{
		echo "$lists_key"
		echo "kernel $kpkg"
		apt-cache show --no-all-versions "${names[@]}" 2>/dev/null |
			awk '/^Package:/{p=$2} /^Version:/{v=$2} /^Architecture:/{a=$2}
			     /^$/ && p {gsub(/:/, "%3a", v); print "deb", p, p "_" v "_" a ".deb"; p=""}
			     END {if (p) {gsub(/:/, "%3a", v); print "deb", p, p "_" v "_" a ".deb"}}'
	} >"$resolved.tmp"
	for p in "${names[@]}"; do
		grep -q "^deb $p " "$resolved.tmp" ||
			xt_die "Debian package '$p' is unknown to apt (run 'apt-get update'?)"
	done
	mv "$resolved.tmp" "$resolved"
fi
kpkg=$(awk '$1=="kernel"{print $2}' "$resolved")
declare -a want=() missing=()
while read -r _ pkg f; do
	want+=("$f")
	[[ -s $XT_CACHE/$f ]] || missing+=("$pkg")
done < <(grep '^deb ' "$resolved")

if ((${#missing[@]})); then
	t0=$(xt_now)
	xt_log "downloading ${#missing[@]} package(s) into $XT_CACHE"
	tmp=$(mktemp -d "$XT_CACHE/.dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# One package at a time only on failure, to name the one that failed.
	if ! (cd "$tmp" && apt-get download -q "${missing[@]}" >/dev/null 2>"$tmp/.err"); then
		for pkg in "${missing[@]}"; do
			(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/.err") ||
				xt_die "failed to download Debian package '$pkg': $(grep -v '^W:' "$tmp/.err" | head -3)"
		done
	fi
	mv "$tmp"/*.deb "$XT_CACHE"/
	xt_log "downloaded in $(xt_since "$t0") s"
fi
for f in "${want[@]}"; do
	[[ -s $XT_CACHE/$f ]] || xt_die "package file $f missing from $XT_CACHE after download"
done

# Unpack when the set of .debs changed (their names carry the versions).
stamp=$(printf '%s\n' "${want[@]}" | sha256sum | cut -c1-16)
if [[ $(cat "$XT_STAGE/.stamp" 2>/dev/null) != "$stamp" ]]; then
	t0=$(xt_now)
	rm -rf "$XT_STAGE"
	mkdir -p "$XT_STAGE"
	for f in "${want[@]}"; do
		if [[ $f == "${kpkg}_"* ]]; then
			# The kernel package is 400 MB unpacked: take the image and our modules only.
			pats=(./boot/vmlinuz-\* ./boot/config-\*)
			for m in "${XT_DOM0_MODULES[@]}" "${XT_GUEST_MODULES[@]}"; do
				pats+=("./lib/modules/*/kernel/$m")
			done
			dpkg-deb --fsys-tarfile "$XT_CACHE/$f" | tar -x -C "$XT_STAGE" --wildcards "${pats[@]}"
		else
			dpkg -x "$XT_CACHE/$f" "$XT_STAGE"
		fi
	done
	printf '%s\n' "$kpkg" >"$XT_STAGE/.kernel-package"
	printf '%s\n' "${want[@]}" >"$XT_STAGE/.debs"
	echo "$stamp" >"$XT_STAGE/.stamp"
	xt_log "unpacked ${#want[@]} packages in $(xt_since "$t0") s"
fi
