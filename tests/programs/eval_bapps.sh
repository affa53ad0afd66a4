#!/bin/sh
# maso-eval 2afc and jnd on tiny BAPPS-layout fixtures whose human answers
# are known by construction: every metric must agree with them, and the
# scores printed must be those recomputed from the per-pair CSV.
. "$(dirname "$0")/eval_common.sh"

"$eval_bin" 2afc "$fx/2afc/val" --csv "$work/2afc.csv" \
  --html "$work/2afc.html" --markdown "$work/2afc.md" > "$work/2afc.txt" ||
  fail "2afc exit status $?"
"$eval_bin" jnd "$fx/jnd/val" --metric vq,deep,l2,ssim \
  --csv "$work/jnd.csv" > "$work/jnd.txt" || fail "jnd exit status $?"

python3 - "$work" <<'PY' || fail "2afc/jnd results"
import csv, sys, re
work = sys.argv[1]

def table(path):
    """Rows of the printed table: name -> list of floats (or None)."""
    lines = open(path).read().splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith(" ") and l.split())
    cols = lines[head].split()
    rows = {}
    for l in lines[head + 1:]:
        if not l.strip():
            break
        parts = l.split()
        vals = parts[-len(cols):]
        rows[" ".join(parts[:-len(cols)])] = [None if v == "-" else float(v) for v in vals]
    return cols, rows

# --- 2AFC: recompute from the CSV, the LPIPS way -------------------------
rows = list(csv.DictReader(open(work + "/2afc.csv")))
assert rows and list(rows[0].keys())[:4] == ["reference", "distorted", "metric", "value"], rows[0].keys()
cols, tab = table(work + "/2afc.txt")
assert cols == ["vq", "deep", "l2", "psnr", "ssim", "dhash"], cols
higher = {"psnr", "ssim"}
per = {}
for r in rows:
    assert r["benchmark"] == "2afc"
    side = r["distorted"].split("/")[-2]
    key = (r["group"], r["metric"], r["reference"])
    d = float(r["value"])
    if r["metric"] in higher:
        d = -d
    per.setdefault(key, {})[side] = d
    per[key]["judge"] = float(r["truth"])
assert len(rows) == 2 * 8 * 6, len(rows)
subsets = sorted({k[0] for k in per})
assert subsets == ["blur", "noise"], subsets
means = {}
for m in cols:
    scores = []
    for s in subsets:
        credit = []
        for (g, mm, ref), v in per.items():
            if g != s or mm != m:
                continue
            if v["p0"] < v["p1"]:
                credit.append(1 - v["judge"])
            elif v["p1"] < v["p0"]:
                credit.append(v["judge"])
            else:
                credit.append(0.5)
        assert len(credit) == 4
        score = sum(credit) / len(credit)
        printed = tab["%s (n=4)" % s][cols.index(m)]
        assert abs(printed - score) < 6e-4, (m, s, printed, score)
        scores.append(score)
    mean = sum(scores) / len(scores)
    assert abs(tab["mean of 2 subsets"][cols.index(m)] - mean) < 6e-4
    means[m] = mean
# p0/p1 are level-1 vs level-5 of one distortion, and 1 or 0.75 of the
# people chose the mild one: a metric that always does scores 0.875; the
# 64-bit dhash may tie.
for m in ["vq", "deep", "l2", "psnr", "ssim"]:
    assert abs(means[m] - 0.875) < 1e-9, (m, means[m])
assert 0.5 <= means["dhash"] <= 0.875, means

# --- JND: mAP recomputed (sort by distance, VOC all-points AP) ------------
rows = list(csv.DictReader(open(work + "/jnd.csv")))
cols, tab = table(work + "/jnd.txt")
assert cols == ["vq", "deep", "l2", "ssim"], cols
for m in cols:
    pairs = [(float(r["value"]) * (-1 if m in higher else 1), float(r["truth"]))
             for r in rows if r["metric"] == m]
    assert len(pairs) == 8
    pairs.sort(key=lambda p: p[0])
    total = sum(s for _, s in pairs)
    tp = fp = 0.0
    prec, rec = [], []
    for d, s in pairs:
        tp += s; fp += 1 - s
        prec.append(tp / (tp + fp)); rec.append(tp / total)
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    ap, last = 0.0, 0.0
    for p, r in zip(prec, rec):
        if r != last:
            ap += (r - last) * p; last = r
    printed = tab["mix (n=8)"][cols.index(m)]
    assert abs(printed - ap) < 6e-4, (m, printed, ap)
    assert ap >= 0.99, (m, ap)  # level-1 noise vs level-5 distortions

# --- report files ----------------------------------------------------------
md = open(work + "/2afc.md").read()
assert "| mean of 2 subsets |" in md and "2AFC score" in md, md
from html.parser import HTMLParser
class Check(HTMLParser):
    void = {"meta", "br", "img", "hr", "input", "link", "rect", "polyline", "line"}
    def __init__(self):
        super().__init__(); self.stack = []; self.svg = 0
    def handle_starttag(self, tag, attrs):
        if tag == "svg": self.svg += 1
        if tag not in self.void: self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()
c = Check(); c.feed(open(work + "/2afc.html").read()); c.close()
assert not c.stack and c.svg >= 1, (c.stack, c.svg)
PY

# Errors name what is missing or wrong, with exit status 2.
cp -r "$fx/2afc/val/blur" "$work/nojudge"
rm -r "$work/nojudge/judge"
expect_error "nojudge/judge: missing folder" 2afc "$work/nojudge" --metric l2
cp -r "$fx/2afc/val/blur" "$work/short"
rm "$work/short/p1/000002.png"
expect_error "short/p1 holds 3 files but" 2afc "$work/short" --metric l2
cp -r "$fx/2afc/val/blur" "$work/renamed"
mv "$work/renamed/p0/000001.png" "$work/renamed/p0/000009.png"
expect_error "renamed/p0/000001.*: missing" 2afc "$work/renamed" --metric l2
cp -r "$fx/2afc/val/blur" "$work/badnpy"
printf 'not numpy' > "$work/badnpy/judge/000003.npy"
expect_error "badnpy/judge/000003.npy" 2afc "$work/badnpy" --metric l2
cp -r "$fx/2afc/val/blur" "$work/badpng"
printf 'not an image' > "$work/badpng/ref/000000.png"
expect_error "badpng/ref/000000.png" 2afc "$work/badpng" --metric l2
cp -r "$fx/jnd/val/mix" "$work/nosame"
rm -r "$work/nosame/same"
expect_error "nosame/same: missing folder" jnd "$work/nosame" --metric l2
mkdir -p "$work/empty"
expect_error "not a BAPPS 2AFC folder" 2afc "$work/empty" --metric l2
expect_error "/nonexistent/bapps: no such folder" 2afc /nonexistent/bapps
expect_error 'unknown metric "lpips"' 2afc "$fx/2afc/val" --metric l2,lpips
expect_error 'no coded layer named "fire99"' 2afc "$fx/2afc/val" --metric vq --layers conv1..fire99
echo "eval_bapps.sh: all checks passed"
