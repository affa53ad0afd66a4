#!/bin/sh
# decode_formats.sh -- decode time of one 12-megapixel photo (a Kodak image
# tiled at full resolution to 4000x3000, detail like a camera's) written in
# every format by the formats' own tools at settings cameras, phones and
# browsers use, decoded by libmaso as maso-index does (bench_decode_files).
# usage: bench/decode_formats.sh BUILD_DIR [KODAK_PNG [RUNS]]
set -eu
build=$(cd "$1" && pwd)
kodak=${2:-$(cd "$(dirname "$0")/.." && pwd)/../shared/images/kodak/kodim23.png}
runs=${3:-5}
# The files are kept between runs (encoding 12 MP HEIC and AVIF takes
# minutes): delete the folder to make them again.
work=${TMPDIR:-/tmp}/maso_decode_formats
mkdir -p "$work"
cd "$work"
if [ ! -f done ]; then
  convert "$kodak" -write mpr:tile +delete -size 4000x3000 tile:mpr:tile -strip PNG24:photo.png
  convert photo.png -quality 90 photo.jpg
  cwebp -quiet -q 90 photo.png -o photo.webp
  heif-enc -q 90 photo.png -o photo.heic >/dev/null
  heif-enc -A -q 90 -p speed=8 photo.png -o photo.avif >/dev/null
  cjxl -d 1 -e 3 photo.png photo.jxl >/dev/null 2>&1
  convert photo.png -compress lzw photo.tif
  convert photo.png bmp3:photo.bmp
  convert photo.png photo.ppm
  touch done
fi
"$build/bench/bench_decode_files" "$runs" photo.jpg photo.png photo.webp photo.heic \
    photo.avif photo.jxl photo.tif photo.bmp photo.ppm
