#!/bin/sh
# maso-index on a folder holding one picture in every format (files written
# by the formats' own tools: make_format_fixtures.sh), broken files with
# image names, other files, a symbolic link, hidden folders, caches and
# excluded folders: every image is indexed (and its copies in the other
# formats are its nearest neighbours), broken ones fail with their reason,
# and what is left out is counted in the summary and listed by --verbose.
# usage: index_formats.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_formats "$@"
fx=$4/formats
[ -f "$fx/done" ] || fail "no fixtures in $fx (test format_fixtures writes them)"
db=$tmp/db
dir=$tmp/photos
mkdir -p "$dir/.thumbnails" "$dir/@eaDir" "$dir/Backups" "$dir/2019"
formats="webp_lossy.webp tiff_lzw.tif gif_still.gif heif.heic avif.avif jxl_lossy.jxl bmp_rgb24.bmp ppm_raw.ppm src.png src.jpg"
for f in $formats; do cp "$fx/$f" "$dir/"; done
cp "$fx/other.png" "$dir/2019/other.png"            # another picture
cp "$fx/tiff_pages.tif" "$dir/2019/scan"            # a TIFF by its bytes only
head -c 300 "$fx/webp_lossy.webp" > "$dir/broken.webp"  # image names, not images
printf 'hello\n' > "$dir/text.heic"
printf 'notes\n' > "$dir/notes.txt"                  # other files
head -c 1000 /dev/zero > "$dir/2019/data.bin"
ln -s "$dir/src.png" "$dir/link.png"                  # a link, not followed
cp "$fx/src.png" "$dir/.thumbnails/t.png"             # hidden, cache
cp "$fx/src.png" "$dir/@eaDir/x.png"
cp "$fx/src.png" "$dir/Backups/old.png"               # excluded by name
cp "$fx/src.png" "$dir/2019/a.tmp.png"                # excluded by pattern
printf '# from a file\n*.tmp.png\n' > "$tmp/patterns"

run_index 1 -j 2 "$db" "$dir" --exclude Backups --exclude-from "$tmp/patterns"
[ "$(summary indexed)" = 12 ] || fail "indexed: $(cat "$tmp/err")"
[ "$(summary failed)" = 2 ] || fail "failed: $(cat "$tmp/err")"
[ "$(summary 'other files')" = 2 ] || fail "other files: $(cat "$tmp/err")"
[ "$(summary 'symbolic link')" = 1 ] || fail "links: $(cat "$tmp/err")"
[ "$(summary 'hidden or cache')" = 2 ] || fail "hidden: $(cat "$tmp/err")"
[ "$(summary excluded)" = 2 ] || fail "excluded: $(cat "$tmp/err")"
grep -q "^maso-index: $dir/broken.webp: .*WebP" "$tmp/err" || fail "broken.webp: $(cat "$tmp/err")"
grep -q "^maso-index: $dir/text.heic: not an image format" "$tmp/err" || fail "text.heic: $(cat "$tmp/err")"
! grep -q "^maso-index: skipped (" "$tmp/err" || fail "skipped entries listed without --verbose"
grep -q "; left out: 2 other files, 1 symbolic link (-L follows it), 2 hidden or cache entries (--hidden includes them), 2 excluded;" "$tmp/err" \
    || fail "summary: $(cat "$tmp/err")"

"$query" --info --json "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" "$dir" <<'PY' || fail "info: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
d = sys.argv[2]
assert info["indexed"] == 12 and info["failed"] == 2, info
reasons = {f["path"]: f["reason"] for f in info["failures"]}
assert sorted(reasons) == [d + "/broken.webp", d + "/text.heic"], reasons
assert "truncated" in reasons[d + "/broken.webp"], reasons
PY

# Each format's copy of the picture has the other copies as its nearest
# neighbours, before the other picture (and the TIFF holding it on page 2
# only, whose first page is the same picture).
for f in heif.heic jxl_lossy.jxl gif_still.gif bmp_rgb24.bmp; do
    "$query" --json -k 20 "$db" "$dir/$f" > "$tmp/q.json" || fail "query $f"
    python3 - "$tmp/q.json" "$dir" <<'PY' || fail "neighbours of $f: $(cat "$tmp/q.json")"
import json, sys
row = json.loads(open(sys.argv[1]).read().splitlines()[0])
d = sys.argv[2]
paths = [m["path"] for m in row["matches"]]
assert paths[-1] == d + "/2019/other.png", paths
# copies within 0.1, the other picture beyond 0.2 (by the default
# distance, the late layers: 0.24 here; the --duplicates threshold is 0.16)
assert all(m["distance"] < 0.1 for m in row["matches"][:-1]), row["matches"]
assert row["matches"][-1]["distance"] > 0.2, row["matches"]
PY
done

# --verbose lists every entry left out, with its reason.
run_index 1 -v --rescan "$db" "$dir" --exclude Backups --exclude-from "$tmp/patterns"
for entry in "not an image): $dir/notes.txt" "not an image): $dir/2019/data.bin" \
             "symbolic link, not followed without -L): $dir/link.png" \
             "hidden, or a cache or trash folder): $dir/.thumbnails" \
             "hidden, or a cache or trash folder): $dir/@eaDir" \
             "excluded): $dir/Backups" "excluded): $dir/2019/a.tmp.png"; do
    grep -qF "maso-index: skipped ($entry" "$tmp/err" || fail "verbose: $entry: $(cat "$tmp/err")"
done

# --hidden and -L: the hidden copies and the link are indexed too.
run_index 1 -L --hidden "$tmp/db2" "$dir"
[ "$(summary indexed)" = 17 ] || fail "--hidden -L: $(cat "$tmp/err")"
! grep -q "hidden or cache" "$tmp/err" || fail "--hidden still skips: $(cat "$tmp/err")"

# A file that is not an image, named on the command line: failed, with why.
run_index 1 "$tmp/db3" "$dir/notes.txt"
grep -q "^maso-index: $dir/notes.txt: not an image format" "$tmp/err" || fail "named: $(cat "$tmp/err")"
[ "$(info "$tmp/db3" failed)" = 1 ] || fail "named file not recorded as failed"
echo "index_formats.sh: all checks passed"
