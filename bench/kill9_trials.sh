#!/bin/sh
# kill -9 trials: index a folder, kill maso-index with SIGKILL at a random
# moment (N times, each on top of the last), then let a final run finish;
# count the trials after which the store failed --check or the final store
# does not hold every file exactly once (what "nothing lost" means).
# usage: bench/kill9_trials.sh BUILD_DIR PHOTO_DIR TRIALS
set -eu
build=$1 photos=$2 trials=$3
index=$build/indexer/maso-index query=$build/query/maso-query
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=$(find "$photos" -type f | wc -l)
bad=0
i=0
while [ "$i" -lt "$trials" ]; do
    "$index" -q -j 2 --batch 4 --batch-seconds 0.5 "$tmp/db" "$photos" 2> /dev/null &
    pid=$!
    # a random moment in the first ~3 s
    sleep "$(awk -v s="$i" 'BEGIN { srand(s + 1); printf "%.2f", 0.2 + rand() * 3 }')"
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    if ! "$query" --info --check "$tmp/db" > "$tmp/check" 2>&1; then
        bad=$((bad + 1))
        echo "trial $i: --check failed: $(grep check "$tmp/check")"
    fi
    i=$((i + 1))
done
"$index" -q "$tmp/db" "$photos" 2> /dev/null || true # 1: some files failed
got=$("$query" --info --json --check "$tmp/db" | python3 -c '
import json, sys
i = json.load(sys.stdin)
print(i["records"], i["indexed"], i["failed"], i["check"])')
echo "kill -9 trials: $trials, store failed --check after $bad; final: records indexed failed check = $got (files: $n)"
