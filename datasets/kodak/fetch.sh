#!/bin/sh
# Provide the Kodak Lossless True Color Image Suite (kodim01..24.png, Kodak's
# release for unrestricted use) in DIR (default: datasets/kodak/images):
# copied from ../shared/images/kodak when that exists, else downloaded from
# the upstream (http://r0k.us/graphics/kodak/), and checked against
# SHA256SUMS either way.  Prints DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/images}
shared=$here/../../../shared/images/kodak
upstream=${MASO_KODAK_URL:-http://r0k.us/graphics/kodak/kodak}
mkdir -p "$dest"
cd "$dest"
while read -r sum name; do
  if [ -f "$name" ] && echo "$sum  $name" | sha256sum -c --status; then
    continue
  fi
  if [ -f "$shared/$name" ]; then
    cp "$shared/$name" "$name.part"
  else
    curl -fsSL --retry 3 -o "$name.part" "$upstream/$name"
  fi
  if ! echo "$sum  $name.part" | sha256sum -c --status; then
    rm -f "$name.part"
    echo "fetch.sh: $name: sha256 does not match SHA256SUMS" >&2
    exit 1
  fi
  mv "$name.part" "$name"
done < "$here/SHA256SUMS"
echo "$dest"
