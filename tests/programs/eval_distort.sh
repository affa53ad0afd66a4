#!/bin/sh
# maso-eval distort: labelled synthetic, deterministic for a seed, tables
# in markdown and HTML with SVG plots, CSV rows for every copy.
. "$(dirname "$0")/eval_common.sh"
photos=$fx/photos  # three 192 x 128 Kodak crops
run() {
  "$eval_bin" distort "$photos" --size 48 "$@"
}
# The model metrics are tested on the BAPPS and MOS fixtures; here the
# pixel metrics keep the test fast under the sanitizers.
run --metric l2,ssim,dhash --limit 2 --csv "$work/a.csv" --markdown "$work/d.md" \
  --html "$work/d.html" > "$work/d.txt" || fail "distort exit status $?"
# Determinism of the copies, seen through the metrics.
run --metric l2,dhash --limit 2 --csv "$work/b.csv" > /dev/null || fail "second run"
run --metric l2,dhash --limit 2 --csv "$work/c.csv" --seed 2 > /dev/null || fail "seed 2"
grep -v ",ssim," "$work/a.csv" > "$work/a2.csv"
cmp -s "$work/a2.csv" "$work/b.csv" || fail "two runs with one seed differ"
cmp -s "$work/b.csv" "$work/c.csv" && fail "seeds 1 and 2 give the same copies"
grep -q "synthetic, no human judgments" "$work/d.txt" || fail "stdout not labelled"
grep -q "synthetic, no human judgments" "$work/d.md" || fail "markdown not labelled"
python3 - "$work" <<'PY' || fail "distort results"
import csv, sys
work = sys.argv[1]
rows = list(csv.DictReader(open(work + "/a.csv")))
# 2 photos x 8 families x 5 levels x 3 metrics
assert len(rows) == 2 * 8 * 5 * 3, len(rows)
fams = sorted({r["group"] for r in rows})
assert fams == sorted(["blur", "noise", "jpeg", "resample", "crop",
                       "brightness", "color", "rotate"]), fams
for r in rows:
    assert r["distorted"].startswith(r["reference"] + "#" + r["group"] + ":")
    assert r["truth"] in "12345" and -1 <= float(r["value"])
# noise: every metric's distance grows with the level on average
for m in ("l2", "ssim"):
    by = {}
    for r in rows:
        if r["group"] == "noise" and r["metric"] == m:
            by.setdefault(int(r["truth"]), []).append(float(r["value"]))
    means = [sum(by[l]) / len(by[l]) for l in range(1, 6)]
    if m == "ssim":  # a similarity: falls as the noise grows
        means = [-x for x in means]
    assert means == sorted(means), (m, means)
md = open(work + "/d.md").read()
assert md.count("| mean |") == 2 and "| blur |" in md, md
html = open(work + "/d.html").read()
assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
assert html.count("<svg") == 2 + 8, html.count("<svg")  # 2 bar charts, 8 families
assert "<polyline" in html and "synthetic, no human judgments" in html
assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
PY
mkdir -p "$work/one"
cp "$photos/photo0.png" "$work/one/"
expect_error "one photo only" distort "$work/one" --metric l2
expect_error "/nonexistent/photos: no such folder" distort /nonexistent/photos
# without --limit every photo is used
"$eval_bin" distort "$photos" --size 48 --metric dhash --csv "$work/l.csv" \
  > /dev/null || fail "all photos: exit status"
[ "$(cut -d, -f1 "$work/l.csv" | sort -u | wc -l)" -eq 4 ] ||
  fail "not 3 references (+ header) without --limit"
echo "eval_distort.sh: all checks passed"
