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
