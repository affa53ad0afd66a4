#!/bin/sh
# KADID-10k (Lin, Hosu, Saupe, QoMEX 2019): 81 references x 25 distortions
# x 5 levels, crowd-sourced scores.  Into DIR (default
# datasets/kadid10k/data), converted to DIR/kadid10k/maso.csv for
# `maso-eval mos`.
# Official location: https://database.mmsp-kn.de/kadid-10k-database.html,
# archive https://datasets.vqa.mmsp-kn.de/archives/kadid10k.zip (about
# 3.1 GB; 3,067,408,471 bytes as reported by a third party).  No checksum
# is published: the sha256 printed on first download is UNVERIFIED.
# Licence: "freely available to the research community"; cite the paper.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fetch_common.sh"
dest=${1:-$here/data}
url=${MASO_KADID_URL:-https://datasets.vqa.mmsp-kn.de/archives/kadid10k.zip}
SHA256=  # unknown: fill in to pin
mkdir -p "$dest"
fetch "$url" "$dest/kadid10k.zip" "$SHA256"
unpack "$dest/kadid10k.zip" "$dest"
python3 "$here/to_csv.py" "$dest/kadid10k" "$dest/kadid10k/maso.csv"
echo "$dest/kadid10k/maso.csv"
