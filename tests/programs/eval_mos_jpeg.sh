#!/bin/sh
# maso-eval mos on the benchmark users build most: PNG references and JPEG
# copies of them (made here by ImageMagick at several qualities), and one
# JPEG reference with a PNG copy.  The pixel metrics compare both images at
# their full resolution: l2, psnr and ssim of every pair are recomputed by
# scikit-image and numpy on PNG twins of the JPEGs (decoded by ImageMagick,
# not by maso).  The network metric codes the images as maso-index does
# whatever other metrics run beside it.
. "$(dirname "$0")/eval_common.sh"

magick=/usr/bin/convert
[ -x "$magick" ] || fail "ImageMagick's convert is missing (Debian's imagemagick)"
mj=$work/mixed
mkdir -p "$mj"
cp "$shared/images/kodak/kodim01.png" "$shared/images/kodak/kodim04.png" "$mj/"
for k in kodim01 kodim04; do # 768x512 and 512x768: DCT-scalable sizes
  for q in 15 35 60 90; do
    "$magick" "$mj/$k.png" -quality $q "$mj/${k}_q$q.jpg" || fail "convert $k q$q"
  done
done
# a JPEG reference and a PNG copy of it (a blur of the JPEG's pixels)
"$magick" "$mj/kodim01.png" -quality 95 "$mj/ref01.jpg" || fail "convert ref01"
"$magick" "$mj/ref01.jpg" -blur 0x1.5 "$mj/ref01_blur.png" || fail "convert blur"
{
  echo "reference,distorted,score"
  for k in kodim01 kodim04; do
    echo "$k.png,${k}_q15.jpg,2.0"
    echo "$k.png,${k}_q35.jpg,3.1"
    echo "$k.png,${k}_q60.jpg,4.2"
    echo "$k.png,${k}_q90.jpg,5.5"
  done
  echo "ref01.jpg,ref01_blur.png,3.5"
} > "$mj/list.csv"

"$eval_bin" mos "$mj/list.csv" --metric l2,psnr,ssim,vq --csv "$work/mixed.csv" \
  > "$work/mixed.txt" 2> "$work/mixed.err" ||
  fail "mos on PNG references and JPEG copies: exit status $?: $(cat "$work/mixed.err")"
"$eval_bin" mos "$mj/list.csv" --metric vq --csv "$work/vq.csv" > /dev/null ||
  fail "mos vq alone"

# PNG twins of every JPEG, by ImageMagick's decoder
for j in "$mj"/*.jpg; do
  "$magick" "$j" "${j%.jpg}.twin.png" || fail "convert $j to PNG"
done

/usr/bin/python3 - "$mj" "$work/mixed.csv" "$work/vq.csv" <<'PY' || fail "mixed-format values"
import csv, math, os, sys
import numpy as np
from skimage import io
from skimage.metrics import structural_similarity
mj, mixed, alone = sys.argv[1:4]

def pixels(name):
    path = os.path.join(mj, name)
    if name.endswith(".jpg"):
        path = path[:-4] + ".twin.png"
    a = io.imread(path).astype(np.float64)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    return a[..., :3]

rows = list(csv.DictReader(open(mixed)))
pairs = {}
for r in rows:
    pairs.setdefault((r["reference"], r["distorted"]), {})[r["metric"]] = float(r["value"])
assert len(pairs) == 9, len(pairs)
for (ref, dist), v in pairs.items():
    a, b = pixels(os.path.basename(ref)), pixels(os.path.basename(dist))
    assert a.shape == b.shape and a.shape[0] >= 512, (ref, dist, a.shape, b.shape)
    mse = float(np.mean((a - b) ** 2))
    psnr = 10 * math.log10(255 ** 2 / mse)
    luma = lambda x: x @ np.array([0.299, 0.587, 0.114])
    ssim = structural_similarity(luma(a), luma(b), gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False,
                                 data_range=255)
    assert mse > 1, (ref, dist, mse)  # real differences, not a decode at 1/8
    assert abs(v["l2"] - mse) <= 1e-6 * mse + 1e-9, (ref, dist, v["l2"], mse)
    assert abs(v["psnr"] - psnr) < 1e-6, (ref, dist, v["psnr"], psnr)
    assert abs(v["ssim"] - ssim) < 1e-6, (ref, dist, v["ssim"], ssim)
    assert 0 < v["vq"] < 0.5, (ref, dist, v["vq"])
# the pixel metrics' full-size decode leaves the network's input alone
vq = {(r["reference"], r["distorted"]): r["value"]
      for r in csv.DictReader(open(alone))}
for r in rows:
    if r["metric"] == "vq":
        assert r["value"] == vq[(r["reference"], r["distorted"])], r
PY
grep -q "^ *l2 *psnr *ssim *vq" "$work/mixed.txt" ||
  fail "mixed-format table: $(cat "$work/mixed.txt")"
# A pixel metric on images of different sizes: the message names the pair,
# the metric and both sizes (as ImageMagick reads them); vq compares them.
"$magick" "$mj/kodim01.png" -resize 50% "$mj/kodim01_half.png" || fail "convert half"
printf 'reference,distorted,score\nkodim01.png,kodim01_half.png,3.0\n' > "$mj/sizes.csv"
"$eval_bin" mos "$mj/sizes.csv" --metric vq > /dev/null 2> "$work/sizes.err" ||
  fail "mos vq on two sizes: $(cat "$work/sizes.err")"
if "$eval_bin" mos "$mj/sizes.csv" --metric l2 > /dev/null 2> "$work/sizes.err"; then
  fail "mos l2 on images of two sizes succeeded"
fi
want=$(/usr/bin/identify -format '%wx%h ' "$mj/kodim01.png" "$mj/kodim01_half.png")
set -- $want
grep -q "kodim01.png vs .*kodim01_half.png (line 2): metric l2 compares images of one size, these are $1 and $2" \
  "$work/sizes.err" || fail "size mismatch message: $(cat "$work/sizes.err") (sizes $want)"
echo "eval_mos_jpeg.sh: all checks passed"
