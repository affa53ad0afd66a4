#!/bin/sh
# Seeds for the harnesses of the formats decoded through Debian's libraries
# and our BMP/PNM readers: tiny files (24x16) written by the formats' own
# tools from a Kodak photo, several variants each (lossy/lossless, palette,
# CMYK, grey, 1-bit).  usage: fuzz/make_format_seeds.sh CORPUS_DIR SHARED_DIR
set -eu
corpus=$1
src_photo=$2/images/kodak/kodim23.png
im=$(command -v convert-im6.q16 || command -v convert)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$im" "$src_photo" -resize '24x16!' "$tmp/src.png"
"$im" "$tmp/src.png" -type Grayscale "$tmp/grey.png"
for t in webp tiff gif heif jxl bmp pnm; do mkdir -p "$corpus/fuzz_$t"; done
cwebp -quiet -q 50 "$tmp/src.png" -o "$corpus/fuzz_webp/lossy.webp"
cwebp -quiet -lossless "$tmp/src.png" -o "$corpus/fuzz_webp/lossless.webp"
"$im" "$tmp/src.png" -compress None "$corpus/fuzz_tiff/plain.tif"
"$im" "$tmp/src.png" -compress LZW "$corpus/fuzz_tiff/lzw.tif"
"$im" "$tmp/src.png" -colors 16 "$corpus/fuzz_tiff/palette.tif"
"$im" "$tmp/src.png" -colorspace CMYK "$corpus/fuzz_tiff/cmyk.tif"
"$im" "$tmp/src.png" -colors 32 "$corpus/fuzz_gif/palette.gif"
"$im" "$tmp/src.png" bmp3:"$corpus/fuzz_bmp/rgb24.bmp"
"$im" "$tmp/src.png" -colors 16 -type Palette bmp3:"$corpus/fuzz_bmp/palette.bmp"
"$im" "$tmp/src.png" "$corpus/fuzz_pnm/rgb.ppm"
"$im" "$tmp/grey.png" "$corpus/fuzz_pnm/grey.pgm"
"$im" "$tmp/src.png" -monochrome "$corpus/fuzz_pnm/bw.pbm"
heif-enc -q 30 "$tmp/src.png" -o "$corpus/fuzz_heif/lossy.heic" > /dev/null
heif-enc -A -q 30 "$tmp/src.png" -o "$corpus/fuzz_heif/lossy.avif" > /dev/null
cjxl -q 50 "$tmp/src.png" "$corpus/fuzz_jxl/lossy.jxl" > /dev/null 2>&1
cjxl -d 0 "$tmp/src.png" "$corpus/fuzz_jxl/lossless.jxl" > /dev/null 2>&1
