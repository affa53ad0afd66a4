#!/bin/sh
# maso-eval mos on a tiny MOS list (scores fall with the distortion level):
# SRCC and KRCC recomputed from the per-pair CSV with an independent
# implementation; every metric agrees with the scores; errors name the
# file and the line.
. "$(dirname "$0")/eval_common.sh"

"$eval_bin" mos "$fx/mos/list.csv" --metric vq,vq-sketch,deep,l2,psnr,ssim \
  --csv "$work/mos.csv" --logistic 4 > "$work/mos.txt" || fail "mos exit status $?"
cp "$fx/mos/list.csv" "$work/dmos_list.csv"
python3 - "$work" "$fx" <<'PY' || fail "mos results"
import csv, sys, math
work, fx = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(work + "/mos.csv")))
lines = open(work + "/mos.txt").read().splitlines()
head = next(i for i, l in enumerate(lines) if l.startswith(" ") and l.split())
cols = lines[head].split()
tab = {l.split()[0]: [float(v) for v in l.split()[1:]] for l in lines[head + 1:head + 4]}
assert cols == ["vq", "vq-sketch", "deep", "l2", "psnr", "ssim"], cols

def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v); i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    return sxy / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))

def kendall_b(x, y):  # O(n^2) definition, independent of the C code
    c = d = tx = ty = 0
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = x[i] - x[j], y[i] - y[j]
            if a == 0 and b == 0: continue
            if a == 0: tx += 1
            elif b == 0: ty += 1
            elif a * b > 0: c += 1
            else: d += 1
    return (c - d) / math.sqrt((c + d + tx) * (c + d + ty))

for m in cols:
    sel = [r for r in rows if r["metric"] == m]
    assert len(sel) == 20, len(sel)
    assert all(r["reference"].endswith(".png") and "/ref/" in r["reference"] for r in sel)
    sign = -1 if m in ("psnr", "ssim") else 1
    x = [sign * float(r["value"]) for r in sel]
    s = [float(r["truth"]) for r in sel]
    srcc = -pearson(ranks(x), ranks(s))  # MOS: agreement is negative
    krcc = -kendall_b(x, s)
    i = cols.index(m)
    assert abs(tab["SRCC"][i] - srcc) < 6e-4, (m, tab["SRCC"][i], srcc)
    assert abs(tab["KRCC"][i] - krcc) < 6e-4, (m, tab["KRCC"][i], krcc)
    assert srcc > 0.6, (m, srcc)
    assert 0.6 < tab["PLCC"][i] <= 1.0, (m, tab["PLCC"])
PY

# vq-sketch estimates vq from the store's sketch (1024 sampled units per
# ReLU layer, 384 windows per max-pool layer): per layer the standard
# deviation is at most 0.5/sqrt(m), much less for the 29-layer mean.
python3 - "$work/mos.csv" <<'PY' || fail "vq-sketch values"
import csv, sys
v = {}
for r in csv.DictReader(open(sys.argv[1])):
    v.setdefault((r["reference"], r["distorted"]), {})[r["metric"]] = float(r["value"])
assert len(v) == 20
diffs = [abs(x["vq"] - x["vq-sketch"]) for x in v.values()]
assert max(diffs) < 0.02, max(diffs)
assert any(d > 0 for d in diffs)  # a sample, not the full code
assert all(x["vq-sketch"] > 0 for x in v.values())
PY

# One network run serves all the model metrics of an image: the values
# must be those of each metric run alone.
"$eval_bin" mos "$fx/mos/list.csv" --metric deep --csv "$work/deep.csv" \
  > /dev/null || fail "deep alone"
python3 - "$work/mos.csv" "$work/deep.csv" <<'PY' || fail "shared run"
import csv, sys
def vals(path, metric):
    return [r["value"] for r in csv.DictReader(open(path)) if r["metric"] == metric]
assert vals(sys.argv[1], "deep") == vals(sys.argv[2], "deep")
assert len(vals(sys.argv[2], "deep")) == 20
PY

# --scores dmos flips the orientation of SRCC and KRCC.
"$eval_bin" mos "$fx/mos/list.csv" --metric l2 --scores dmos > "$work/dmos.txt" ||
  fail "dmos exit status $?"
grep -q "^SRCC *-0\.[6-9]" "$work/dmos.txt" || fail "dmos: $(cat "$work/dmos.txt")"

printf 'reference,distorted\nref/r0.png,dist/r0_blur_1.png\n' > "$fx/mos/nosc.csv"
expect_error "nosc.csv:1:" mos "$fx/mos/nosc.csv" --metric l2
printf 'reference,distorted,score\nref/r0.png,dist/missing.png,3\n' > "$fx/mos/miss.csv"
expect_error "dist/missing.png" mos "$fx/mos/miss.csv" --metric l2
expect_error "/nonexistent/list.csv" mos /nonexistent/list.csv --metric l2
expect_error "--logistic" mos "$fx/mos/list.csv" --logistic 3
echo "eval_mos.sh: all checks passed"
