#!/bin/sh
# copy_defaults.sh -- the numbers behind maso's copy-detection defaults
# (README, "Finding copies"), for any photo folder:
#  1. maso-eval copydetect DIR (ISC2021-style micro-AP and recall@1 per
#     edit) with the defaults, then without orientations and without
#     border trimming, side by side;
#  2. a planted collection: DIR's photos and their 12 edited copies
#     (maso-eval copydetect --copies), indexed, grouped by
#     maso-query --duplicates at several thresholds: pair recall (pairs of
#     one photo's files in one group) and pair precision (pairs in a group
#     that are of one photo).
# usage: bench/copy_defaults.sh BUILD_DIR PHOTO_DIR [WORK_DIR]
# Not a test: it prints tables.  Run heavy: flock /tmp/maso-heavy.lock ...
set -eu
build=$1 photos=$2 work=${3:-/tmp/maso-copy-defaults}
eval_bin=$build/eval/maso-eval index=$build/indexer/maso-index
query=$build/query/maso-query
rm -rf "$work"
mkdir -p "$work/copies"
for mode in "" --no-orient --no-trim; do
    echo "## maso-eval copydetect $photos $mode"
    "$eval_bin" copydetect "$photos" --metric vq,dhash $mode
done
"$eval_bin" copydetect "$photos" --metric dhash --copies "$work/copies" > /dev/null
"$index" -q "$work/db" "$work/copies"
echo "## maso-query --duplicates on $(ls "$work/copies" | wc -l) files of $photos"
echo "| threshold | groups | pair recall | pair precision | missed pairs by edit |"
echo "| --- | --- | --- | --- | --- |"
for t in 0.1 0.15 0.2 0.25 0.3; do
    "$query" --duplicates --json --threshold "$t" "$work/db" > "$work/g_$t.json" || true
    python3 - "$work/g_$t.json" "$work/copies" "$t" <<'PY'
import json, os, sys, collections
edits = ["jpeg20", "half", "crop10", "crop25", "bright25", "blur3", "grey",
         "mirror", "rot90", "rot5", "border10", "left70"]
def photo(name):
    stem = os.path.splitext(os.path.basename(name))[0]
    for e in edits:
        if stem.endswith("_" + e):
            return stem[: -len(e) - 1], e
    return stem, None
files = [photo(f) for f in os.listdir(sys.argv[2])]
by = collections.Counter(p for p, _ in files)
truth = sum(n * (n - 1) // 2 for n in by.values())
group_of = {}
groups = [json.loads(l)["group"] for l in open(sys.argv[1])]
got = good = 0
for g, members in enumerate(groups):
    names = [photo(m) for m in members]
    for n in names:
        group_of[n] = g
    got += len(names) * (len(names) - 1) // 2
    c = collections.Counter(p for p, _ in names)
    good += sum(n * (n - 1) // 2 for n in c.values())
# copies not joined to their original, by edit
missed = collections.Counter(e for p, e in files
                             if e and group_of.get((p, e), -1) != group_of.get((p, None), -2))
print("| %s | %d | %.3f | %.3f | %s |" % (sys.argv[3], len(groups), good / truth,
      good / got if got else 1.0, ", ".join("%s %d" % kv for kv in sorted(missed.items()))))
PY
done
