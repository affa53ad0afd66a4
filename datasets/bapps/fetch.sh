#!/bin/sh
# BAPPS, the Berkeley-Adobe Perceptual Patch Similarity data set of the
# LPIPS paper (Zhang, Isola, Efros, Shechtman, Wang, CVPR 2018), into
# DIR (default datasets/bapps/data):
#   DIR/2afc/train/{cnn,mix,traditional}/{ref,p0,p1,judge}
#   DIR/2afc/val/{cnn,color,deblur,frameinterp,superres,traditional}/...
#   DIR/jnd/val/{cnn,traditional}/{p0,p1,same}
# Official location: the archives linked from
# https://github.com/richzhang/PerceptualSimilarity (scripts/
# download_dataset.sh), hosted at people.eecs.berkeley.edu.  The authors
# publish no checksums: the sha256 printed on first download is
# UNVERIFIED; record it below to pin later downloads.
# Licence: BSD-2-Clause, like the LPIPS repository.
#
# Then:  maso-eval fit  DIR/2afc/train --out weights.txt
#        maso-eval 2afc DIR/2afc/val --weights weights.txt
#        maso-eval jnd  DIR/jnd/val
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
base=${MASO_BAPPS_URL:-https://people.eecs.berkeley.edu/~rich.zhang/projects/2018_perceptual/dataset}
# sha256 of each archive: unknown (not published); fill in to pin.
SHA_TRAIN= SHA_VAL= SHA_JND=
mkdir -p "$dest/2afc" "$dest/archives"
fetch "$base/twoafc_train.tar.gz" "$dest/archives/twoafc_train.tar.gz" "$SHA_TRAIN"
fetch "$base/twoafc_val.tar.gz" "$dest/archives/twoafc_val.tar.gz" "$SHA_VAL"
fetch "$base/jnd.tar.gz" "$dest/archives/jnd.tar.gz" "$SHA_JND"
# The archives hold train/... and val/... (2AFC) and jnd/val/... .
unpack "$dest/archives/twoafc_train.tar.gz" "$dest/2afc"
unpack "$dest/archives/twoafc_val.tar.gz" "$dest/2afc"
unpack "$dest/archives/jnd.tar.gz" "$dest"
for d in "$dest/2afc/train" "$dest/2afc/val" "$dest/jnd/val"; do
  [ -d "$d" ] || { echo "fetch.sh: $d missing after unpacking" >&2; exit 1; }
done
echo "$dest"
