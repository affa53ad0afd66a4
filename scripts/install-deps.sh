#!/bin/sh
# Install the Debian packages maso needs to build, test and run, when missing.
# Idempotent: does nothing when everything is there.
set -eu
here=$(dirname "$0")
need=$(sed -e 's/#.*//' "$here/debian-packages.txt" | tr -s ' \n' ' ')
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
