#!/bin/sh
# TID2008, the Tampere Image Database 2008 (Ponomarenko et al., Advances
# of Modern Radioelectronics 2009): 25 references x 17 distortions x 4
# levels, MOS.  Into DIR (default datasets/tid2008/data), converted to
# DIR/maso.csv by ../tid2013/to_csv.py (same layout) for `maso-eval mos`.
# Official location: http://www.ponomarenko.info/tid2008.htm, archive
# http://www.ponomarenko.info/tid/tid2008.rar.  No checksum is published:
# the sha256 printed on first download is UNVERIFIED.
# Licence: research and education use, see the readme in the archive.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
url=${MASO_TID2008_URL:-http://www.ponomarenko.info/tid/tid2008.rar}
SHA256=  # unknown: fill in to pin
mkdir -p "$dest"
fetch "$url" "$dest/tid2008.rar" "$SHA256"
unpack "$dest/tid2008.rar" "$dest"
python3 "$here/../tid2013/to_csv.py" "$dest" "$dest/maso.csv"
echo "$dest/maso.csv"
