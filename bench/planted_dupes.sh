#!/bin/sh
# planted_dupes.sh -- maso-query --duplicates against the tools people use,
# on a planted collection: every photo of ORIGINALS with 8 copies made by
# ImageMagick (JPEG q60, half size, 10 % centre crop, 3-degree rotation
# (cropped to the inside), mirror, +25 % brightness, a screenshot-style
# window frame, a 90-degree turn), plus the photos of UNRELATED (no copies).
# Pair recall: pairs of one photo's files in one group / all such pairs;
# pair precision: such pairs / all pairs in groups.  Rows for maso at
# several thresholds (with its orientation sketches and --no-orient: a
# store indexed with maso-index --no-orient), findimagedupes
# (its default), 64-bit pHash and dHash (threshold 10 bits, the usual
# default), and the index cost of the orientation data.
# usage: bench/planted_dupes.sh BUILD_DIR ORIGINALS UNRELATED [WORK_DIR]
# Environment: PRECISION (fp32 or int8, default fp32): maso-index's
# --precision for both stores.
# Not a test: it prints tables.  Run heavy: flock /tmp/maso-heavy.lock ...
set -eu
build=$1 originals=$2 unrelated=$3 work=${4:-/tmp/maso-planted}
precision=${PRECISION:-fp32}
here=$(cd "$(dirname "$0")" && pwd)
py="python3 $here/planted_dupes.py"
index=$build/indexer/maso-index query=$build/query/maso-query
rm -rf "$work"
mkdir -p "$work/copies"
"$here/planted_make.sh" "$originals" "$work/copies"
echo "## $(ls "$work/copies" | wc -l) files from $originals (9 each), $(ls "$unrelated" | wc -l) unrelated from $unrelated, $precision"
echo
echo "| method | groups | pair recall | pair precision | copies not joined, by edit | false pairs |"
echo "| --- | --- | --- | --- | --- | --- |"
n_files=$(( $(ls "$work/copies" | wc -l) + $(ls "$unrelated" | wc -l) ))
for mode in "" --no-orient; do
    rm -rf "$work/db$mode"
    start=$(date +%s.%N)
    "$index" -q --jobs 2 --precision "$precision" $mode "$work/db$mode" \
        "$work/copies" "$unrelated"
    end=$(date +%s.%N)
    bytes=$(du -sb "$work/db$mode" | cut -f1)
    echo "| maso-index ${mode:-(default)} | $(echo "$n_files / ($end - $start)" | bc -l | cut -c1-5) | $((bytes / n_files)) |" >> "$work/cost.txt"
done
for t in "" 0.12 0.14 0.18 0.2 0.25; do
    for mode in "" --no-orient; do
        "$query" --duplicates --json ${t:+--threshold "$t"} $mode "$work/db$mode" > "$work/g.json" 2> /dev/null || true
        $py maso "$work/g.json" > "$work/g.tsv"
        $py score "maso ${t:-default (0.16)} ${mode:-(orientations)}" "$work/g.tsv" "$work/copies" "$unrelated"
    done
done
findimagedupes -q -- "$work/copies" "$unrelated" 2>/dev/null | tr ' ' '\t' > "$work/fid.tsv" || true
$py score "findimagedupes (default)" "$work/fid.tsv" "$work/copies" "$unrelated"
for kind in phash dhash; do
    $py hash $kind 10 "$work/copies"/* "$unrelated"/* > "$work/$kind.tsv"
    $py score "$kind <= 10 bits" "$work/$kind.tsv" "$work/copies" "$unrelated"
done
echo
echo "| index cost ($n_files files, --jobs 2) | images/s | store bytes per image |"
echo "| --- | --- | --- |"
cat "$work/cost.txt"
