#!/bin/sh
# maso-index on a folder with corrupt, truncated and non-image files mixed
# in: each is recorded as failed with its reason and reported on stderr,
# the run goes on, exit status 1; maso-query --info lists them.
# usage: index_failures.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_failures "$@"
db=$tmp/db
dir=$tmp/mixed
photos "$dir" 5
head -c 20000 "$shared/images/classify/dog.jpg" > "$dir/truncated.jpg"
head -c 100000 "$shared/images/kodak/kodim02.png" > "$dir/truncated.png"
# Random bytes under a photo's name; a JPEG signature followed by garbage
# under a name that is not an image's (found by its signature).
python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(5000)))' > "$dir/random.jpg"
printf '\377\330\377\340garbage' > "$dir/camera.dat"
printf 'hello\n' > "$dir/text.png"
# A JPEG whose entropy-coded data is overwritten in the middle.
cp "$shared/images/classify/eagle.jpg" "$dir/scrambled.jpg"
chmod u+w "$dir/scrambled.jpg"
python3 - "$dir/scrambled.jpg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
sos = b.index(b'\xff\xda')
for i in range(sos + 200, len(b) - 2):
    b[i] = 0xff if i % 2 == 0 else 0xd9  # markers everywhere
open(p, 'wb').write(b)
PY
printf 'a text file\n' > "$dir/README.txt"     # neither name nor signature: not walked

run_index 1 -j 2 "$db" "$dir"
[ "$(summary indexed)" = 5 ] || fail "good files: $(cat "$tmp/err")"
[ "$(summary failed)" = 6 ] || fail "failed files: $(cat "$tmp/err")"
for f in truncated.jpg truncated.png random.jpg camera.dat text.png scrambled.jpg; do
    grep -q "^maso-index: $dir/$f: ..*" "$tmp/err" || fail "$f not reported: $(cat "$tmp/err")"
done
! grep -q README "$tmp/err" || fail "a text file was walked"

"$query" --info --json "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" "$dir" <<'PY' || fail "info JSON: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
d = sys.argv[2]
assert info["indexed"] == 5 and info["failed"] == 6, info
reasons = {f["path"]: f["reason"] for f in info["failures"]}
assert sorted(reasons) == sorted(d + "/" + n for n in ["truncated.jpg", "truncated.png", "random.jpg",
                                                       "camera.dat", "text.png", "scrambled.jpg"]), reasons
assert "not an image format" in reasons[d + "/text.png"], reasons
assert "not an image format" in reasons[d + "/random.jpg"], reasons
assert "truncated" in reasons[d + "/truncated.png"], reasons
for p, r in reasons.items():
    assert r and not r.startswith(p), (p, r)  # a cause, not the path again
assert info["bytes_per_image"] > 0 and info["model"]["input"] == [3, 227, 227], info
PY
"$query" --info "$db" > "$tmp/info.txt"
grep -q "5 indexed, 6 failed" "$tmp/info.txt" || fail "info text: $(cat "$tmp/info.txt")"
grep -q "^  $dir/text.png: not an image format" "$tmp/info.txt" || fail "info text lists failures"

# A rerun retries the failures (unchanged: they fail again) and skips the rest.
run_index 1 "$db" "$dir"
[ "$(summary indexed)" = 0 ] && [ "$(summary failed)" = 6 ] && [ "$(summary skipped)" = 5 ] \
    || fail "rerun: $(cat "$tmp/err")"
for f in truncated.jpg truncated.png random.jpg camera.dat text.png scrambled.jpg; do
    grep -q "^maso-index: $dir/$f: ..*" "$tmp/err" || fail "$f not retried: $(cat "$tmp/err")"
done
# Repaired file: indexed, its failure record replaced.
cp "$shared/images/classify/dog.jpg" "$dir/truncated.jpg"
run_index 1 "$db" "$dir"
[ "$(summary indexed)" = 1 ] || fail "repaired file: $(cat "$tmp/err")"
[ "$(info "$db" indexed)" = 6 ] && [ "$(info "$db" failed)" = 5 ] || fail "after repair"
# Named files that cannot be opened (missing, a dangling symlink, a symlink
# loop, a name too long) are failures of this run (1), not fatal, and are
# recorded with their cause, so that --info lists them.
ln -s "$tmp/nowhere.jpg" "$tmp/dangling.jpg"
ln -s "$tmp/loop2.jpg" "$tmp/loop1.jpg"
ln -s "$tmp/loop1.jpg" "$tmp/loop2.jpg"
long=$tmp/$(python3 -c 'print("n" * 300)').jpg
run_index 1 "$tmp/db2" "$dir/img0.png" "$dir/missing.jpg" "$tmp/dangling.jpg" "$tmp/loop1.jpg" "$long"
grep -q "missing.jpg: cannot open: No such file" "$tmp/err" && [ "$(summary failed)" = 4 ] \
    || fail "unopenable files: $(cat "$tmp/err")"
"$query" --info --json "$tmp/db2" > "$tmp/info2.json"
python3 - "$tmp/info2.json" "$dir" "$tmp" "$long" <<'PY' || fail "info: $(cat "$tmp/info2.json")"
import json, sys
info = json.load(open(sys.argv[1]))
d, t, long = sys.argv[2:5]
assert info["indexed"] == 1 and info["failed"] == 4, info
reasons = {f["path"]: f["reason"] for f in info["failures"]}
assert "No such file" in reasons[d + "/missing.jpg"], reasons
assert "No such file" in reasons[t + "/dangling.jpg"], reasons
assert "symbolic links" in reasons[t + "/loop1.jpg"], reasons
assert "too long" in reasons[long], reasons
PY

# A FIFO named on the command line is refused at once (no reader waits
# for a writer) and recorded; the photo next to it is indexed.
mkfifo "$tmp/pipe.jpg"
set +e
timeout 60 "$index" "$tmp/db4" "$tmp/pipe.jpg" "$dir/img0.png" 2> "$tmp/err"
status=$?
set -e
[ "$status" -eq 1 ] || fail "FIFO: exit status $status: $(cat "$tmp/err")"
grep -q "pipe.jpg: not a regular file (a FIFO)" "$tmp/err" || fail "FIFO message: $(cat "$tmp/err")"
[ "$(info "$tmp/db4" indexed)" = 1 ] && [ "$(info "$tmp/db4" failed)" = 1 ] || fail "FIFO run"

# One JPEG with a bogus marker length, sorted first, among good JPEGs: with
# one worker every good file follows it on the same decoder (issue 11).
bad=$tmp/afterbad
mkdir -p "$bad"
i=0
for f in "$shared"/images/classify/*.jpg; do
    cp "$f" "$bad/g$i.jpg"; i=$((i + 1))
done
python3 - "$shared/images/classify/dog.jpg" "$bad/a-bogus.jpg" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
dqt = b.index(b'\xff\xdb')
b[dqt + 2:dqt + 4] = b'\x00\x01'  # "Bogus marker length"
open(sys.argv[2], 'wb').write(b)
PY
run_index 1 -j 1 "$tmp/db3" "$bad"
[ "$(summary indexed)" = "$i" ] && [ "$(summary failed)" = 1 ] || fail "good files after a bad one: $(cat "$tmp/err")"
echo "index_failures.sh: all checks passed"
