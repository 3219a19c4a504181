#!/usr/bin/env bash
# Write a manifest with COUNT copies of some guests of another manifest, named
# NAME-1 .. NAME-COUNT, for soaks: many runs of the same guests in one Xen boot.
#
#   tools/xen/repeat.sh COUNT MANIFEST GUEST... > soak.manifest
set -euo pipefail
(($# >= 3)) || { echo "usage: $0 COUNT MANIFEST GUEST..." >&2; exit 2; }
count=$1 manifest=$2
shift 2
for ((i = 1; i <= count; i++)); do
	for g in "$@"; do
		awk -v want="$g" -v n="$i" '
			$1 == "guest" { on = ($2 == want); if (on) { print "guest " $2 "-" n; found = 1 }; next }
			$1 == "end" { if (on) print; on = 0; next }
			on { print }
			END { if (!found) { print "repeat.sh: no guest " want > "/dev/stderr"; exit 1 } }
		' "$manifest"
		echo
	done
done
