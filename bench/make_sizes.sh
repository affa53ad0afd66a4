#!/bin/sh
# make_sizes.sh -- the two photo sets of the per-size benchmarks
# (bench_pipeline, index_sizes.sh): every Kodak and classify photo as
#   DIR/800/NAME.jpg  long side 800 pixels (web and chat size), quality 85
#   DIR/12mp/NAME.jpg 4000 x 3000 or 3000 x 4000 (a 12-MP camera), quality 92,
#                     half of them progressive
# made with ImageMagick (Debian's convert-im6.q16).  Existing files are kept.
# usage: bench/make_sizes.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
shared=$here/../../shared/images
im=$(command -v convert-im6.q16 || command -v convert) || {
    echo "make_sizes.sh: ImageMagick's convert is missing" >&2
    exit 1
}
mkdir -p "$dest/800" "$dest/12mp"
i=0
for f in "$shared"/kodak/*.png "$shared"/classify/*; do
    [ -f "$f" ] || continue
    name=$(basename "${f%.*}")
    i=$((i + 1))
    [ -f "$dest/800/$name.jpg" ] ||
        "$im" "$f" -resize 800x800 -quality 85 "$dest/800/$name.jpg"
    interlace=None
    [ $((i % 2)) -eq 0 ] && interlace=JPEG
    [ -f "$dest/12mp/$name.jpg" ] || {
        geometry=4000x3000
        [ "$("$im" "$f" -format '%[fx:w>=h]' info:)" = 1 ] || geometry=3000x4000
        "$im" "$f" -resize "$geometry!" -quality 92 -interlace "$interlace" \
            "$dest/12mp/$name.jpg"
    }
done
echo "make_sizes.sh: $i photos in $dest/800 and $dest/12mp" >&2
