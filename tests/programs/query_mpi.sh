#!/bin/sh
# maso-query as an MPI job (mpirun --oversubscribe -np 1..4) over a
# sharded index: searches (JSON, text, TSV, --explain, --indexed,
# --include-self, --threshold), near-duplicate groups across shard
# boundaries (over the orientation sketches by default, as one process:
# mirrored and turned copies join their original; all pairs, each image's
# N nearest candidates, and --bands: band keys all-to-all), the coarse
# mode's candidates, stores with full codes, and the exit statuses are
# byte-for-byte those of one process over the same shards; a missing shard
# is an error naming it, --allow-partial answers from the others, and says
# so.  One process over the shards is itself checked against one store of
# the same files.
# usage: query_mpi.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS "MPIRUN ARGS" SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
variants=$3
# Under AddressSanitizer, leak checks stay off in the ranks: the MPI
# runtime keeps allocations of plugins it unloads at exit (reported from
# "<unknown module>", so they cannot be suppressed by name).  Memory errors
# are still caught, and the same code without MPI is leak-checked by
# index_sharded.sh and the other program tests.
mpirun="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $4"
start_test query_mpi "$1" "$2" "$5" "$6"
# 40 photos: the Kodak set and the classify photos, and copies of some
# (exact duplicates under other names, so groups span shards).
photos "$tmp/photos" 40
# img36..img39 are copies of img0..img3.  Shards go by a hash of the path,
# so at some build paths every copy lands in its original's shard (1 in 81);
# then the last copy moves to a name in another shard, so that the test
# always has a group across shards to check.
python3 - "$tmp/photos" <<'PY'
import os, sys
d = os.path.abspath(sys.argv[1])
def shard(p):  # FNV-1a 64 of the path, mod 3, as the shard set's hash
    h = 14695981039346656037
    for b in p.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return h % 3
pairs = [(f"{d}/img{i}.png", f"{d}/img{36 + i}.png") for i in range(4)]
if all(shard(a) == shard(b) for a, b in pairs):
    a, b = pairs[-1]
    name = next(f"{d}/img39-{s}.png" for s in range(100)
                if shard(f"{d}/img39-{s}.png") != shard(a))
    os.rename(b, name)
PY
run_index 0 -q --shards 3 "$tmp/db" "$tmp/photos"
run_index 0 -q "$tmp/one" "$tmp/photos"
run_index 0 -q --full-codes --shards 2 "$tmp/full" "$tmp/photos"
q1="$tmp/photos/img3.png" q2="$tmp/photos/img31.jpg"
printf 'broken' > "$tmp/broken.png"

# same NP STATUS ARGS...: maso-query ARGS alone and under mpirun -np NP
# give the same output and exit status STATUS.
same() {
    np=$1 want=$2
    shift 2
    set +e
    "$query" "$@" > "$tmp/alone.out" 2> "$tmp/alone.err"; a=$?
    $mpirun -np "$np" "$query" "$@" > "$tmp/mpi.out" 2> "$tmp/mpi.err" < /dev/null; b=$?
    set -e
    [ $a -eq "$want" ] || { cat "$tmp/alone.err" >&2; fail "maso-query $*: exit status $a, expected $want"; }
    [ $b -eq $a ] || { cat "$tmp/mpi.err" >&2; fail "-np $np maso-query $*: exit status $b, alone $a"; }
    cmp "$tmp/alone.out" "$tmp/mpi.out" || { diff "$tmp/alone.out" "$tmp/mpi.out" | head >&2; fail "-np $np maso-query $*: output differs"; }
}

for np in 1 2 3 4; do
    same $np 0 --json -k 8 "$tmp/db" "$q1" "$q2"
    same $np 0 --duplicates --json "$tmp/db"
done
same 3 0 -k 5 --explain "$tmp/db" "$q1" "$q2" "$tmp/photos/img7.png"
same 2 0 --tsv --include-self -k 30 "$tmp/db" "$q1"
same 3 0 --json --indexed "$tmp/db" "$q2" "$tmp/photos/img11.png"
same 3 2 --json --indexed "$tmp/db" "$tmp/not-indexed.png"
same 2 2 --json "$tmp/db" "$q1" "$tmp/broken.png" "$q2"
same 4 1 --json --threshold 0.001 "$tmp/db" "$q2"
same 3 0 --duplicates --threshold 0.4 "$tmp/db"
same 3 0 --duplicates --no-orient --threshold 0.4 "$tmp/db"

# Mirrored and turned copies (5 of each of 8 Kodak photos, beside the 24
# photos and the classify photos) in 3 shards: by default the ranks compare
# the 16 pairs of orientation sketches as one process does, and each copy
# joins its original: 8 groups of 6.
"$variants" "$shared/images/kodak" "$tmp/v" orient > /dev/null || fail "make_query_variants"
mkdir -p "$tmp/turned"
cp "$shared"/images/kodak/*.png "$shared"/images/classify/* "$tmp/v/orient"/kodim0[1-8]_*.png "$tmp/turned/"
run_index 0 -q --shards 3 "$tmp/odb" "$tmp/turned"
for np in 2 3 4; do
    same $np 0 --duplicates --json "$tmp/odb"
done
python3 - "$tmp/mpi.out" <<'PY' || fail "turned copies: $(cat "$tmp/mpi.out")"
import json, os, sys
groups = [json.loads(l)["group"] for l in open(sys.argv[1])]
assert len(groups) == 8 and all(len(g) == 6 for g in groups), groups
for g in groups:
    assert len({os.path.basename(p)[:7] for p in g}) == 1, g
PY
same 3 1 --duplicates --no-orient --json "$tmp/odb"
same 3 0 --duplicates --exact --threshold 0.3 "$tmp/odb"
same 2 0 --duplicates --json --keep newest --threshold 0.25 "$tmp/odb"
# Each image's N nearest by the summary distance (the mode above the
# all-pairs limit, forced by --candidates): the ranks find every image's N
# nearest of the whole job, ties to the first, so that they verify exactly
# one process's pairs; with 1 or 2 candidates the nearest within a pair of
# shards is often not the nearest of all, so a rank that kept those (the
# ring's candidates, a superset) would make other groups.
for c in 1 2 3 8; do
    same 3 0 --duplicates --json --candidates $c "$tmp/odb"
    same 4 0 --duplicates --json --candidates $c --threshold 0.3 "$tmp/odb"
done
for c in 1 2; do
    for np in 2 3; do
        same $np 0 --duplicates --json --no-orient --candidates $c --threshold 0.3 "$tmp/odb"
    done
done
same 2 0 --duplicates --json --candidates 5 --threshold 0.3 "$tmp/db"
# The coarse mode (a summary stage, then the exact rank of its candidates:
# the default above 16,000 images, forced here by --candidates): the ranks
# agree on one cut of the summary distances, so that they rank exactly the
# candidates one process keeps, and a few candidates out of 40 give the
# same (not better) matches.
for c in 3 5 8 13; do
    same 3 0 --json -k 2 --include-self --candidates $c "$tmp/db" "$q1" "$q2" "$tmp/photos/img7.png"
    same 4 0 --json -k 3 --candidates $c "$tmp/db" "$q1" "$q2"
done
same 2 0 --indexed --candidates 4 -k 3 "$tmp/db" "$q2" "$tmp/photos/img11.png"
same 3 0 --json --candidates 6 -k 6 "$tmp/full" "$q1" "$q2"
same 2 0 --json --layers conv1..fire5/expand3x3 "$tmp/db" "$q2"
# Full codes: the rerank needs the query's code on every rank.
same 3 0 --json -k 6 "$tmp/full" "$q1" "$q2"
same 2 0 --json --exact -k 6 "$tmp/full" "$q1"
grep -q '"measure": "code"' "$tmp/mpi.out" || fail "full codes: $(head -c 300 "$tmp/mpi.out")"

# --bands: the candidate pairs come from band keys exchanged all-to-all;
# the groups are one process's with the same bands, at thresholds where
# banding finds every pair and where it misses some (0.3: pairs within the
# threshold whose summaries differ in more bits than the bands promise).
for bands in auto 8 64; do
    for np in 2 4; do
        same $np 0 --duplicates --json --bands $bands "$tmp/db"
    done
    same 3 0 --duplicates --json --threshold 0.3 --bands $bands "$tmp/db"
done
same 3 0 --duplicates --bands auto --threshold 0.35 "$tmp/db"
# Against brute force (--exact: every pair): the same groups where banding
# finds every pair (the copies), and at 0.3 only parts of its groups.
"$query" --duplicates --no-orient --json --exact "$tmp/db" > "$tmp/exact.json"
$mpirun -np 3 "$query" --duplicates --json --bands auto "$tmp/db" > "$tmp/mpi.out" < /dev/null
cmp "$tmp/exact.json" "$tmp/mpi.out" || fail "--bands differs from every pair's groups"
"$query" --duplicates --no-orient --json --exact --threshold 0.3 "$tmp/db" > "$tmp/exact.json"
$mpirun -np 4 "$query" --duplicates --json --threshold 0.3 --bands auto "$tmp/db" > "$tmp/mpi.out" < /dev/null
python3 - "$tmp/exact.json" "$tmp/mpi.out" <<'PY' || fail "--bands at 0.3: not parts of the exact groups"
import json, sys
exact = [set(json.loads(l)["group"]) for l in open(sys.argv[1])]
banded = [set(json.loads(l)["group"]) for l in open(sys.argv[2])]
assert banded and all(any(b <= e for e in exact) for b in banded), (exact, banded)
PY
for bad in "--bands 8 --exact" "--bands 8 --candidates 3" "--bands 0" "--bands x"; do
    set +e
    "$query" --duplicates $bad "$tmp/db" > /dev/null 2> "$tmp/err"; st=$?
    set -e
    [ $st -eq 2 ] || fail "--duplicates $bad: exit status $st"
done
set +e
"$query" --bands 8 "$tmp/db" "$q1" > /dev/null 2> "$tmp/err"; st=$?
set -e
[ $st -eq 2 ] && grep -q "goes with --duplicates" "$tmp/err" || fail "--bands without --duplicates: $st $(cat "$tmp/err")"

# The duplicates are the copies, wherever their shards are.
"$query" --duplicates --json "$tmp/one" > "$tmp/one.json"
$mpirun -np 3 "$query" --duplicates --json "$tmp/db" > "$tmp/mpi.out" < /dev/null
cmp "$tmp/one.json" "$tmp/mpi.out" || fail "duplicates differ from one store's"
python3 - "$tmp/one.json" "$tmp/db" <<'PY' || fail "duplicates: $(cat "$tmp/one.json")"
import json, sys
groups = [json.loads(l) for l in open(sys.argv[1])]
assert len(groups) == 4 and all(len(g["group"]) == 2 for g in groups), groups
# FNV-1a 64 of the path, mod 3: the shard of each member.
def shard(p):
    h = 14695981039346656037
    for b in p.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return h % 3
assert any(len({shard(p) for p in g["group"]}) > 1 for g in groups), "no group spans shards"
PY

# The kept member and the distances to it, as one process chooses them.
same 3 0 --duplicates --json --keep newest "$tmp/db"
same 2 0 --duplicates --reference "$tmp/photos" "$tmp/db"

# Actions are refused under mpirun, said once (rank 0), no file touched.
before=$(ls "$tmp/photos" | wc -l)
set +e
$mpirun -np 3 "$query" --duplicates --delete "$tmp/db" > "$tmp/mpi.out" 2> "$tmp/mpi.err" < /dev/null; st=$?
set -e
[ $st -eq 2 ] || fail "--delete under mpirun: exit status $st"
[ "$(grep -c 'not done under mpirun' "$tmp/mpi.err")" -eq 1 ] || fail "--delete under mpirun: $(cat "$tmp/mpi.err")"
[ "$(ls "$tmp/photos" | wc -l)" -eq "$before" ] || fail "--delete under mpirun removed files"

# A missing shard: an error naming it; --allow-partial answers from the
# others, as one process does.
mv "$tmp/db/shard-002" "$tmp/away"
set +e
$mpirun -np 3 "$query" --json "$tmp/db" "$q1" > "$tmp/mpi.out" 2> "$tmp/mpi.err" < /dev/null; st=$?
set -e
[ $st -eq 2 ] || fail "missing shard: exit status $st"
grep -q "shard-002" "$tmp/mpi.err" || fail "missing shard not named: $(cat "$tmp/mpi.err")"
same 3 0 --json --allow-partial -k 40 "$tmp/db" "$q1"
python3 - "$tmp/mpi.out" "$tmp/db/shard-002" <<'PY' || fail "partial: $(cat "$tmp/mpi.out")"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["partial"] is True and r["missing"] == [sys.argv[2]], r
assert r["matches"] and all(not m["db"].endswith("shard-002") for m in r["matches"])
PY
same 2 0 --allow-partial "$tmp/db" "$q1"
grep -q "^partial answer: 1 shard missing" "$tmp/mpi.out" || fail "text output does not say partial"
# The groups left are those with two members outside shard 2 (which
# shard a file lands in depends on its path, so on where the test runs):
# exit status 0 when there are some, 1 when there are none.
want=$(python3 - "$tmp/one.json" <<'PY'
import json, sys
def shard(p):
    h = 14695981039346656037
    for b in p.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return h % 3
groups = [json.loads(l)["group"] for l in open(sys.argv[1])]
print(0 if any(sum(shard(p) != 2 for p in g) >= 2 for g in groups) else 1)
PY
)
same 2 "$want" --duplicates --allow-partial --json "$tmp/db"
mv "$tmp/away" "$tmp/db/shard-002"
echo "query_mpi: ok"
