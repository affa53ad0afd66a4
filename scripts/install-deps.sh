#!/bin/sh
# Install the Debian packages maso needs to build, test and run, when missing
# (scripts/debian-packages.txt); with --bench also those only the comparison
# benchmarks need (scripts/bench-packages.txt: libfaiss for bench_faiss,
# findimagedupes for index_sizes.sh and index_throughput.sh).
# Idempotent: does nothing when everything is there.
set -eu
here=$(dirname "$0")
lists="$here/debian-packages.txt"
case ${1:-} in
  --bench) lists="$lists $here/bench-packages.txt" ;;
  "") ;;
  *) echo "usage: install-deps.sh [--bench]" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # $lists: file names without spaces
need=$(sed -e 's/#.*//' $lists | tr -s ' \n' ' ')
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
