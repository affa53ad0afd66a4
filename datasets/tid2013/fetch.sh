#!/bin/sh
# TID2013, the Tampere Image Database 2013 (Ponomarenko et al., Signal
# Processing: Image Communication 2015): 25 references x 24 distortions x 5
# levels, MOS from 971 observers.  Into DIR (default datasets/tid2013/data),
# then converted to DIR/maso.csv for `maso-eval mos DIR/maso.csv`.
# Official location: http://www.ponomarenko.info/tid2013.htm, archive
# http://www.ponomarenko.info/tid2013/tid2013.rar.  The site publishes no
# checksum.  The MD5 below is the one a third-party downloader registry
# records for this URL; it is UNVERIFIED against the authors.
# Licence: research and education use, see the readme in the archive.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
url=${MASO_TID2013_URL:-http://www.ponomarenko.info/tid2013/tid2013.rar}
MD5_THIRD_PARTY=2c42bec2407adc49cf4d7858daf8f99b
mkdir -p "$dest"
fetch "$url" "$dest/tid2013.rar" "" "$MD5_THIRD_PARTY"
unpack "$dest/tid2013.rar" "$dest"
python3 "$here/to_csv.py" "$dest" "$dest/maso.csv"
echo "$dest/maso.csv"
