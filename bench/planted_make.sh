#!/bin/sh
# planted_make.sh -- a planted collection for near-duplicate benchmarks:
# every photo of ORIGINALS (as PNG, EXIF orientation applied) and 8 copies
# made by ImageMagick, named STEM_EDIT: jpeg60 (JPEG quality 60), half
# (half size), crop10 (centre 90 %), rot3 (3-degree rotation, cut to the
# centre 90 % so no corner is blank), mirror, bright25 (+25 % brightness),
# frame (a screenshot-style window frame: 10-pixel grey border and a
# 32-pixel dark title bar), rot90 (a 90-degree turn).
# usage: bench/planted_make.sh ORIGINALS OUT_DIR
set -eu
originals=$1 out=$2
mkdir -p "$out"
for f in "$originals"/*; do
    stem=$(basename "${f%.*}")
    c=$out/$stem
    convert "$f[0]" -auto-orient "$c.png" 2>/dev/null
    convert "$c.png" -quality 60 "${c}_jpeg60.jpg"
    convert "$c.png" -resize 50% "${c}_half.png"
    convert "$c.png" -gravity center -crop 90%x90%+0+0 +repage "${c}_crop10.png"
    convert "$c.png" -distort SRT 3 -gravity center -crop 90%x90%+0+0 +repage \
        "${c}_rot3.png"
    convert "$c.png" -flop "${c}_mirror.png"
    convert "$c.png" -evaluate multiply 1.25 "${c}_bright25.png"
    convert "$c.png" -bordercolor '#d8d8d8' -border 10 -background '#303030' \
        -gravity north -splice 0x32 "${c}_frame.png"
    convert "$c.png" -rotate 90 "${c}_rot90.png"
done
