#!/bin/sh
# A damaged store, as the user meets it: maso-query --info --check names
# the damaged records (text and JSON, exit status 2); maso-index --repair
# removes them and indexes their files again; afterwards --check passes
# and queries answer as they did before the damage.
# usage: index_repair.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_repair "$@"
db=$tmp/db
photos "$tmp/photos" 6
# One worker: ids follow path order (img0 is id 1 ... img5 is id 6).
run_index 0 -j 1 "$db" "$tmp/photos"
"$query" --json -k 5 "$db" "$tmp/photos/img0.png" > "$tmp/before.json"

# Damage the sketch of img3 (id 4) and the record of img5 (id 6), in place,
# at offsets found from the documented layouts.  LMDB writes a changed page
# to a new place and keeps the old copy as a free page until it is reused,
# so the file can hold stale copies of the block and of the record (how many
# depends on the page layout, so on the length of the paths, so on where the
# test runs): every copy is damaged, the live one among them.
python3 - "$db/data.mdb" "$tmp/photos/img5.png" <<'PY'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
hits = 0
at = d.find(b'MBK1')
while at >= 0:
    stride, sketches = struct.unpack_from('<I', d, at + 16)[0], struct.unpack_from('<I', d, at + 28)[0]
    if struct.unpack_from('<I', d, at + 36)[0] >= 5:   # a copy holding slot 4
        d[at + sketches + 4 * stride + 17] ^= 0x20     # slot 4 = id 4 = img3
        hits += 1
    at = d.find(b'MBK1', at + 1)
assert hits, "no sketch block holding id 4"
path = sys.argv[2].encode() + b'\0'
at, hits = d.find(path), 0
while at >= 0:
    if struct.unpack_from('<I', d, at - 32 + 4)[0] == len(path) - 1:  # the record, not the path key
        d[at - 32 + 16] ^= 0x01                                      # its size field
        hits += 1
    at = d.find(path, at + 1)
assert hits, "no record of img5"
open(p, 'wb').write(d)
PY

set +e
"$query" --info --check "$db" > "$tmp/check.txt" 2> "$tmp/err"
status=$?
set -e
[ "$status" -eq 2 ] || fail "--check on a damaged store: exit status $status"
grep -q "^check: .*2 damaged records" "$tmp/check.txt" || fail "check line: $(cat "$tmp/check.txt")"
grep -q "^  4 $tmp/photos/img3.png (sketch)$" "$tmp/check.txt" || fail "img3 not named: $(cat "$tmp/check.txt")"
grep -q "^  6 $tmp/photos/img5.png (record)$" "$tmp/check.txt" || fail "img5 not named: $(cat "$tmp/check.txt")"
set +e
"$query" --info --check --json "$db" > "$tmp/check.json" 2> "$tmp/err"
set -e
python3 - "$tmp/check.json" "$tmp/photos" <<'PY' || fail "check JSON: $(cat "$tmp/check.json")"
import json, sys
text = open(sys.argv[1]).read()  # the JSON stops at the unreadable failures list
start = text.index('"damaged": [')
damaged = json.loads(text[start + len('"damaged": '):text.index(']', start) + 1])
d = sys.argv[2]
assert damaged == [{"id": 4, "path": d + "/img3.png", "what": "sketch"},
                   {"id": 6, "path": d + "/img5.png", "what": "record"}], damaged
PY

run_index 0 --repair "$db"
grep -q "removed the damaged record 4 (sketch) of $tmp/photos/img3.png, to index again" "$tmp/err" \
    || fail "repair message: $(cat "$tmp/err")"
grep -q "repair: 2 damaged records removed" "$tmp/err" || fail "repair summary: $(cat "$tmp/err")"
[ "$(summary indexed)" = 2 ] || fail "repair did not index the two files again: $(cat "$tmp/err")"
"$query" --info --check --json "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" <<'PY' || fail "after repair: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
assert info["check"] == "ok" and info["damaged"] == [] and info["indexed"] == 6, info
PY
# The same answers as before (ids aside: the two files have new ones).
"$query" --json -k 5 "$db" "$tmp/photos/img0.png" > "$tmp/after.json"
python3 - "$tmp/before.json" "$tmp/after.json" <<'PY' || fail "answers changed after repair"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda r: [(m["path"], m["distance"]) for m in r["matches"]]
assert strip(a) == strip(b), (a, b)
PY
run_index 0 --repair "$db"
grep -q "repair: 0 damaged records removed" "$tmp/err" || fail "second repair: $(cat "$tmp/err")"
echo "index_repair.sh: all checks passed"
