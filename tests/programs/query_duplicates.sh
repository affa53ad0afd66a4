#!/bin/sh
# maso-query --duplicates: a folder of unrelated Kodak photos with planted
# near-duplicate groups (re-encoded, resized, blurred, brightened, cropped
# copies) gives exactly the planted groups, in every output format and
# across two stores searched as one.
# usage: query_duplicates.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 variants=$3 shared=$4 tmp=$5/query_duplicates
rm -rf "$tmp"
mkdir -p "$tmp/extra"
. "$(dirname "$0")/index_lib.sh"
"$variants" "$shared/images/kodak" "$tmp/v" mixed || fail "make_query_variants"
run_index 0 -q "$tmp/db" "$tmp/v/mixed"

check_groups() { # FILE EXPECTED_GROUPS_FILE
    python3 - "$1" "$2" <<'PY'
import json, os, sys
got = sorted(sorted(os.path.basename(p) for p in json.loads(l)["group"])
             for l in open(sys.argv[1]))
want = sorted(l.split() for l in open(sys.argv[2]) if l.strip())
assert got == want, (got, want)
for l in open(sys.argv[1]):
    assert 0 <= json.loads(l)["max_distance"] <= 0.2, l
PY
}

set +e
"$query" --duplicates --json "$tmp/db" > "$tmp/groups.json"
status=$?
set -e
[ "$status" -eq 0 ] || fail "exit status $status"
check_groups "$tmp/groups.json" "$tmp/v/mixed_groups.txt" || fail "groups: $(cat "$tmp/groups.json")"

# Text: a heading per group, one line per member (role, distance to the
# kept one, WxH, size, date, path), a summary line.
"$query" --duplicates "$tmp/db" > "$tmp/groups.txt"
[ "$(grep -c '^group [0-9]*: ' "$tmp/groups.txt")" = 3 ] || fail "text: $(cat "$tmp/groups.txt")"
[ "$(grep -c '^  keep  ' "$tmp/groups.txt")" = 3 ] || fail "text keep: $(cat "$tmp/groups.txt")"
[ "$(grep -c '^  duplicate  ' "$tmp/groups.txt")" = 6 ] || fail "text members: $(cat "$tmp/groups.txt")"
grep -q "^  keep  *0\.000000  *768x512 .*  $tmp/v/mixed/kodim13.png\$" "$tmp/groups.txt" || fail "text: $(cat "$tmp/groups.txt")"
tail -1 "$tmp/groups.txt" | grep -q "^3 groups, 9 images, 6 duplicates .*nothing changed" || fail "text summary: $(tail -1 "$tmp/groups.txt")"
# TSV: one line per member with its group number.
"$query" --duplicates --tsv "$tmp/db" > "$tmp/groups.tsv"
[ "$(wc -l < "$tmp/groups.tsv")" = 10 ] || fail "TSV: $(cat "$tmp/groups.tsv")"
[ "$(cut -f1 "$tmp/groups.tsv" | sed 1d | sort -u | tr '\n' ' ')" = "1 2 3 " ] || fail "TSV groups: $(cat "$tmp/groups.tsv")"
[ "$(head -1 "$tmp/groups.tsv")" = "$(printf 'group\tmax_distance\tpath\trole\tsize\twidth\theight\tmtime\tdistance\taction\toutcome\tto')" ] || fail "TSV header"

# A tiny threshold: no group, exit status 1.
set +e
"$query" --duplicates --threshold 0.001 "$tmp/db" > "$tmp/none.txt"
status=$?
set -e
[ "$status" -eq 1 ] && [ ! -s "$tmp/none.txt" ] || fail "threshold 0.001: status $status, $(cat "$tmp/none.txt")"

# A second store with another copy of kodim13: it joins group 1.
cp "$tmp/v/mixed/kodim13_q60.jpg" "$tmp/extra/kodim13_again.jpg"
cp "$shared/images/classify/cat.png" "$tmp/extra/cat.png"
run_index 0 -q "$tmp/db2" "$tmp/extra"
sed 's/^kodim13.png /kodim13.png kodim13_again.jpg /' "$tmp/v/mixed_groups.txt" > "$tmp/groups2.txt"
"$query" --duplicates --json --db "$tmp/db" --db "$tmp/db2" > "$tmp/groups2.json" || fail "two stores: exit status $?"
check_groups "$tmp/groups2.json" "$tmp/groups2.txt" || fail "two stores: $(cat "$tmp/groups2.json")"

# --html: one section per group, one thumbnail per member.
"$query" --duplicates --html "$tmp/dupes.html" "$tmp/db" > /dev/null || fail "--html"
[ "$(grep -c '<section class="group"' "$tmp/dupes.html")" = 3 ] || fail "html sections"
[ "$(grep -c 'src="data:image/jpeg;base64,' "$tmp/dupes.html")" = 9 ] || fail "html thumbnails"
# Each group marks its kept member and shows every member's numbers.
[ "$(grep -c '<figure class="member keep" data-path="[^"]*" data-role="keep" data-distance="0.000000" data-size="[0-9]*" data-mtime="[0-9]*" data-width="[0-9]*" data-height="[0-9]*"' "$tmp/dupes.html")" = 3 ] || fail "html kept members"
grep -q "768x512 &middot; " "$tmp/dupes.html" && grep -q "<span class=\"path\">$tmp/v/mixed/kodim13_half.png</span>" "$tmp/dupes.html" || fail "html captions"
# No group: the page says so (and exit status 1).
set +e
"$query" --duplicates --threshold 0.001 --html "$tmp/none.html" "$tmp/db" > /dev/null
status=$?
set -e
[ "$status" = 1 ] && grep -q "No near-duplicate groups" "$tmp/none.html" || fail "html without groups: $status"
# --html-append adds to a page maso-query wrote, and refuses other files.
"$query" --html-append "$tmp/dupes.html" "$tmp/db" "$tmp/v/mixed/kodim01.png" > /dev/null || fail "--html-append"
[ "$(grep -c '<section class="group"' "$tmp/dupes.html")" = 3 ] && [ "$(grep -c '<section class="query"' "$tmp/dupes.html")" = 1 ] && [ "$(grep -c '</html>' "$tmp/dupes.html")" = 1 ] || fail "--html-append sections"
echo "not a page" > "$tmp/other.html"
set +e
"$query" --html-append "$tmp/other.html" "$tmp/db" "$tmp/v/mixed/kodim01.png" > /dev/null 2> "$tmp/err"
status=$?
set -e
[ "$status" = 2 ] && grep -q "not a page written by maso-query" "$tmp/err" && [ "$(cat "$tmp/other.html")" = "not a page" ] || fail "--html-append other file: $status $(cat "$tmp/err")"

# Components equal to all pairs: for several thresholds, --duplicates
# --no-orient (all pairs, automatic, and summary candidates) against the
# components of the pairs an exact search of every image finds within the
# threshold (--indexed: the stored sketch as it is).  With orientations
# (the default; test_engine compares them with all pairs of the 16
# orientation pairs) every such group lies inside one group.
ls "$tmp/v/mixed"/* "$tmp/extra"/* > "$tmp/all.txt"
for t in 0.1 0.2 0.3 0.45; do
    xargs "$query" --indexed --exact --include-self -k 100 --threshold "$t" --json \
        --layers fire6/squeeze1x1..conv10 \
        --db "$tmp/db" --db "$tmp/db2" < "$tmp/all.txt" > "$tmp/pairs_$t.json" || true
    for mode in --exact --candidates=0 "" --candidates=40; do
        set +e
        "$query" --duplicates --no-orient $mode --threshold "$t" --json --db "$tmp/db" --db "$tmp/db2" > "$tmp/g_$t.json"
        status=$?
        set -e
        [ "$status" -le 1 ] || fail "--duplicates $mode --threshold $t: status $status"
        python3 - "$tmp/pairs_$t.json" "$tmp/g_$t.json" "$t" <<'PY' || fail "components at $t ($mode)"
import json, sys
parent = {}
def root(x):
    while parent.setdefault(x, x) != x:
        x = parent[x]
    return x
n_pairs = 0
for l in open(sys.argv[1]):
    q = json.loads(l)
    if "matches" not in q:
        continue
    for m in q["matches"]:
        a, b = root(q["query"]), root(m["path"])
        if a != b:
            parent[a] = b
            n_pairs += 1
comp = {}
for x in list(parent):
    comp.setdefault(root(x), set()).add(x)
want = sorted(sorted(c) for c in comp.values() if len(c) > 1)
got = sorted(sorted(json.loads(l)["group"]) for l in open(sys.argv[2]))
assert got == want, (sys.argv[3], got, want)
print(sys.argv[3], len(got), "groups,", sum(map(len, got)), "images", file=sys.stderr)
PY
    done
    set +e
    "$query" --duplicates --threshold "$t" --json --db "$tmp/db" --db "$tmp/db2" > "$tmp/go_$t.json"
    status=$?
    set -e
    [ "$status" -le 1 ] || fail "--duplicates --threshold $t: status $status"
    python3 - "$tmp/g_$t.json" "$tmp/go_$t.json" <<'PY' || fail "oriented groups at $t"
import json, sys
plain = [set(json.loads(l)["group"]) for l in open(sys.argv[1])]
oriented = [set(json.loads(l)["group"]) for l in open(sys.argv[2])]
assert all(any(g <= o for o in oriented) for g in plain), (plain, oriented)
PY
done

# Usage errors.
set +e
"$query" --duplicates "$tmp/db" "$tmp/v/mixed/kodim01.png" 2> "$tmp/err"
status=$?
set -e
[ "$status" -eq 2 ] && grep -q "stores only" "$tmp/err" || fail "--duplicates with an image: $status $(cat "$tmp/err")"
echo "query_duplicates.sh: all checks passed"
