#!/bin/sh
# maso-index on a full disk (a small tmpfs; the test runs as root, as CI
# does): the failure is named "no space left on device" with the store's
# path, the summary counts only what was committed, the store stays
# consistent (--check), and a rerun after freeing space completes.
# usage: index_full_disk.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_full_disk "$@"
N=24
photos "$tmp/photos" $N
mnt=$tmp/mnt
mkdir -p "$mnt"
mount -t tmpfs -o size=20m tmpfs "$mnt" || fail "cannot mount a tmpfs (the test needs root)"
trap 'umount "$mnt" 2> /dev/null || true' EXIT
# Leave about 3 MB: room for a few full codes (0.5 MB each), not for 24.
head -c 17000000 /dev/zero > "$mnt/filler"
db=$mnt/db

run_index 2 --full-codes --batch 2 -j 2 "$db" "$tmp/photos"
grep -q "^maso-index: cannot commit: $db: no space left on device" "$tmp/err" \
    || fail "full disk message: $(cat "$tmp/err")"
! grep -q "Input/output error" "$tmp/err" || fail "full disk reported as an I/O error"
k=$(summary indexed)
[ "$(info "$db" indexed)" = "$k" ] || fail "summary says $k indexed, the store has $(info "$db" indexed)"
[ "$k" -gt 0 ] && [ "$k" -lt $N ] || fail "$k committed before the disk was full"
"$query" --info --json --check "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" "$k" <<'PY' || fail "after the full disk: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
assert info["check"] == "ok" and info["indexed"] == int(sys.argv[2]), info
PY

rm "$mnt/filler"
run_index 0 --batch 2 -j 2 "$db" "$tmp/photos"
[ "$(summary indexed)" = $((N - k)) ] && [ "$(summary skipped)" = "$k" ] || fail "rerun: $(cat "$tmp/err")"
"$query" --info --json --check "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" $N <<'PY' || fail "after the rerun: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
assert info["check"] == "ok" and info["indexed"] == int(sys.argv[2]) and info["failed"] == 0, info
PY
echo "index_full_disk.sh: all checks passed"
