#!/bin/sh
# maso-query --duplicates acting on the groups: every action, with and
# without --dry-run, on a scratch collection restored before each run.
# The check is by content: sha256 of every file before and after, so a
# file lost (or changed) anywhere fails the test.  Also: a move across file
# systems (/dev/shm and the build folder), the freedesktop.org trash (home
# and top-directory trashes), --reference, --keep, a failing move, a file
# edited since indexing, and the store updated to match.
# usage: query_actions.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 variants=$3 shared=$4 tmp=$5/query_actions
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/index_lib.sh"
"$variants" "$shared/images/kodak" "$tmp/v" mixed || fail "make_query_variants"

# The collection: three planted groups spread over folders, one unrelated
# photo.  Group kodim13: original (768x512 PNG), half size, JPEG q60;
# kodim17: blurred PNG, JPEG q80 (no original); kodim21: original, crop,
# brightened, JPEG q70.
c=$tmp/c
mkdir -p "$c/a/b" "$c/x"
v=$tmp/v/mixed
cp "$v/kodim13.png" "$v/kodim21.png" "$v/kodim01.png" "$c/"
cp "$v/kodim13_half.png" "$v/kodim17_blur.png" "$c/a/"
cp "$v/kodim13_q60.jpg" "$v/kodim21_crop.png" "$c/a/b/"
cp "$v/kodim17_q80.jpg" "$v/kodim21_bright.png" "$v/kodim21_q70.jpg" "$c/x/"
run_index 0 -q "$tmp/db" "$c"
# The pristine state, restored before each run (cp -p keeps the mtimes the
# store recorded, so the files are "as indexed").
cp -Rp "$c" "$tmp/c.orig"
cp -Rp "$tmp/db" "$tmp/db.orig"
restore() {
    rm -rf "$c" "$tmp/db" "$tmp/out" "$tmp/xdg"
    cp -Rp "$tmp/c.orig" "$c"
    cp -Rp "$tmp/db.orig" "$tmp/db"
    mkdir -p "$tmp/out" "$tmp/xdg"
}
# manifest DIR...: "sha256  path" of every file, sorted by path.
manifest() {
    find "$@" -type f -exec sha256sum {} + | sort -k 2
}
# hashes DIR...: the multiset of contents.
hashes() {
    find "$@" -type f -exec sha256sum {} + | cut -c1-64 | sort
}
manifest "$c" > "$tmp/manifest.orig"
hashes "$c" > "$tmp/hashes.orig"
# dq ARGS...: maso-query --duplicates, stdout in $tmp/out.txt, stderr in
# $tmp/err.txt, exit status in $st.  XDG_DATA_HOME is the test's own.
dq() {
    set +e
    (cd "$c" && XDG_DATA_HOME=$tmp/xdg "$query" --duplicates "$@" "$tmp/db") \
        > "$tmp/out.txt" 2> "$tmp/err.txt"
    st=$?
    set -e
}
records() { info "$tmp/db" records; }
unchanged() { # WHAT: the collection and the store are as they were
    manifest "$c" | cmp -s - "$tmp/manifest.orig" || fail "$1: files changed"
    [ "$(records)" = 10 ] || fail "$1: store has $(records) records"
}

# The members the default policy does not keep: the duplicates.
dupes_orig="$c/a/b/kodim13_q60.jpg $c/a/b/kodim21_crop.png $c/a/kodim13_half.png $c/x/kodim17_q80.jpg $c/x/kodim21_bright.png $c/x/kodim21_q70.jpg"

# -- no action: nothing changes; JSON says who is kept and why.
restore
dq --json
[ "$st" = 0 ] || fail "list: status $st $(cat "$tmp/err.txt")"
unchanged "no action"
python3 - "$tmp/out.txt" "$c" <<'PY' || fail "list JSON: $(cat "$tmp/out.txt")"
import json, os, sys
c = sys.argv[2]
groups = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
keep = sorted(os.path.relpath(g["keep"], c) for g in groups)
# largest: most pixels, then most bytes (the PNG blur beats the JPEG q80)
assert keep == ["a/kodim17_blur.png", "kodim13.png", "kodim21.png"], keep
for g in groups:
    kept = [m for m in g["members"] if m["role"] == "keep"]
    assert len(kept) == 1 and kept[0]["distance"] == 0, g
    for m in g["members"]:
        st = os.stat(m["path"])
        assert m["size"] == st.st_size, m
        assert 0 <= m["distance"] <= g["max_distance"] + 1e-9, m
        assert "action" not in m, m
    half = [m for m in g["members"] if m["path"].endswith("kodim13_half.png")]
    if half:
        assert (half[0]["width"], half[0]["height"]) == (384, 256), half
    crop = [m for m in g["members"] if m["path"].endswith("kodim21_crop.png")]
    if crop:
        assert crop[0]["width"] < 768 and crop[0]["height"] < 512, crop
PY
# Other policies: the smallest (fewest pixels, then bytes) of kodim13 is
# the half-size PNG; "first" is the first path in byte order.
dq --json --keep smallest
grep -q "\"keep\": \"$c/a/kodim13_half.png\"" "$tmp/out.txt" || fail "--keep smallest: $(cat "$tmp/out.txt")"
dq --json --keep first
grep -q "\"keep\": \"$c/a/b/kodim13_q60.jpg\"" "$tmp/out.txt" || fail "--keep first: $(cat "$tmp/out.txt")"
touch -d '2001-01-01 00:00' "$c/x/kodim21_q70.jpg"
run_index 0 -q "$tmp/db" "$c"
dq --json --keep oldest
grep -q "\"keep\": \"$c/x/kodim21_q70.jpg\"" "$tmp/out.txt" || fail "--keep oldest: $(cat "$tmp/out.txt")"
dq --json --keep newest
grep -q "\"keep\": \"$c/x/kodim21_q70.jpg\"" "$tmp/out.txt" && fail "--keep newest kept the oldest"

# -- every action, first with --dry-run (nothing changes), then for real.
for action in move-to-same move-to-other trash hardlink delete; do
    restore
    case $action in
    move-to-same) args="--move-to $tmp/out/moved" ;;
    move-to-other) # another file system when /dev/shm is one
        shm=/dev/shm/maso-test-$$
        rm -rf "$shm"
        args="--move-to $shm" ;;
    *) args=--$action ;;
    esac
    # shellcheck disable=SC2086
    dq $args --dry-run
    [ "$st" = 0 ] || fail "$action --dry-run: status $st $(cat "$tmp/err.txt")"
    unchanged "$action --dry-run"
    [ "$(grep -c '^    would ' "$tmp/out.txt")" = 6 ] || fail "$action --dry-run: $(cat "$tmp/out.txt")"
    [ ! -e "$tmp/out/moved" ] && [ ! -e "$tmp/xdg/Trash" ] || fail "$action --dry-run created folders"
    # shellcheck disable=SC2086
    dq $args --json
    [ "$st" = 0 ] || fail "$action: status $st $(cat "$tmp/err.txt")"
    [ "$(grep -o '"outcome": "done"' "$tmp/out.txt" | wc -l)" = 6 ] || fail "$action: $(cat "$tmp/out.txt")"
    for f in kodim13.png kodim21.png a/kodim17_blur.png kodim01.png; do
        grep -q "$(sha256sum < "$tmp/c.orig/$f" | cut -c1-64)  $c/$f\$" "$tmp/manifest.orig" &&
            [ "$(sha256sum < "$c/$f")" = "$(sha256sum < "$tmp/c.orig/$f")" ] || fail "$action: kept $f changed"
    done
    case $action in
    move-to-same|move-to-other)
        dest=$tmp/out/moved
        [ "$action" = move-to-other ] && dest=$shm
        # Every content is still there, the moved ones under their folders.
        hashes "$c" "$dest" | cmp -s - "$tmp/hashes.orig" || fail "$action: contents lost"
        for f in $dupes_orig; do
            rel=${f#"$c"/}
            [ ! -e "$f" ] || fail "$action: $f still there"
            cmp -s "$dest/$rel" "$tmp/c.orig/$rel" || fail "$action: $dest/$rel"
        done
        [ "$(stat -c %Y "$dest/x/kodim21_q70.jpg")" = "$(stat -c %Y "$tmp/c.orig/x/kodim21_q70.jpg")" ] || fail "$action: mtime not kept"
        [ "$(records)" = 4 ] || fail "$action: store has $(records) records"
        [ "$action" = move-to-other ] && rm -rf "$shm" ;;
    trash)
        t=$tmp/xdg/Trash
        hashes "$c" "$t/files" | cmp -s - "$tmp/hashes.orig" || fail "trash: contents lost"
        [ "$(ls "$t/info" | wc -l)" = 6 ] || fail "trash: $(ls "$t/info")"
        python3 - "$t" $dupes_orig <<'PY' || fail "trash info files"
import os, sys, urllib.parse, configparser
t, want = sys.argv[1], sorted(sys.argv[2:])
got = []
for name in os.listdir(t + "/info"):
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(os.path.join(t, "info", name))
    info = cp["Trash Info"]
    path = urllib.parse.unquote(info["Path"])
    assert path.startswith("/"), path
    assert len(info["DeletionDate"]) == 19 and info["DeletionDate"][10] == "T"
    assert os.path.isfile(os.path.join(t, "files", name[:-len(".trashinfo")]))
    got.append(path)
assert sorted(got) == want, (got, want)
PY
        [ "$(records)" = 4 ] || fail "trash: store has $(records) records" ;;
    hardlink)
        # Each duplicate is now the kept file of its group; every kept
        # content is still there, the store keeps all 12 paths.
        for f in a/b/kodim13_q60.jpg a/kodim13_half.png; do
            [ "$(stat -c %i "$c/$f")" = "$(stat -c %i "$c/kodim13.png")" ] || fail "hardlink: $f"
        done
        [ "$(stat -c %i "$c/x/kodim17_q80.jpg")" = "$(stat -c %i "$c/a/kodim17_blur.png")" ] || fail "hardlink: kodim17"
        [ "$(stat -c %h "$c/kodim21.png")" = 4 ] || fail "hardlink: kodim21 links"
        [ "$(records)" = 10 ] || fail "hardlink: store has $(records) records"
        # the linked records got the kept file's orientation sketches too
        [ "$(info "$tmp/db" orients)" = 10 ] || fail "hardlink: $(info "$tmp/db" orients) records with orientation sketches"
        dq --json
        [ "$(grep -o '"role": "linked"' "$tmp/out.txt" | wc -l)" = 6 ] || fail "hardlink: then $(cat "$tmp/out.txt")" ;;
    delete)
        for f in $dupes_orig; do [ ! -e "$f" ] || fail "delete: $f"; done
        [ "$(find "$c" -type f | wc -l)" = 4 ] || fail "delete: $(find "$c" -type f)"
        [ "$(records)" = 4 ] || fail "delete: store has $(records) records" ;;
    esac
    # After any action but hardlink, the store has no group left.
    if [ "$action" != hardlink ]; then
        dq
        [ "$st" = 1 ] || fail "$action: groups left: $(cat "$tmp/out.txt")"
    fi
done

# -- --reference: files under it are never touched, and a group holding
# one keeps it (here the JPEG copy of kodim13 and kodim21's crop).
restore
dq --reference "$c/a/b" --delete --json
[ "$st" = 0 ] || fail "--reference: status $st $(cat "$tmp/err.txt")"
[ -e "$c/a/b/kodim13_q60.jpg" ] && [ -e "$c/a/b/kodim21_crop.png" ] || fail "--reference: a reference was deleted"
[ ! -e "$c/kodim13.png" ] && [ ! -e "$c/kodim21.png" ] || fail "--reference: the originals should go"
grep -q "\"keep\": \"$c/a/b/kodim13_q60.jpg\"" "$tmp/out.txt" || fail "--reference keep: $(cat "$tmp/out.txt")"

# -- a move that cannot be done: the destination exists.  The file stays,
# the other moves go on, the exit status says so, the store keeps it.
restore
mkdir -p "$tmp/out/moved/x"
echo "someone else's" > "$tmp/out/moved/x/kodim21_q70.jpg"
dq --move-to "$tmp/out/moved"
[ "$st" = 2 ] || fail "failed move: status $st"
grep -q "kodim21_q70.jpg.*left in place" "$tmp/err.txt" || fail "failed move: $(cat "$tmp/err.txt")"
cmp -s "$c/x/kodim21_q70.jpg" "$tmp/c.orig/x/kodim21_q70.jpg" || fail "failed move: source changed"
[ "$(cat "$tmp/out/moved/x/kodim21_q70.jpg")" = "someone else's" ] || fail "failed move: overwrote"
[ "$(records)" = 5 ] || fail "failed move: store has $(records) records"
hashes "$c" "$tmp/out/moved" | grep -v "$(echo "someone else's" | sha256sum | cut -c1-64)" |
    cmp -s - "$tmp/hashes.orig" || fail "failed move: contents lost"

# -- a file edited since it was indexed is left alone ("changed").
restore
echo >> "$c/a/kodim13_half.png"
dq --delete --json
grep -q '"path": "'"$c"'/a/kodim13_half.png", "role": "changed"' "$tmp/out.txt" || fail "changed: $(cat "$tmp/out.txt")"
[ -e "$c/a/kodim13_half.png" ] || fail "changed: deleted"

# -- the top directory's trash, for a file on another file system than
# the home trash (/dev/shm when it is a tmpfs).
if [ "$(stat -c %d /dev/shm 2>/dev/null)" != "$(stat -c %d "$tmp")" ] && [ -w /dev/shm ]; then
    shm=/dev/shm/maso-test-$$
    rm -rf "$shm"
    mkdir -p "$shm"
    cp "$v/kodim13.png" "$v/kodim13_q60.jpg" "$shm/"
    run_index 0 -q "$tmp/db.shm" "$shm"
    set +e
    XDG_DATA_HOME=$tmp/xdg "$query" --duplicates --trash "$tmp/db.shm" > "$tmp/out.txt" 2> "$tmp/err.txt"
    st=$?
    set -e
    top=/dev/shm/.Trash-$(id -u)
    name=$(ls "$top/info" 2>/dev/null | grep "^kodim13_q60.*jpg.trashinfo\$" | tail -1)
    [ "$st" = 0 ] && [ -n "$name" ] || fail "topdir trash: $st $(cat "$tmp/out.txt" "$tmp/err.txt")"
    grep -q "^Path=maso-test-$$/kodim13_q60.jpg\$" "$top/info/$name" || fail "topdir trash: $(cat "$top/info/$name")"
    cmp -s "$top/files/${name%.trashinfo}" "$v/kodim13_q60.jpg" || fail "topdir trash: content"
    rm -f "$top/info/$name" "$top/files/${name%.trashinfo}"
    rmdir "$top/info" "$top/files" "$top" 2>/dev/null || true
    rm -rf "$shm"
fi

# -- usage: actions need --duplicates, one action at a time, --dry-run an action.
restore
set +e
"$query" --delete "$tmp/db" "$c/kodim01.png" 2> "$tmp/err.txt"; s1=$?
"$query" --duplicates --delete --trash "$tmp/db" 2>> "$tmp/err.txt"; s2=$?
"$query" --duplicates --dry-run "$tmp/db" 2>> "$tmp/err.txt"; s3=$?
"$query" --duplicates --keep biggest "$tmp/db" 2>> "$tmp/err.txt"; s4=$?
set -e
[ "$s1$s2$s3$s4" = 2222 ] || fail "usage: $s1$s2$s3$s4 $(cat "$tmp/err.txt")"
unchanged "usage errors"
echo "query_actions.sh: all checks passed"
