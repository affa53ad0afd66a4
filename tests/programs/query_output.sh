#!/bin/sh
# maso-query DB IMAGE...: the table, JSON, TSV and HTML outputs, -k,
# --threshold, --include-self, --indexed, --layers/--weights/--explain,
# --exact, several stores searched as one, exit statuses and errors.
# usage: query_output.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 shared=$4 tmp="$5/query output"  # a space: paths are never split
rm -rf "$tmp"
mkdir -p "$tmp/a" "$tmp/b" "$tmp/q"
. "$(dirname "$0")/index_lib.sh"
k=$shared/images/kodak
cp "$k"/kodim0[1-6].png "$tmp/a"
cp "$k/kodim01.png" "$tmp/a/kodim01_copy.png"
cp "$k"/kodim0[7-9].png "$tmp/b"
cp "$k/kodim08.png" "$tmp/q/kodim08.png"
run_index 0 -q --full-codes "$tmp/dba" "$tmp/a"
run_index 0 -q "$tmp/dbb" "$tmp/b"

# run EXPECTED_STATUS ARGS...: maso-query, stdout in $tmp/out, stderr in
# $tmp/err.
run() {
    want=$1
    shift
    set +e
    "$query" "$@" > "$tmp/out" 2> "$tmp/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$tmp/err" >&2; fail "maso-query $*: exit status $got, expected $want"; }
}
json() { python3 -c "import json, sys; $1" "$tmp/out"; }

# The table: the query, a header, k aligned rows; the identical copy first
# at distance 0; the query file itself not listed.
run 0 -k 3 "$tmp/dba" "$tmp/a/kodim01.png"
[ "$(sed -n 1p "$tmp/out")" = "$tmp/a/kodim01.png" ] || fail "table: first line $(sed -n 1p "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^  rank  distance  path$" || fail "table header: $(cat "$tmp/out")"
[ "$(wc -l < "$tmp/out")" = 5 ] || fail "table: $(cat "$tmp/out")"
sed -n 3p "$tmp/out" | grep -q "^     1  0.000000  $tmp/a/kodim01_copy.png$" || fail "rank 1: $(cat "$tmp/out")"
! sed 1d "$tmp/out" | grep -q "/kodim01.png$" || fail "the query is listed as its own match"
awk 'NR > 2 { if (substr($0, 17, 3) != "  /") exit 1 }' "$tmp/out" || fail "columns not aligned: $(cat "$tmp/out")"

# JSON: one object per query; --include-self lists the query too.
run 0 --json -k 3 "$tmp/dba" "$tmp/a/kodim01.png" "$tmp/a/kodim02.png"
json '
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2
a, b = rows
assert a["query"].endswith("/a/kodim01.png") and a["measure"] == "code"
assert [m["rank"] for m in a["matches"]] == [1, 2, 3]
assert a["matches"][0]["path"].endswith("kodim01_copy.png") and a["matches"][0]["distance"] == 0
assert all(not m["path"].endswith("/kodim01.png") for m in a["matches"]), a
assert all(m["db"].endswith("/dba") for m in a["matches"])
assert all(not m["path"].endswith("/kodim02.png") for m in b["matches"]), b
' || fail "JSON: $(cat "$tmp/out")"
cp "$tmp/out" "$tmp/file.json"
run 0 --json -k 3 --include-self "$tmp/dba" "$tmp/a/kodim01.png"
json '
r = json.loads(open(sys.argv[1]).readline())
names = sorted(m["path"].rsplit("/", 1)[1] for m in r["matches"][:2])
assert names == ["kodim01.png", "kodim01_copy.png"], r
assert r["matches"][1]["distance"] == 0
' || fail "--include-self: $(cat "$tmp/out")"

# --indexed uses the stored code (as indexed, one orientation): same
# matches as coding the file again with --no-orient.  With the default
# eight orientations every rank's distance is at most that (a minimum over
# more probes).
run 0 --json -k 3 --no-orient "$tmp/dba" "$tmp/a/kodim01.png" "$tmp/a/kodim02.png"
cp "$tmp/out" "$tmp/plain.json"
python3 -c '
import json, sys
for o, p in zip(open(sys.argv[1]), open(sys.argv[2])):
    o, p = json.loads(o), json.loads(p)
    assert len(o["matches"]) == len(p["matches"]) == 3, (o, p)
    for a, b in zip(o["matches"], p["matches"]):
        assert a["distance"] <= b["distance"], (a, b)
' "$tmp/file.json" "$tmp/plain.json" || fail "orientations: $(cat "$tmp/file.json")"
run 0 --json -k 3 --indexed "$tmp/dba" "$tmp/a/kodim01.png" "$tmp/a/kodim02.png"
cmp -s "$tmp/out" "$tmp/plain.json" || fail "--indexed differs from the file query: $(cat "$tmp/out")"
run 2 --indexed "$tmp/dba" "$tmp/q/kodim08.png"
grep -q "$tmp/q/kodim08.png: not in the store" "$tmp/err" || fail "--indexed missing: $(cat "$tmp/err")"

# --threshold: only the copy is that close; none at all is exit status 1.
run 0 --json --threshold 0.01 "$tmp/dba" "$tmp/a/kodim01.png"
json 'r = json.loads(open(sys.argv[1]).readline()); assert len(r["matches"]) == 1, r'
run 1 --json --threshold 0.01 "$tmp/dba" "$tmp/a/kodim02.png"
json 'r = json.loads(open(sys.argv[1]).readline()); assert r["matches"] == [], r'
run 1 --threshold 0.01 "$tmp/dba" "$tmp/a/kodim02.png"
grep -q "(no match)" "$tmp/out" || fail "table without matches: $(cat "$tmp/out")"

# TSV: a header, one line per match.
run 0 --tsv -k 2 "$tmp/dba" "$tmp/a/kodim03.png" "$tmp/a/kodim04.png"
[ "$(sed -n 1p "$tmp/out")" = "$(printf 'query\trank\tdistance\tpath')" ] || fail "TSV header: $(cat "$tmp/out")"
[ "$(wc -l < "$tmp/out")" = 5 ] || fail "TSV lines: $(cat "$tmp/out")"
awk -F'\t' 'NR > 1 && (NF != 4 || $2 < 1 || $2 > 2) { exit 1 }' "$tmp/out" || fail "TSV rows: $(cat "$tmp/out")"

# --layers and --explain: the distance is the mean of the chosen layers';
# a weights file with one layer equals --layers with that layer.
run 0 --json --explain --layers conv1..pool1 "$tmp/dba" "$tmp/a/kodim05.png"
json '
r = json.loads(open(sys.argv[1]).readline())
for m in r["matches"]:
    assert sorted(m["layers"]) == ["conv1", "pool1"], m
    assert abs(m["distance"] - sum(m["layers"].values()) / 2) < 1e-12, m
' || fail "--layers/--explain: $(cat "$tmp/out")"
run 0 --json --layers fire9/expand3x3:2 "$tmp/dba" "$tmp/a/kodim05.png"
cp "$tmp/out" "$tmp/layers.json"
param=$(info "$tmp/dba" model | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["param_sha256"], m["bin_sha256"])')
printf '# test\nmaso-weights 1\nmodel %s\nfire9/expand3x3 0.5\n' "$param" > "$tmp/weights.txt"
run 0 --json --weights "$tmp/weights.txt" "$tmp/dba" "$tmp/a/kodim05.png"
cmp -s "$tmp/out" "$tmp/layers.json" || fail "--weights differs from --layers: $(cat "$tmp/out")"
run 2 --layers conv1,nosuchlayer "$tmp/dba" "$tmp/a/kodim05.png"
grep -q "nosuchlayer" "$tmp/err" || fail "bad --layers: $(cat "$tmp/err")"
run 2 --weights "$tmp/nonexistent.txt" "$tmp/dba" "$tmp/a/kodim05.png"
grep -q "nonexistent.txt" "$tmp/err" || fail "missing --weights: $(cat "$tmp/err")"

# --exact: same answer on a small store (exact scan already), full codes
# scanned when kept.
run 0 --json -k 5 "$tmp/dba" "$tmp/a/kodim06.png"
cp "$tmp/out" "$tmp/default.json"
run 0 --json -k 5 --exact "$tmp/dba" "$tmp/a/kodim06.png"
cmp -s "$tmp/out" "$tmp/default.json" || fail "--exact differs: $(cat "$tmp/out")"
run 0 --json -k 5 --candidates 5 "$tmp/dba" "$tmp/a/kodim06.png"
json 'r = json.loads(open(sys.argv[1]).readline()); assert len(r["matches"]) == 5, r'

# Several stores as one: --db twice, or --db-list.
run 0 --json -k 20 --db "$tmp/dba" --db "$tmp/dbb" "$tmp/q/kodim08.png"
cp "$tmp/out" "$tmp/two.json"
json '
r = json.loads(open(sys.argv[1]).readline())
assert r["measure"] == "sketch", r  # dbb keeps no full codes
m = r["matches"]
assert len(m) == 10, m
assert m[0]["path"].endswith("/b/kodim08.png") and m[0]["db"].endswith("/dbb") and m[0]["distance"] == 0, m[0]
assert sorted(x["db"].rsplit("/", 1)[1] for x in m).count("dba") == 7
' || fail "two stores: $(cat "$tmp/out")"
printf '# stores\n%s\n\n%s\n' "$tmp/dba" "$tmp/dbb" > "$tmp/dblist"
run 0 --json -k 20 --db-list "$tmp/dblist" "$tmp/q/kodim08.png"
cmp -s "$tmp/out" "$tmp/two.json" || fail "--db-list differs from --db: $(cat "$tmp/out")"

# Errors name the file and the cause; other queries still answered.
printf 'not an image\n' > "$tmp/q/notimage.png"
run 2 --json "$tmp/dba" "$tmp/q/notimage.png" "$tmp/q/missing.png" "$tmp/q/kodim08.png"
json '
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
assert rows[0]["query"].endswith("notimage.png") and "not an image format" in rows[0]["error"], rows[0]
assert rows[1]["query"].endswith("missing.png") and "missing.png" in rows[1]["error"], rows[1]
assert len(rows[2]["matches"]) == 7, rows[2]
' || fail "errors in JSON: $(cat "$tmp/out")"
grep -q "notimage.png" "$tmp/err" && grep -q "missing.png" "$tmp/err" || fail "stderr: $(cat "$tmp/err")"
run 2 "$tmp/nodb" "$tmp/q/kodim08.png"
grep -q "$tmp/nodb" "$tmp/err" || fail "missing store: $(cat "$tmp/err")"
mkdir -p "$tmp/model"
cp "$shared/models/squeezenet_v1.1"/* "$tmp/model"
echo >> "$tmp/model/squeezenet_v1.1.param"
run 2 --model "$tmp/model" "$tmp/dba" "$tmp/q/kodim08.png"
grep -q "another model" "$tmp/err" && grep -q "param" "$tmp/err" || fail "model mismatch: $(cat "$tmp/err")"
run 2 "$tmp/dba"
run 2 -k 0 "$tmp/dba" "$tmp/q/kodim08.png"
run 2 --threshold 2 "$tmp/dba" "$tmp/q/kodim08.png"

# --html: a self-contained page; Chromium renders it, and its DOM holds
# the thumbnails and the distances of the JSON output.
run 0 --json -k 3 --html "$tmp/page.html" "$tmp/dba" "$tmp/a/kodim01.png" "$tmp/q/kodim08.png"
! grep -q 'src="http\|src="file\|<script' "$tmp/page.html" || fail "page is not self-contained"
profile=$(mktemp -d)
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --dump-dom "file://$tmp/page.html" > "$tmp/dom.html" 2> "$tmp/chromium.err" \
    || { cat "$tmp/chromium.err" >&2; fail "chromium --dump-dom"; }
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --window-size=1100,900 --screenshot="$tmp/page.png" "file://$tmp/page.html" \
    > /dev/null 2>> "$tmp/chromium.err" || { cat "$tmp/chromium.err" >&2; fail "chromium --screenshot"; }
rm -rf "$profile"
[ -s "$tmp/page.png" ] || fail "no screenshot"
python3 - "$tmp/dom.html" "$tmp/out" <<'PY' || fail "HTML page"
import base64, json, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.fig = [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append({"query": a.get("data-query"), "figures": []})
        elif tag == "figure":
            self.fig = {"class": a["class"], "path": a.get("data-path"),
                        "rank": a.get("data-rank"), "distance": a.get("data-distance")}
            self.sections[-1]["figures"].append(self.fig)
        elif tag == "img":
            self.fig["src"] = a["src"]

def jpeg_size(data):
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", "not a JPEG"
    i = 2
    while True:
        assert data[i] == 0xFF
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length

page = Page()
page.feed(open(sys.argv[1]).read())
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len(page.sections) == len(rows) == 2, page.sections
for section, row in zip(page.sections, rows):
    assert section["query"] == row["query"]
    figs = section["figures"]
    assert figs[0]["class"] == "probe" and figs[0]["path"] == row["query"]
    matches = figs[1:]
    assert [f["path"] for f in matches] == [m["path"] for m in row["matches"]]
    assert [int(f["rank"]) for f in matches] == [1, 2, 3]
    for f, m in zip(matches, row["matches"]):
        assert abs(float(f["distance"]) - m["distance"]) < 1e-6, (f, m)
    for f in figs:
        prefix = "data:image/jpeg;base64,"
        assert f["src"].startswith(prefix), f["path"]
        w, h = jpeg_size(base64.b64decode(f["src"][len(prefix):]))
        assert max(w, h) == 160 and min(w, h) in (106, 107), (f["path"], w, h)
print("html: %d sections, %d thumbnails" % (len(page.sections),
      sum(len(s["figures"]) for s in page.sections)))
PY
echo "query_output.sh: all checks passed"
