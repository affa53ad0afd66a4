#!/bin/sh
# maso-query copy detection on the Kodak set: every photo, after each of
# the five copy distortions (JPEG quality 30, half size, 5% crop, +10%
# brightness, Gaussian blur sigma 1), finds its original at rank 1.
# Prints recall@1 per distortion, for a sketch-only store and (on the two
# hardest distortions, to keep the test short) a store with full codes,
# whose distances are then exact.
# usage: query_quality.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 variants=$3 shared=$4 tmp=$5/query_quality
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/index_lib.sh"
"$variants" "$shared/images/kodak" "$tmp/v" copies || fail "make_query_variants"
run_index 0 -q "$tmp/db" "$shared/images/kodak"
run_index 0 -q --full-codes "$tmp/dbfull" "$shared/images/kodak"

for f in jpeg30 half crop5 bright10 blur1; do
    "$query" --json -k 3 "$tmp/db" "$tmp/v/copies/$f"/* > "$tmp/db.$f.json" \
        || fail "maso-query $f: exit status $?"
done
for f in jpeg30 crop5; do
    "$query" --json -k 3 "$tmp/dbfull" "$tmp/v/copies/$f"/* > "$tmp/dbfull.$f.json" \
        || fail "maso-query full codes $f: exit status $?"
done

python3 - "$tmp" <<'PY' || fail "recall@1"
import json, os, sys
tmp = sys.argv[1]
stem = lambda p: os.path.basename(p).split(".")[0]
ok = True
for name in sorted(f for f in os.listdir(tmp) if f.endswith(".json")):
    store, family, _ = name.split(".")
    rows = [json.loads(l) for l in open(os.path.join(tmp, name))]
    assert len(rows) == 24, (name, len(rows))
    hits = sum(stem(r["matches"][0]["path"]) == stem(r["query"]) for r in rows)
    own = max(r["matches"][0]["distance"] for r in rows)
    other = min(r["matches"][1]["distance"] for r in rows)
    assert all(r["measure"] == ("code" if store == "dbfull" else "sketch") for r in rows)
    # Ranks are 1..k and distances do not decrease.
    for r in rows:
        assert [m["rank"] for m in r["matches"]] == [1, 2, 3], r
        d = [m["distance"] for m in r["matches"]]
        assert d == sorted(d) and 0 <= d[0] and d[-1] <= 1, r
    print("recall@1 %-6s %-8s %.3f (%d/24)  worst own distance %.4f, "
          "nearest other %.4f" % (store, family, hits / 24, hits, own, other))
    ok &= hits == 24
sys.exit(0 if ok else 1)
PY
echo "query_quality.sh: all checks passed"
