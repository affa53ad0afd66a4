#!/bin/sh
# CSIQ (Larson and Chandler, J. Electronic Imaging 2010): 30 references x 6
# distortions x 4-5 levels, DMOS.  Into DIR (default datasets/csiq/data),
# converted to DIR/maso.csv for `maso-eval mos DIR/maso.csv --scores dmos`.
# Official page: https://s2.smu.edu/~eclarson/csiq.html (earlier at
# vision.eng.shizuoka.ac.jp and vision.okstate.edu).  The three file URLs
# below are the ones the page links to, as recorded by a third-party
# downloader: UNVERIFIED, and no checksum is published.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
base=${MASO_CSIQ_URL:-https://s2.smu.edu/~eclarson/csiq}
mkdir -p "$dest"
fetch "$base/src_imgs.zip" "$dest/src_imgs.zip"
fetch "$base/dst_imgs.zip" "$dest/dst_imgs.zip"
fetch "$base/csiq.DMOS.xlsx" "$dest/csiq.DMOS.xlsx"
# The zips may or may not hold a top folder: unpack into the named folders.
unpack "$dest/src_imgs.zip" "$dest/src_imgs.tmp"
unpack "$dest/dst_imgs.zip" "$dest/dst_imgs.tmp"
for d in src_imgs dst_imgs; do
  rm -rf "$dest/$d"
  if [ -d "$dest/$d.tmp/$d" ]; then mv "$dest/$d.tmp/$d" "$dest/$d"; rm -rf "$dest/$d.tmp"
  else mv "$dest/$d.tmp" "$dest/$d"; fi
done
python3 "$here/to_csv.py" "$dest" "$dest/maso.csv"
echo "$dest/maso.csv"
