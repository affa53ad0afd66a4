#!/bin/sh
# maso-query's orientation invariance: mirrored copies and copies turned by
# 90, 180 or 270 degrees (or mirrored about the diagonal) of Kodak photos,
# made by make_query_variants with pixel loops of its own, find their
# original at rank 1 among the 24 photos by default; --no-orient searches
# the query only as it is, with distances never smaller.  Indexed beside
# the photos, each copy falls in its original's --duplicates group by
# default (the orientation sketches maso-index keeps) and in none with
# --no-orient or in a store indexed with maso-index --no-orient (which
# --duplicates then says once).
# usage: query_orient.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 variants=$3 shared=$4 tmp=$5/query_orient
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/index_lib.sh"
"$variants" "$shared/images/kodak" "$tmp/v" orient || fail "make_query_variants"
run_index 0 -q "$tmp/db" "$shared/images/kodak"
ls "$tmp/v/orient"/kodim0[1-8]_*.png > "$tmp/queries.txt"
[ "$(wc -l < "$tmp/queries.txt")" = 40 ] || fail "variants: $(cat "$tmp/queries.txt")"
xargs "$query" --json -k 1 "$tmp/db" < "$tmp/queries.txt" > "$tmp/orient.json" || fail "query: status $?"
xargs "$query" --json -k 1 --no-orient "$tmp/db" < "$tmp/queries.txt" > "$tmp/plain.json" || fail "--no-orient: status $?"
python3 - "$tmp/orient.json" "$tmp/plain.json" <<'PY' || fail "orientations: $(cat "$tmp/orient.json")"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
plain = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == len(plain) == 40
found = found_plain = 0
for r, p in zip(rows, plain):
    want = os.path.basename(r["query"]).split("_")[0] + ".png"
    got = os.path.basename(r["matches"][0]["path"])
    assert got == want, (r["query"], got, r["matches"][0]["distance"])
    assert r["matches"][0]["distance"] <= p["matches"][0]["distance"], (r, p)
    found_plain += os.path.basename(p["matches"][0]["path"]) == want
print("rank 1: 40/40 with orientations, %d/40 without" % found_plain)
PY
# Grouping: the photos and 5 turned or mirrored copies of each of 8.
mkdir -p "$tmp/mixed"
cp "$shared/images/kodak"/*.png "$tmp/mixed/"
cp "$tmp/v/orient"/kodim0[1-8]_*.png "$tmp/mixed/"
run_index 0 -q "$tmp/dbo" "$tmp/mixed"
run_index 0 -q --no-orient "$tmp/dbn" "$tmp/mixed"
for mode in oriented plain old; do
    case $mode in
    oriented) set -- "$tmp/dbo" ;;
    plain) set -- --no-orient "$tmp/dbo" ;;
    old) set -- "$tmp/dbn" ;;
    esac
    set +e
    "$query" --duplicates --json "$@" > "$tmp/g_$mode.json" 2> "$tmp/err_$mode"
    status=$?
    set -e
    [ "$status" -le 1 ] || fail "--duplicates $mode: status $status"
done
grep -q "64 of 64 images were indexed without their mirrored and turned sketches.*maso-index --rescan adds them" "$tmp/err_old" || fail "no word on the old store: $(cat "$tmp/err_old")"
[ ! -s "$tmp/err_oriented" ] && [ ! -s "$tmp/err_plain" ] || fail "stderr: $(cat "$tmp/err_oriented" "$tmp/err_plain")"
python3 - "$tmp/g_oriented.json" "$tmp/g_plain.json" "$tmp/g_old.json" <<'PY' || fail "groups: $(cat "$tmp/g_oriented.json")"
import json, os, sys
def groups(f):
    return [sorted(os.path.basename(p) for p in json.loads(l)["group"]) for l in open(f)]
turns = ["mirror", "rot180", "rot270", "rot90", "transpose"]
want = sorted(sorted(["kodim0%d.png" % i] + ["kodim0%d_%s.png" % (i, v) for v in turns])
              for i in range(1, 9))
got = sorted(groups(sys.argv[1]))
assert got == want, (got, want)
# the distance grouping reports is that of the orientation pairs: near 0
# for an exact turn or mirror of a PNG (as it is: 0.2 and more)
for l in open(sys.argv[1]):
    for m in json.loads(l)["members"]:
        assert m["distance"] < 0.05, m
for f in sys.argv[2:]:
    joined = sum(len(g) for g in groups(f))
    assert joined < 16, (f, groups(f))  # a copy as it is: rarely near
print("duplicates: 8 groups of 6 with orientations; %d and %d images grouped without"
      % tuple(sum(len(g) for g in groups(f)) for f in sys.argv[2:]))
PY
echo "query_orient.sh: all checks passed"
