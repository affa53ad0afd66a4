#!/bin/sh
# maso-query's orientation invariance: mirrored copies and copies turned by
# 90, 180 or 270 degrees (or mirrored about the diagonal) of Kodak photos,
# made by make_query_variants with pixel loops of its own, find their
# original at rank 1 among the 24 photos by default; --no-orient searches
# the query only as it is, with distances never smaller.
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
echo "query_orient.sh: all checks passed"
