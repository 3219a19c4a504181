#!/bin/sh
# Two raw logs of one benchmark side by side (bench/compare.awk).
# Usage: bench/compare.sh A.raw B.raw
set -eu
[ $# -eq 2 ] || { echo "usage: bench/compare.sh A.raw B.raw" >&2; exit 2; }
d=$(dirname "$0")
exec awk -f "$d/stats.awk" -f "$d/compare.awk" "$1" "$2"
