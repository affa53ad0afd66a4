#!/bin/sh
# Ranking sanity: for every maso_eval_distort family, the distance of a
# distorted photo to its original grows with the distortion's level
# (equal allowed only when both are 0), on two Kodak photos (kodim08,
# busy; kodim23, smooth).
# usage: query_ranking.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 variants=$3 shared=$4 tmp=$5/query_ranking
rm -rf "$tmp"
mkdir -p "$tmp/orig"
. "$(dirname "$0")/index_lib.sh"
"$variants" "$shared/images/kodak" "$tmp/v" levels || fail "make_query_variants"
cp "$shared/images/kodak/kodim08.png" "$shared/images/kodak/kodim23.png" "$tmp/orig"
run_index 0 -q --full-codes "$tmp/db" "$tmp/orig"
"$query" --json -k 2 "$tmp/db" "$tmp/v/levels"/*.png > "$tmp/levels.json" \
    || fail "maso-query: exit status $?"
python3 - "$tmp/levels.json" <<'PY' || fail "distances do not grow with the level"
import collections, json, os, sys
dist = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r = json.loads(line)
    family, level, image = os.path.basename(r["query"])[:-4].split("_")
    own = [m["distance"] for m in r["matches"]
           if os.path.basename(m["path"]) == image + ".png"]
    assert len(own) == 1, r
    dist[family, image][int(level)] = own[0]
assert len(dist) == 16, sorted(dist)
ok = True
for (family, image), d in sorted(dist.items()):
    row = [d[l] for l in range(1, 6)]
    grows = all(b > a or a == b == 0 for a, b in zip(row, row[1:]))
    print("%-10s %s %s%s" % (family, image, " ".join("%.4f" % x for x in row),
                             "" if grows else "  <- not increasing"))
    ok &= grows
sys.exit(0 if ok else 1)
PY
echo "query_ranking.sh: all checks passed"
