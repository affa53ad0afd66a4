#!/bin/sh
# maso-eval copydetect: the ISC2021-style benchmark on 4 Kodak photos
# (small, for CI): its micro-AP and recall@1 recomputed independently here
# from the CSV of every (query, reference) distance; deterministic for a
# seed; vq finds mirrored and turned copies (orientations), and the
# weights fit of --out writes a weights file maso-eval reads back.
. "$(dirname "$0")/eval_common.sh"
mkdir -p "$work/photos"
for i in 01 04 08 23; do cp "$shared/images/kodak/kodim$i.png" "$work/photos/"; done
run() {
  "$eval_bin" copydetect "$work/photos" --size 128 "$@"
}
run --metric vq,dhash --csv "$work/a.csv" --markdown "$work/a.md" \
  --html "$work/a.html" --out "$work/w.txt" > "$work/a.txt" || fail "copydetect exit status $?"
run --metric dhash --csv "$work/b.csv" > /dev/null || fail "second run"
# --precision int8 codes through the int8 network: vq distances close to the
# fp32 run's (the codes differ in ~2 % of their units), not equal to them
run --metric vq --precision int8 --csv "$work/i8.csv" > /dev/null || fail "int8 run"
python3 - "$work/a.csv" "$work/i8.csv" <<'PY' || fail "int8 distances"
import csv, sys
def vq(path):
    return {(r["distorted"], r["reference"]): float(r["value"])
            for r in csv.DictReader(open(path)) if r["metric"] == "vq"}
a, b = vq(sys.argv[1]), vq(sys.argv[2])
assert a.keys() == b.keys() and a, (len(a), len(b))
diff = [abs(a[k] - b[k]) for k in a]
assert max(diff) > 0, "int8 distances equal fp32's: --precision ignored"
assert max(diff) < 0.05, max(diff)
PY
"$eval_bin" copydetect "$work/photos" --precision fp16 > /dev/null 2>&1 && fail "--precision fp16 accepted"
grep ",dhash," "$work/a.csv" > "$work/a2.csv"
grep ",dhash," "$work/b.csv" > "$work/b2.csv"
cmp -s "$work/a2.csv" "$work/b2.csv" || fail "two runs with one seed differ"
grep -q "synthetic edits, no human judgments" "$work/a.txt" || fail "stdout not labelled"
grep -q "<svg" "$work/a.html" || fail "no HTML report"
python3 - "$work" <<'PY' || fail "copydetect results: $(cat "$work/a.txt")"
import csv, re, sys
work = sys.argv[1]
rows = list(csv.DictReader(open(work + "/a.csv")))
edits = ["jpeg20", "half", "crop10", "crop25", "bright25", "blur3", "grey",
         "mirror", "rot90", "rot5", "border10", "left70"]
# 4 photos x 12 edits x 2 references x 2 metrics
assert len(rows) == 4 * 12 * 2 * 2, len(rows)
assert sorted({r["group"] for r in rows}) == sorted(edits)
table = {}
for line in open(work + "/a.txt"):
    m = re.match(r"^(micro-AP|recall@1(?: \w+)?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$", line)
    if m:
        table[m.group(1)] = [float(x) for x in m.group(2, 3, 4)]
assert len(table) == 14, table
for metric, col in (("vq", 0), ("dhash", 2)):
    queries = {}
    for r in rows:
        if r["metric"] == metric:
            queries.setdefault(r["distorted"], []).append((float(r["value"]), r["truth"] == "1"))
    preds, positives, hits, per = [], 0, 0, {}
    for q, refs in queries.items():
        refs.sort(key=lambda x: x[0])
        preds += refs[:10]
        edit = q.rsplit("#", 1)[1]
        has = any(t for _, t in refs)
        positives += has
        if has:
            own = [d for d, t in refs if t][0]
            hit = all(d > own for d, t in refs if not t)
            hits += hit
            per.setdefault(edit, []).append(hit)
    preds.sort(key=lambda x: (x[0], not x[1]))
    tp, ap = 0, 0.0
    for k, (_, t) in enumerate(preds):
        if t:
            tp += 1
            ap += tp / (k + 1)
    ap /= positives
    assert abs(ap - table["micro-AP"][col]) < 6e-4, (metric, ap, table["micro-AP"])
    assert abs(hits / positives - table["recall@1"][col]) < 6e-4, (metric, hits)
    for e in edits:
        want = sum(per[e]) / len(per[e])
        assert abs(want - table["recall@1 " + e][col]) < 6e-4, (metric, e, want)
# vq with orientations: the mirrored and turned copies are found
assert table["recall@1 mirror"][0] == 1 and table["recall@1 rot90"][0] == 1, table
PY
grep -q "^maso-weights 1" "$work/w.txt" || fail "weights file: $(head -3 "$work/w.txt")"
run --metric vq --weights "$work/w.txt" --limit 2 > "$work/w.out" || fail "reading the fitted weights back"
expect_error "no such folder" copydetect "$work/none"
expect_error "add it to --metric" copydetect "$work/photos" --metric dhash --out "$work/x.txt"
echo "eval_copydetect.sh: all checks passed"
