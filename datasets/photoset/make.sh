#!/bin/sh
# Build the photo set for the indexing benchmark: N (default 2000) JPEG
# photos of mixed sizes (0.3 to 12 megapixels, landscape and portrait),
# half baseline and half progressive, qualities 70..95, made from real
# photos by scaling, cropping and re-encoding with ImageMagick:
#   - the Kodak set (../shared/images/kodak),
#   - the classify photos (../shared/images/classify),
#   - the sample photos of Debian's opencv-doc package, when installed
#     (apt-get install opencv-doc; /usr/share/doc/opencv-doc/examples/data).
# usage: datasets/photoset/make.sh [DIR [N]]   (default DIR: datasets/photoset/images)
# The choices are a fixed function of the image number, so a set is the
# same from run to run for a given ImageMagick.  Existing files are kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/images}
count=${2:-2000}
shared=$here/../../../shared/images
opencv=/usr/share/doc/opencv-doc/examples/data
# Debian's own binary: a `convert` earlier in PATH may be a wrapper.
im=$(command -v convert-im6.q16 || command -v convert) || {
    echo "make.sh: ImageMagick's convert is missing (apt-get install imagemagick)" >&2
    exit 1
}
mkdir -p "$dest"

sources=$dest/.sources
: > "$sources"
for f in "$shared"/kodak/*.png "$shared"/classify/*; do
    [ -f "$f" ] && echo "$f" >> "$sources"
done
# Photographs only (no drawings, charts, logos or calibration targets).
for name in HappyFish.jpg aero1.jpg aero3.jpg aloeL.jpg apple.jpg baboon.jpg \
    basketball1.png board.jpg building.jpg butterfly.jpg ela_original.jpg \
    fruits.jpg home.jpg leuvenA.jpg leuvenB.jpg lena.jpg messi5.jpg \
    orange.jpg rubberwhale1.png smarties.png squirrel_cls.jpg stuff.jpg; do
    [ -f "$opencv/$name" ] && echo "$opencv/$name" >> "$sources"
done
nsrc=$(wc -l < "$sources")
echo "make.sh: $nsrc source photos, $count outputs in $dest" >&2

# One line per output: source, width, height, zoom, gravity, quality,
# interlace, name.  Sizes (landscape; every third one portrait):
# 640x480 (0.3 MP) ... 4000x3000 (12 MP), smaller ones more frequent.
awk -v n="$count" -v nsrc="$nsrc" -v list="$sources" 'BEGIN {
    i = 0
    while ((getline line < list) > 0) src[i++] = line
    split("640x480 800x600 1024x768 1280x960 1600x1200 2048x1536 2592x1944 3264x2448 4000x3000", size, " ")
    split("1 1 1 2 2 2 3 3 4 4 5 5 6 6 7 8 9", pick, " ")
    split("Center North South East West NorthWest SouthEast", grav, " ")
    seed = 12345
    for (k = 0; k < n; k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648; r1 = seed
        seed = (seed * 1103515245 + 12345) % 2147483648; r2 = seed
        seed = (seed * 1103515245 + 12345) % 2147483648; r3 = seed
        split(size[pick[1 + r1 % 17]], wh, "x")
        w = wh[1]; h = wh[2]
        if (k % 3 == 2) { t = w; w = h; h = t }
        zoom = 100 + r2 % 40
        q = 70 + r3 % 26
        il = (k % 2) ? "JPEG" : "none"
        printf "%s\t%d\t%d\t%d\t%s\t%d\t%s\tphoto_%05d.jpg\n", src[k % nsrc], w, h, zoom, grav[1 + r2 % 7], q, il, k
    }
}' > "$dest/.plan"

# Two at a time; a file is written under a temporary name first so that
# an interrupted build never leaves a half-written photo behind.
# One thread per convert: two processes already fill two cores.
MAGICK_THREAD_LIMIT=1
export im dest MAGICK_THREAD_LIMIT
# A convert that fails now and then under load (seen: a spurious
# ParseError from ImageMagick's configuration reader) is retried by a
# second pass over the missing files.
for pass in 1 2; do
tr '\n' '\0' < "$dest/.plan" | xargs -0 -P 2 -n 1 sh -c '
    IFS="	" read -r src w h zoom grav q il name <<END
$1
END
    [ -f "$dest/$name" ] && exit 0
    zw=$((w * zoom / 100)) zh=$((h * zoom / 100))
    "$im" "$src" -auto-orient -filter Triangle -resize "${zw}x${zh}^" -gravity "$grav" \
        -extent "${w}x${h}" -quality "$q" -interlace "$il" \
        -sampling-factor 2x2 "$dest/.$name" && mv "$dest/.$name" "$dest/$name"
' sh || [ $pass -eq 1 ]
done
made=$(find "$dest" -maxdepth 1 -name 'photo_*.jpg' | wc -l)
[ "$made" -ge "$count" ] || { echo "make.sh: only $made of $count photos" >&2; exit 1; }
echo "$dest"
