#!/bin/sh
# The main job on an embedded default collection, from a fresh machine:
# install what is missing, build, provision the model, make a few edited
# copies of Kodak photos (demo/copies.txt, by maso-demo-copies), index the
# photos and the copies, then show what the network sees in one photo,
# find the original of an edited copy, list the near-duplicate groups and
# draw both on one HTML page.  Everything goes to build/demo/.
# Idempotent: a second run reuses the build, the model, the copies and
# the index, and prints the same answers.  The last line is the page.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
mkdir -p "$top/build"
echo "== building maso (scripts/build.sh, log in build/build.log)"
"$top/scripts/build.sh" "$top/build" > "$top/build/build.log" 2>&1 ||
    { cat "$top/build/build.log" >&2; exit 1; }
bin=$top/build
demo=$top/build/demo
mkdir -p "$demo"
kodak=$("$top/datasets/kodak/fetch.sh" "$demo/kodak")
copies=$demo/copies
db=$demo/photos.maso
page=$demo/demo.html
index="$bin/indexer/maso-index"
query="$bin/query/maso-query"

# The copies, made again only when the list (or the program) changed.
list=$top/demo/copies.txt
stamp=$(cat "$list" "$bin/demo/maso-demo-copies" | sha256sum | cut -c1-64)
if [ "$(cat "$copies/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$copies"
    mkdir -p "$copies"
    "$bin/demo/maso-demo-copies" "$list" "$kodak" "$copies" > "$demo/copies.list"
    echo "$stamp" > "$copies/.stamp"
fi
n_copies=$(wc -l < "$demo/copies.list")
echo "== the collection: the 24 Kodak photos and $n_copies edited copies of some (demo/copies.txt)"
for f in $(cat "$demo/copies.list"); do printf '   %s\n' "${f#"$demo"/}"; done

echo "== indexing it: maso-index $db"
"$index" --prune "$db" "$kodak" "$copies"
# A store written by an older maso-index lacks the mirrored and turned
# sketches that grouping needs: code everything again once.
if "$query" --duplicates "$db" 2>&1 >/dev/null | grep -q "without their mirrored"; then
    "$index" --rescan "$db" "$kodak" "$copies"
fi

echo "== what the network sees in kodim23.png (ImageNet classes)"
"$query" --classify "$kodak/kodim23.png" | head -4

probe=$copies/kodim23_jpeg40.jpg
echo "== the photos nearest to an edited copy, ${probe#"$demo"/}: its original first"
"$query" -k 3 --html "$page" "$db" "$probe"

echo "== near-duplicate groups: each keeps its largest member; nothing is changed"
set +e
"$query" --duplicates --html-append "$page" "$db" > "$demo/groups.txt"
status=$?
set -e
[ "$status" -le 1 ] || exit "$status"
cat "$demo/groups.txt"
# The copies the engine does not join to their original, if any.
apart=""
for f in $(cat "$demo/copies.list"); do
    grep -qF "  $f" "$demo/groups.txt" || apart="$apart ${f##*/}"
done
[ -z "$apart" ] || echo "   (not in a group at the default threshold:$apart)"

echo "== on your own photos: maso-index ~/Pictures.maso ~/Pictures; maso-query ~/Pictures.maso photo.jpg; maso-query --duplicates --html dupes.html ~/Pictures.maso"
echo "$page"
