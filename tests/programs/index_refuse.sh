#!/bin/sh
# maso-index refuses what it cannot do, with exit status 2 and a message
# that says why: another model than the store's, no model, a DB that
# cannot be written or is not a store, bad usage; maso-query --info on a
# missing store.
# usage: index_refuse.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_refuse "$@"
db=$tmp/db
photos "$tmp/photos" 2
run_index 0 "$db" "$tmp/photos"

# The same network with a .param that differs (one more newline at the
# end: the parser reads it the same, its sha256 differs).
model=$shared/models/squeezenet_v1.1
mkdir "$tmp/model"
cp "$model/squeezenet_v1.1.param" "$model/squeezenet_v1.1.bin" "$tmp/model/"
chmod u+w "$tmp/model"/*
echo >> "$tmp/model/squeezenet_v1.1.param"
cp "$shared/images/classify/cat.png" "$tmp/photos/new.png"
run_index 2 --model "$tmp/model" "$db" "$tmp/photos"
grep -q "^maso-index: $db: built with another model: param_sha256 (the .param file) differs" "$tmp/err" || fail "mismatch message: $(cat "$tmp/err")"
! grep -q "mismatch" "$tmp/err" || fail "mismatch message says it twice: $(cat "$tmp/err")"
grep -q "param" "$tmp/err" || fail "mismatch message does not name the field: $(cat "$tmp/err")"
[ "$(info "$db" records)" = 2 ] || fail "the refused run wrote to the store"
# The altered model itself is fine for a new store.
run_index 0 --model "$tmp/model" "$tmp/db_other" "$tmp/photos"
[ "$(summary indexed)" = 3 ] || fail "new store with the other model"

run_index 2 --model "$tmp/nonexistent" "$tmp/db2" "$tmp/photos"
grep -q "no model" "$tmp/err" && grep -q "$tmp/nonexistent" "$tmp/err" \
    || fail "missing model: $(cat "$tmp/err")"
[ ! -e "$tmp/db2" ] || fail "a store was created without a model"

# A DB under a regular file cannot be created.
run_index 2 "$tmp/photos/new.png/db" "$tmp/photos"
grep -q "cannot open the store" "$tmp/err" || fail "unwritable DB: $(cat "$tmp/err")"
# A directory with a file that is not an LMDB store.
mkdir "$tmp/notastore"
head -c 65536 /dev/zero | tr '\0' 'x' > "$tmp/notastore/data.mdb"
run_index 2 "$tmp/notastore" "$tmp/photos"
grep -q "cannot open the store" "$tmp/err" || fail "not a store: $(cat "$tmp/err")"

# Precision: an int8 store keeps int8 (without --precision too), refuses
# fp32 codes with a message naming both, and maso-query codes its queries
# in the store's precision: a stored photo finds itself at distance 0
# (fp32 codes of it would not be identical), and an fp32 store cannot be
# searched with it.
run_index 0 --precision int8 "$tmp/db8" "$tmp/photos"
[ "$(info "$tmp/db8" model | python3 -c 'import json,sys; print(json.load(sys.stdin)["precision"])')" = int8 ] \
    || fail "--info does not say int8"
[ "$(info "$db" model | python3 -c 'import json,sys; print(json.load(sys.stdin)["precision"])')" = fp32 ] \
    || fail "--info does not say fp32"
cp "$shared/images/kodak/kodim05.png" "$tmp/photos/more.png"
run_index 0 "$tmp/db8" "$tmp/photos"
[ "$(summary indexed)" = 1 ] || fail "int8 store without --precision: $(cat "$tmp/err")"
run_index 2 --precision fp32 "$tmp/db8" "$tmp/photos"
grep -q "precision differs: the store holds int8 codes, these are fp32 codes" "$tmp/err" \
    || fail "precision mismatch message: $(cat "$tmp/err")"
run_index 2 --precision fp16 "$tmp/db8" "$tmp/photos"
grep -q "expected fp32 or int8" "$tmp/err" || fail "--precision fp16: $(cat "$tmp/err")"
"$query" --include-self -k 1 --json "$tmp/db8" "$tmp/photos/img0.png" > "$tmp/self.json"
python3 - "$tmp/self.json" "$tmp/photos/img0.png" <<'PY' || fail "int8 self match: $(cat "$tmp/self.json")"
import json, sys
text = open(sys.argv[1]).read()
docs = [json.loads(l) for l in text.splitlines() if l.strip()] if not text.lstrip().startswith('[') else json.loads(text)
def matches(d):
    for key in ("matches", "results"):
        if key in d:
            return d[key]
    return []
m = [x for d in docs for x in matches(d)]
assert m and m[0]["path"].endswith("img0.png") and m[0]["distance"] == 0, m
PY
set +e
"$query" --db "$db" --db "$tmp/db8" "$tmp/photos/img0.png" > /dev/null 2> "$tmp/err"
status=$?
set -e
[ "$status" -eq 2 ] || fail "fp32 and int8 stores searched together: status $status"
grep -q "precision differs" "$tmp/err" || fail "mixed search message: $(cat "$tmp/err")"

# Usage errors.
run_index 2
run_index 2 "$db"
grep -q "nothing to index" "$tmp/err" || fail "no PATH: $(cat "$tmp/err")"
run_index 2 --jobs 0 "$db" "$tmp/photos"
run_index 2 --batch x "$db" "$tmp/photos"
run_index 2 --files-from "$tmp/nolist" "$db"
grep -q "nolist" "$tmp/err" || fail "--files-from message: $(cat "$tmp/err")"

set +e
"$query" --info "$tmp/nostore" 2> "$tmp/err"
status=$?
set -e
[ "$status" -eq 2 ] || fail "--info on a missing store: exit status $status"
grep -q "$tmp/nostore" "$tmp/err" || fail "--info message: $(cat "$tmp/err")"
echo "index_refuse.sh: all checks passed"
