#!/bin/sh
# maso-index --shards without MPI: a sharded index holds exactly what one
# store of the same files holds (store_dump, sorted by path: records,
# sizes, mtimes, sketch digests, failure reasons), each record in the shard
# its path hashes to; reruns and incremental runs find every file; the
# number of shards is fixed; --shard-dir with the host; a moved shard
# (manifest edited) is found again; kill -9 and rerun; --info and the
# search over the shards (the same as a --db list of them); a missing
# shard is an error naming it, --allow-partial answers from the others.
# usage: index_sharded.sh MASO_INDEX MASO_QUERY STORE_DUMP SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
dump=$3
start_test index_sharded "$1" "$2" "$4" "$5"
photos "$tmp/photos" 30
printf 'not an image' > "$tmp/photos/broken.png"

# The reference: one store, one process.
run_index 1 -q "$tmp/ref" "$tmp/photos"
"$dump" "$tmp/ref" > "$tmp/ref.txt"
[ "$(wc -l < "$tmp/ref.txt")" -eq 31 ] || fail "reference holds $(wc -l < "$tmp/ref.txt") records"

run_index 1 --shards 3 "$tmp/db" "$tmp/photos"
[ "$(summary indexed)" = 30 ] || fail "sharded run: $(cat "$tmp/err")"
grep -q "3 shards, 30 images" "$tmp/err" || fail "summary: $(cat "$tmp/err")"
"$dump" "$tmp/db" > "$tmp/db.txt" || fail "store_dump (or a misplaced record)"
cmp "$tmp/ref.txt" "$tmp/db.txt" || fail "sharded contents differ from one store's"
grep -q '^shards 3$' "$tmp/db/manifest" || fail "manifest: $(cat "$tmp/db/manifest")"
# Every shard is an ordinary store, and each got some files.
for s in 000 001 002; do
    n=$(info "$tmp/db/shard-$s" records)
    [ "$n" -gt 0 ] || fail "shard $s holds $n records"
done

# Rerun: the good files skipped, the failed one retried (and failing again:
# exit 1), as in one store.
run_index 1 "$tmp/db" "$tmp/photos"
[ "$(summary indexed)" = 0 ] && [ "$(summary skipped)" = 30 ] && [ "$(summary failed)" = 1 ] || fail "rerun: $(cat "$tmp/err")"
# Incremental: new files go to their shards.
photos "$tmp/more" 5
run_index 0 "$tmp/db" "$tmp/more"
[ "$(summary indexed)" = 5 ] || fail "incremental: $(cat "$tmp/err")"
run_index 0 "$tmp/ref" "$tmp/more"
"$dump" "$tmp/ref" > "$tmp/ref.txt"
"$dump" "$tmp/db" > "$tmp/db.txt"
cmp "$tmp/ref.txt" "$tmp/db.txt" || fail "after the incremental run"

# S is fixed; a single store is not made sharded.
run_index 2 --shards 4 "$tmp/db" "$tmp/more"
grep -q "has 3 shards, not 4" "$tmp/err" || fail "--shards 4: $(cat "$tmp/err")"
run_index 2 --shards 2 "$tmp/ref" "$tmp/more"
grep -q "is a single store" "$tmp/err" || fail "--shards on a store: $(cat "$tmp/err")"
run_index 2 --shards 2 --shard-dir "$tmp/x/%h" "$tmp/new" "$tmp/more"
grep -q "must name the shard number" "$tmp/err" || fail "template: $(cat "$tmp/err")"

# --info: totals and one entry per shard.
"$query" --info --json --check "$tmp/db" > "$tmp/info.json"
python3 - "$tmp/info.json" <<'PY' || fail "--info: $(cat "$tmp/info.json")"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["records"] == 36 and i["indexed"] == 35 and i["failed"] == 1, i
assert i["partial"] is False and i["check"] == "ok", i
assert [s["shard"] for s in i["shards"]] == [0, 1, 2], i["shards"]
assert sum(s["indexed"] for s in i["shards"]) == 35
assert all(s["check"] == "ok" and s["host"] == "*" for s in i["shards"])
assert [f["path"].rsplit("/", 1)[1] for f in i["failures"]] == ["broken.png"]
PY

# Search: the sharded DB answers as the --db list of its shards.
q="$tmp/photos/img3.png"
set +e
"$query" --json -k 5 "$tmp/db" "$q" > "$tmp/s1.json"; s1=$?
"$query" --json -k 5 --db "$tmp/db/shard-000" --db "$tmp/db/shard-001" \
    --db "$tmp/db/shard-002" "$q" > "$tmp/s2.json"; s2=$?
"$query" --json -k 5 "$tmp/ref" "$q" > "$tmp/s3.json"
"$query" --duplicates --json "$tmp/db" > "$tmp/d1.json"; d1=$?
"$query" --duplicates --json "$tmp/ref" > "$tmp/d2.json"; d2=$?
set -e
[ $s1 -eq 0 ] && [ $s2 -eq 0 ] || fail "search: exit $s1 $s2"
cmp "$tmp/s1.json" "$tmp/s2.json" || fail "sharded search differs from the --db list"
# The photos are cycled copies: duplicates exist, and shards change
# nothing (groups are sorted by path).
[ $d1 -eq 0 ] && [ $d2 -eq 0 ] || fail "duplicates: exit $d1 $d2"
cmp "$tmp/d1.json" "$tmp/d2.json" || fail "duplicates differ from one store's"
python3 - "$tmp/s1.json" "$tmp/s3.json" <<'PY' || fail "search against one store"
import json, sys
# Equal distances are ordered by id, and ids differ between layouts.
a, b = (json.loads(open(f).readline()) for f in sys.argv[1:])
assert sorted((m["distance"], m["path"]) for m in a["matches"]) == \
       sorted((m["distance"], m["path"]) for m in b["matches"]), (a, b)
PY

# --shard-dir with the host: node-local folders, recorded in the manifest.
host=$(hostname)
run_index 0 --shards 2 --shard-dir "$tmp/local/%h/s-%n" "$tmp/nl" "$tmp/more"
grep -q "^shard 1 $host $tmp/local/$host/s-001\$" "$tmp/nl/manifest" || fail "manifest: $(cat "$tmp/nl/manifest")"
[ -f "$tmp/local/$host/s-000/data.mdb" ] || fail "no node-local shard store"

# Moving a shard: move its folder, edit its line; everything is found.
mv "$tmp/db/shard-001" "$tmp/moved-001"
sed -i "s|^shard 1 \* shard-001\$|shard 1 * $tmp/moved-001|" "$tmp/db/manifest"
run_index 1 "$tmp/db" "$tmp/photos" "$tmp/more"
[ "$(summary indexed)" = 0 ] || fail "after moving a shard: $(cat "$tmp/err")"
"$dump" "$tmp/db" > "$tmp/db.txt"
cmp "$tmp/ref.txt" "$tmp/db.txt" || fail "after moving a shard"

# A missing shard: an error naming it; --allow-partial answers from the
# others and says so.
mv "$tmp/moved-001" "$tmp/gone"
set +e
"$query" --json "$tmp/db" "$q" > "$tmp/p.json" 2> "$tmp/p.err"; st=$?
set -e
[ $st -eq 2 ] || fail "missing shard: exit $st"
grep -q "shard 1 is missing" "$tmp/p.err" && grep -q "moved-001" "$tmp/p.err" || fail "missing shard: $(cat "$tmp/p.err")"
set +e
"$query" --info "$tmp/db" > /dev/null 2> "$tmp/p.err"; st=$?
set -e
[ $st -eq 2 ] && grep -q "moved-001" "$tmp/p.err" || fail "--info, missing shard: exit $st, $(cat "$tmp/p.err")"
"$query" --json --allow-partial -k 100 "$tmp/db" "$q" > "$tmp/p.json" 2> "$tmp/p.err"
"$query" --allow-partial -k 100 "$tmp/db" "$q" > "$tmp/p.txt" 2> /dev/null
grep -q "^partial answer: 1 shard missing: $tmp/moved-001" "$tmp/p.txt" || fail "text: $(head -2 "$tmp/p.txt")"
"$query" --info --json --allow-partial "$tmp/db" > "$tmp/pi.json"
python3 - "$tmp/p.json" "$tmp/pi.json" "$tmp/gone" "$tmp/db/shard-000" "$tmp/db/shard-002" "$tmp/moved-001" <<'PY' || fail "partial: $(cat "$tmp/p.json")"
import json, sys
p = json.loads(open(sys.argv[1]).readline())
assert p["partial"] is True and p["missing"] == [sys.argv[6]], p
# The two other shards answer, and they hold 35 - 11 = 24 images.
assert p["matches"] and all(m["db"] in sys.argv[4:6] for m in p["matches"]), p
i = json.load(open(sys.argv[2]))
assert i["partial"] is True and "missing" in i["shards"][1], i["shards"]
assert i["indexed"] == sum(s.get("indexed", 0) for s in i["shards"])
PY

# The precision: recorded in the manifest at creation; a rerun without
# --precision goes on in it (every shard store agrees), another is refused
# naming both, and a query is coded in it and finds a stored photo at 0.
photos "$tmp/p8" 6
run_index 0 -q --shards 2 --no-orient --precision int8 "$tmp/i8" "$tmp/p8"
grep -q '^precision int8$' "$tmp/i8/manifest" || fail "manifest: $(cat "$tmp/i8/manifest")"
grep -q '^precision fp32$' "$tmp/db/manifest" || fail "fp32 manifest: $(cat "$tmp/db/manifest")"
photos "$tmp/p8more" 8
run_index 0 -q --no-orient "$tmp/i8" "$tmp/p8more"
for s in 000 001; do
    "$query" --info "$tmp/i8/shard-$s" | grep -q 'int8 precision' ||
        fail "shard $s: $("$query" --info "$tmp/i8/shard-$s")"
done
run_index 2 -q --no-orient --precision fp32 "$tmp/i8" "$tmp/p8more"
grep -q "manifest: precision differs: the index holds int8 codes, these are fp32 codes" "$tmp/err" ||
    fail "fp32 into an int8 index: $(cat "$tmp/err")"
"$query" --json -k 1 "$tmp/i8" "$tmp/p8/img2.png" > "$tmp/q8.json" ||
    fail "query of the int8 index"
python3 - "$tmp/q8.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hit = r["matches"][0]  # p8more holds copies of p8's photos
assert hit["distance"] == 0 and hit["path"].endswith("/img2.png"), hit
PY

# kill -9 of a sharded run, then a rerun: the same contents as one store.
photos "$tmp/big" 60
"$index" -j 1 --batch 2 -q --shards 3 "$tmp/k" "$tmp/big" 2> /dev/null &
pid=$!
sleep 0.7
kill -9 $pid 2> /dev/null || true
wait $pid 2> /dev/null || true
run_index 0 -q "$tmp/k" "$tmp/big"
run_index 0 -q "$tmp/kref" "$tmp/big"
"$dump" "$tmp/k" > "$tmp/k.txt" || fail "store_dump after kill -9"
"$dump" "$tmp/kref" > "$tmp/kref.txt"
cmp "$tmp/k.txt" "$tmp/kref.txt" || fail "kill -9 and rerun: contents differ"
echo "index_sharded: ok"
