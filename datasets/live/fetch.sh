#!/bin/sh
# LIVE Image Quality Assessment Database, Release 2 (Sheikh, Sabir, Bovik,
# IEEE TIP 2006): 29 references, 779 distorted images (JPEG 2000, JPEG,
# white noise, blur, fast fading), DMOS.
# Official page: https://live.ece.utexas.edu/research/Quality/subjective.htm
# The archive (databaserelease2.zip) is given out through a request form:
# the link and password come by e-mail, so this script cannot download it
# by itself.  Either set MASO_LIVE_URL to the link you received (with
# MASO_LIVE_USER / MASO_LIVE_PASSWORD when it asks for them), or put
# databaserelease2.zip in DIR (default datasets/live/data) and run again.
# No checksum is published: the sha256 printed is UNVERIFIED.
# Then: DIR/databaserelease2/maso.csv for `maso-eval mos ... --scores dmos`
# (the conversion needs scipy to read the .mat files).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
mkdir -p "$dest"
zip=$dest/databaserelease2.zip
if [ ! -f "$zip" ]; then
  if [ -z "${MASO_LIVE_URL:-}" ]; then
    echo "fetch.sh: $zip missing: request it at" \
      "https://live.ece.utexas.edu/research/Quality/subjective.htm and put it" \
      "there, or set MASO_LIVE_URL" >&2
    exit 1
  fi
  if [ -n "${MASO_LIVE_USER:-}" ]; then
    curl -fL --retry 3 -u "$MASO_LIVE_USER:${MASO_LIVE_PASSWORD:-}" -o "$zip.part" "$MASO_LIVE_URL"
    mv "$zip.part" "$zip"
  fi
fi
fetch "${MASO_LIVE_URL:-file://$zip}" "$zip"
unpack "$zip" "$dest"
python3 "$here/to_csv.py" "$dest/databaserelease2" "$dest/databaserelease2/maso.csv"
echo "$dest/databaserelease2/maso.csv"
