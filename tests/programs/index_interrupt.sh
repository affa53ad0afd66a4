#!/bin/sh
# maso-index interrupted: kill -9 in the middle of a run, then a rerun that
# ends with every file indexed exactly once; SIGINT and SIGTERM commit what
# is done and exit 130 within a second; maso-query --info reads the store while it is being written.
# usage: index_interrupt.sh MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
start_test index_interrupt "$@"
N=64
photos "$tmp/photos" $N

# wait_indexed DB PID AT_LEAST: poll --info (a reader during the write)
# until AT_LEAST images are committed; every value seen goes to $tmp/seen.
# Fails if the writer finished first.
wait_indexed() {
    : > "$tmp/seen"
    while :; do
        kill -0 "$2" 2> /dev/null || fail "maso-index ended before it could be interrupted"
        if [ -f "$1/data.mdb" ] && n=$(info "$1" indexed 2> "$tmp/info_err"); then
            echo "$n" >> "$tmp/seen"
            [ "$n" -ge "$3" ] && return 0
        fi
        sleep 0.02
    done
}

# kill -9 after a few batches.  Commits come every 4 files only (the timer
# is set far away), so a reader sees multiples of 4, never a partial batch.
db=$tmp/db
"$index" -j 1 --batch 4 --batch-seconds 1000 -q "$db" "$tmp/photos" 2> "$tmp/err1" &
pid=$!
wait_indexed "$db" $pid 8
kill -9 $pid
set +e
wait $pid
status=$?
set -e
[ "$status" -eq 137 ] || fail "kill -9: exit status $status"
python3 - "$tmp/seen" <<'PY' || fail "reader during the write saw: $(tr '\n' ' ' < "$tmp/seen")"
seen = [int(l) for l in open(__import__("sys").argv[1])]
assert seen, "no reading"
assert all(a <= b for a, b in zip(seen, seen[1:])), "count went down"
assert all(n % 4 == 0 for n in seen), "a partial batch was visible"
PY
k=$(info "$db" indexed)
[ "$k" -ge 8 ] && [ "$k" -lt $N ] || fail "after kill -9: $k committed"
[ $((k % 4)) -eq 0 ] || fail "a partial batch survived kill -9: $k"

run_index 0 -j 2 "$db" "$tmp/photos"
[ "$(summary skipped)" = "$k" ] || fail "rerun did not resume: $(cat "$tmp/err")"
[ "$(summary indexed)" = $((N - k)) ] || fail "rerun: $(cat "$tmp/err")"
"$query" --info --json --check "$db" > "$tmp/info.json"
python3 - "$tmp/info.json" $N "$tmp/photos" <<'PY' || fail "after the rerun: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert info["records"] == n and info["indexed"] == n and info["failed"] == 0, info
assert info["check"] == "ok", info["check"]
PY

# SIGTERM and SIGINT: stop feeding, commit what is done, exit 130 within a
# second; nothing is lost.  The signal is sent once the run has indexed
# a few files (its -v lines), not after a guessed sleep.
# stop_after SIG DB: start maso-index on the photos, send SIG after 3
# files, set $status and $stop_ms (signal to exit).
stop_after() {
    "$index" -v -j 2 --batch 1000 --batch-seconds 1000 "$2" "$tmp/photos" 2> "$tmp/err" &
    pid=$!
    while [ "$(grep -c '^indexed ' "$tmp/err")" -lt 3 ]; do
        kill -0 $pid 2> /dev/null || fail "maso-index ended before $1: $(cat "$tmp/err")"
        sleep 0.01
    done
    t0=$(date +%s%N)
    kill -"$1" $pid
    set +e
    wait $pid
    status=$?
    set -e
    stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
for sig in INT TERM; do
db=$tmp/db_$sig
stop_after $sig "$db"
[ "$status" -eq 130 ] || fail "SIG$sig: exit status $status: $(cat "$tmp/err")"
[ "$stop_ms" -lt 1000 ] || fail "SIG$sig: took $stop_ms ms to stop"
grep -q "interrupted" "$tmp/err" || fail "summary does not say interrupted: $(cat "$tmp/err")"
done_n=$(summary indexed)
[ "$done_n" -ge 3 ] && [ "$done_n" -lt $N ] || fail "SIG$sig: $done_n indexed"
[ "$(info "$db" indexed)" = "$done_n" ] || fail "indexed $done_n but committed $(info "$db" indexed)"
run_index 0 "$db" "$tmp/photos"
[ "$(summary indexed)" = $((N - done_n)) ] || fail "rerun after SIG$sig: $(cat "$tmp/err")"
done
echo "index_interrupt.sh: all checks passed"
