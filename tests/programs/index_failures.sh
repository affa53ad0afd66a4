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

# A rerun does not retry unchanged failures, but still says they failed.
run_index 1 "$db" "$dir"
[ "$(summary indexed)" = 0 ] && [ "$(summary failed)" = 6 ] || fail "rerun: $(cat "$tmp/err")"
# Repaired file: indexed, its failure record replaced.
cp "$shared/images/classify/dog.jpg" "$dir/truncated.jpg"
run_index 1 "$db" "$dir"
[ "$(summary indexed)" = 1 ] || fail "repaired file: $(cat "$tmp/err")"
[ "$(info "$db" indexed)" = 6 ] && [ "$(info "$db" failed)" = 5 ] || fail "after repair"
# A named file that does not exist is an error of this run (1), not fatal.
run_index 1 "$tmp/db2" "$dir/img0.png" "$dir/missing.jpg"
grep -q "missing.jpg: No such file" "$tmp/err" && grep -q "1 paths unreadable" "$tmp/err" \
    || fail "missing file: $(cat "$tmp/err")"
[ "$(info "$tmp/db2" indexed)" = 1 ] || fail "the good file next to a missing one"
echo "index_failures.sh: all checks passed"
