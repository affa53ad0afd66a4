#!/bin/sh
# make_format_fixtures.sh SHARED OUTDIR -- image files in every format maso
# decodes, written by Debian's own tools (ImageMagick, cwebp, img2webp,
# webpmux, tiffcp, tiffset, heif-enc, cjxl), each with its "twin": a PNG of
# the pixels it must decode to, written by an independent tool (the source
# itself for lossless formats; dwebp, heif-convert, djxl for lossy ones;
# ImageMagick for palettes, rotations and colour conversions).
# test_image_formats reads them.  Every tool must be installed
# (scripts/install-deps.sh puts them there): a missing one fails the run.
set -eu
shared=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
for tool in convert cwebp dwebp img2webp webpmux tiffcp tiffset heif-enc \
            heif-convert cjxl djxl python3; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
cd "$out"
kodak=$shared/images/kodak/kodim01.png
[ -f "$kodak" ] || { echo "missing $kodak" >&2; exit 1; }
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; }
# A decoder tool's output without its metadata: heif-convert copies the
# EXIF orientation into the PNG beside pixels it did not turn.
plain_png() { q convert "$1" -strip "$1"; }

# Sources: an odd size (97x65) to catch row-padding bugs; an alpha ramp; a
# second picture for other frames and pages; 16 bits per sample (v * 257,
# whose high byte and whose scaled value are both v); grey; a palette.
q convert "$kodak" -crop 97x65+300+200 +repage -strip PNG24:src.png
q convert "$kodak" -crop 97x65+100+300 +repage -strip PNG24:other.png
q convert src.png \( -size 97x65 gradient:white-black \) -alpha off \
  -compose CopyOpacity -composite -strip PNG32:alpha.png
q convert src.png -depth 16 -strip PNG48:src16.png
q convert src.png -colorspace gray -strip PNG8:grey_src.png
q convert grey_src.png -strip PNG24:grey.png
q convert src.png -colors 200 -strip PNG8:pal_src.png
q convert pal_src.png -strip PNG24:pal.png
q convert src.png -rotate 90 -strip PNG24:src_rot90.png
q convert src.png -monochrome -strip PNG24:mono.png

# PNG with an eXIf orientation (6: turn 90 degrees clockwise)
q python3 "$here/exif_orient.py" png src.png png_exif6.png 6

# WebP
q cwebp -quiet -lossless -exact src.png -o webp_lossless.webp
q cwebp -quiet -lossless -exact alpha.png -o webp_alpha.webp
q cwebp -quiet -q 90 src.png -o webp_lossy.webp
q dwebp -quiet webp_lossy.webp -o webp_lossy_twin.png
plain_png webp_lossy_twin.png
q img2webp -lossless src.png -lossless other.png -o webp_anim.webp
q python3 "$here/exif_orient.py" tiff - exif6.bin 6
q webpmux -set exif exif6.bin webp_lossless.webp -o webp_exif6.webp

# TIFF
q convert src.png -compress none tiff_rgb8.tif
q convert src.png -compress lzw tiff_lzw.tif
q convert src.png -compress zip tiff_zip.tif
q convert src16.png -compress zip tiff_rgb16.tif
q convert grey_src.png -type grayscale -compress lzw tiff_grey.tif
q convert pal_src.png -type palette -compress none tiff_palette.tif
q convert src.png -colorspace cmyk -compress lzw tiff_cmyk.tif
q convert tiff_cmyk.tif -colorspace sRGB -strip PNG24:tiff_cmyk_twin.png
q convert src16.png -colorspace cmyk -depth 16 -compress lzw tiff_cmyk16.tif
q convert tiff_cmyk16.tif -colorspace sRGB -depth 8 -strip PNG24:tiff_cmyk16_twin.png
q convert alpha.png -compress lzw tiff_alpha.tif
q convert src.png other.png -compress lzw tiff_pages.tif
q tiffcp -p separate tiff_lzw.tif tiff_planar.tif
q tiffcp -t -w 32 -l 32 tiff_lzw.tif tiff_tiled.tif
cp tiff_lzw.tif tiff_orient6.tif
q tiffset -s 274 6 tiff_orient6.tif

# GIF: a 200-colour palette, so the twin is exact
q convert pal_src.png gif_still.gif
q convert pal_src.png -interlace GIF gif_interlaced.gif
q convert -delay 10 pal_src.png other.png -loop 0 gif_anim.gif

# HEIF and AVIF (lossy; twin: libheif's own heif-convert)
q heif-enc -q 90 src.png -o heif.heic
q heif-convert heif.heic heif_twin.png
plain_png heif_twin.png
q heif-enc -q 90 alpha.png -o heif_alpha.heic
q heif-convert heif_alpha.heic heif_alpha_twin.png
plain_png heif_alpha_twin.png
q heif-enc -q 90 grey_src.png -o heif_grey.heic
q heif-convert heif_grey.heic heif_grey_twin.png
plain_png heif_grey_twin.png
q heif-enc -b 10 -q 90 src16.png -o heif_10bit.heic
q heif-convert heif_10bit.heic heif_10bit_twin.png
plain_png heif_10bit_twin.png
q heif-enc -A -q 90 src.png -o avif.avif
q heif-convert avif.avif avif_twin.png
plain_png avif_twin.png
# an EXIF orientation inside a HEIF file is not applied (the file has no
# irot box: the picture is shown as stored)
q convert src.png src.jpg
q python3 "$here/exif_orient.py" jpeg src.jpg src_exif6.jpg 6
q heif-enc -q 90 src_exif6.jpg -o heif_exif6.heic
q heif-convert heif_exif6.heic heif_exif6_twin.png
plain_png heif_exif6_twin.png
# an irot box (270 degrees anti-clockwise: a quarter turn clockwise) is
# applied (its twin: ImageMagick turning heif-convert's plain decode)
q python3 "$here/heif_irot.py" heif.heic heif_irot3.heic 3
q convert heif_twin.png -rotate 90 -strip PNG24:heif_irot3_twin.png

# JPEG XL: lossless (exact), lossy (twin: djxl), and a JPEG recompressed
# with its EXIF orientation 6 (djxl writes it turned upright)
q cjxl -d 0 src.png jxl_lossless.jxl
q cjxl -d 0 alpha.png jxl_alpha.jxl
q cjxl -d 0 grey_src.png jxl_grey.jxl
q cjxl -d 0 src16.png jxl_16bit.jxl
q cjxl -d 1 src.png jxl_lossy.jxl
q djxl jxl_lossy.jxl jxl_lossy_twin.png
plain_png jxl_lossy_twin.png
q cjxl src_exif6.jpg jxl_exif6.jxl
q djxl jxl_exif6.jxl jxl_exif6_twin.png
plain_png jxl_exif6_twin.png

# BMP
q convert src.png bmp3:bmp_rgb24.bmp
q convert src.png bmp2:bmp_os2.bmp
q convert pal_src.png -type palette bmp3:bmp_pal8.bmp
q convert pal_src.png -type palette -compress RLE bmp3:bmp_rle8.bmp
q convert src.png -define bmp:subtype=RGB565 bmp_rgb565.bmp
q convert bmp_rgb565.bmp -strip PNG24:bmp_rgb565_twin.png
q convert alpha.png -define bmp:format=bmp4 bmp_alpha32.bmp
q convert mono.png -monochrome -type bilevel bmp3:bmp_mono.bmp

# PNM
q convert src.png ppm_raw.ppm
q convert src.png -compress none ppm_plain.ppm
q convert src16.png ppm_raw16.ppm
q convert grey_src.png pgm_raw.pgm
q convert grey_src.png -compress none pgm_plain.pgm
q convert mono.png pbm_raw.pbm
q convert mono.png -compress none pbm_plain.pbm
q convert alpha.png pam_alpha.pam

# Kept for corruption tests: not an image, and an MP4-like ftyp file.
printf 'hello, this is text\n' > text.txt
printf '\0\0\0\030ftypisom\0\0\0\0isommp42' > video.mp4
echo ok > done
