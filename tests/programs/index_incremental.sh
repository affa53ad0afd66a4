#!/bin/sh
# maso-index incremental runs: unchanged files skipped, changed ones
# re-indexed, --prune, --rescan, --files-from with -0, symbolic links.
# usage: index_incremental.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_incremental "$@"
db=$tmp/db
photos "$tmp/photos" 8
mkdir "$tmp/photos/sub"
cp "$shared/images/classify/cat.png" "$tmp/photos/sub/cat.png"
printf 'notes\n' > "$tmp/photos/notes.txt"   # not an image: not walked

run_index 0 -j 2 "$db" "$tmp/photos"
[ "$(summary indexed)" = 9 ] || fail "first run: $(cat "$tmp/err")"
[ "$(info "$db" indexed)" = 9 ] || fail "store holds $(info "$db" indexed) images"
[ "$(info "$db" failed)" = 0 ] || fail "failures in a clean folder"

# Unchanged: nothing is decoded again.
run_index 0 -v "$db" "$tmp/photos"
[ "$(summary indexed)" = 0 ] && [ "$(summary skipped)" = 9 ] || fail "rerun: $(cat "$tmp/err")"
! grep -q "^indexed " "$tmp/err" || fail "rerun indexed files"

# Changed content (size differs) and a new mtime with the same bytes.
cp "$shared/images/classify/dog.jpg" "$tmp/photos/img1.png"
touch -d '2001-02-03 04:05:06' "$tmp/photos/img2.png"
run_index 0 -v "$db" "$tmp/photos"
[ "$(summary indexed)" = 2 ] && [ "$(summary skipped)" = 7 ] || fail "after changes: $(cat "$tmp/err")"
grep -q "^indexed $tmp/photos/img1.png\$" "$tmp/err" || fail "img1 not re-indexed"
grep -q "^indexed $tmp/photos/img2.png\$" "$tmp/err" || fail "img2 not re-indexed"
[ "$(info "$db" records)" = 9 ] || fail "a changed file got a second record"

# A deleted file keeps its record until --prune.
rm "$tmp/photos/img3.png"
run_index 0 "$db" "$tmp/photos"
[ "$(info "$db" records)" = 9 ] || fail "record dropped without --prune"
run_index 0 --prune -v "$db" "$tmp/photos"
[ "$(summary pruned)" = 1 ] || fail "prune: $(cat "$tmp/err")"
grep -q "^pruned $tmp/photos/img3.png\$" "$tmp/err" || fail "wrong file pruned"
[ "$(info "$db" records)" = 8 ] || fail "after prune: $(info "$db" records) records"
# Files still on disk but not named in this run are not pruned.
run_index 0 --prune "$db" "$tmp/photos/sub"
[ "$(info "$db" records)" = 8 ] || fail "--prune removed existing files"

# --rescan recomputes everything.
run_index 0 --rescan "$db" "$tmp/photos"
[ "$(summary indexed)" = 8 ] && [ "$(summary skipped)" = 0 ] || fail "rescan: $(cat "$tmp/err")"
[ "$("$query" --info --check --json "$db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["check"])')" = ok ] \
    || fail "store check"

# --files-from - with -0 composes with find; relative paths become absolute.
(cd "$tmp" && find photos -name '*.png' -print0) > "$tmp/list0"
(cd "$tmp" && "$index" "$tmp/db2" -0 --files-from - < "$tmp/list0" 2> "$tmp/err") \
    || fail "--files-from: $(cat "$tmp/err")"
n=$(tr -cd '\0' < "$tmp/list0" | wc -c)
[ "$(info "$tmp/db2" indexed)" = "$n" ] || fail "--files-from -0: $(info "$tmp/db2" indexed) of $n"
"$query" --info --json "$tmp/db2" > /dev/null
"$index" "$tmp/db2" "$tmp/photos/sub/cat.png" 2> "$tmp/err"
[ "$(summary skipped)" = 1 ] || fail "relative and absolute paths are different records"

# Symbolic links inside directories are followed only with -L.
mkdir "$tmp/links"
ln -s "$tmp/photos/img0.png" "$tmp/links/a.png"
ln -s "$tmp/photos/sub" "$tmp/links/sub"
run_index 0 "$tmp/db3" "$tmp/links"
[ "$(summary indexed)" = 0 ] || fail "links followed without -L"
run_index 0 -L "$tmp/db3" "$tmp/links"
[ "$(summary indexed)" = 2 ] || fail "-L: $(cat "$tmp/err")"
echo "index_incremental.sh: all checks passed"
