#!/bin/sh
# maso-query --classify: text and JSON output, errors per file, exit status.
# usage: classify.sh MASO_QUERY SHARED_DIR TMPDIR
set -eu
query=$1 shared=$2 tmp=$3
images=$shared/images/classify
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$query" --classify "$images/bird.png") || fail "exit status $?"
echo "$out" | grep -q "chickadee" || fail "bird.png is not a chickadee: $out"

# JSON: one object per image, the layout of every coded layer.
printf 'not an image\n' > "$tmp/notimage.png"
set +e
"$query" --classify --json "$images/cat.png" "$tmp/notimage.png" "$images/dog.jpg" > "$tmp/classify.json"
status=$?
set -e
[ "$status" -eq 1 ] || fail "a failing file should give exit status 1, got $status"
python3 - "$tmp/classify.json" "$tmp/notimage.png" <<'PY' || fail "JSON output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
cat, bad, dog = rows
assert cat["image"].endswith("cat.png")
assert [t["index"] for t in cat["top5"]][0] == 285, cat["top5"]
assert abs(sum(t["prob"] for t in cat["top5"]) - 0.85) < 0.1
assert "Egyptian cat" in cat["top5"][0]["label"]
layers = cat["layers"]
assert len(layers) == 29, len(layers)
assert [l["kind"] for l in layers].count("maxpool") == 3
conv1 = layers[0]
assert conv1["name"] == "conv1" and conv1["shape"] == [64, 113, 113]
assert 0 < conv1["set"] < 64 * 113 * 113
assert layers[1]["name"] == "pool1" and layers[1]["kind"] == "maxpool"
assert bad["image"] == sys.argv[2] and "not an image format" in bad["error"], bad
assert dog["top5"][0]["index"] == 537, dog["top5"]
PY

# A missing model directory is an error (2) that names it.
set +e
msg=$("$query" --classify --model /nonexistent/model "$images/bird.png" 2>&1)
status=$?
set -e
[ "$status" -eq 2 ] || fail "missing model: exit status $status"
echo "$msg" | grep -q "/nonexistent/model" || fail "message does not name the model dir: $msg"
echo "classify.sh: all checks passed"
