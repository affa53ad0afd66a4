#!/bin/sh
# index_throughput.sh -- maso-index end to end: images per second with 1 and
# 2 jobs on the Kodak set and on the photo set, beside the bare forward pass
# (bench_forward, same session) and findimagedupes building its fingerprint
# database (-n: no comparison) on the same photos; peak memory
# (/usr/bin/time -v) at 500 and at all photos; bytes stored per image.
#
# usage: bench/index_throughput.sh BUILD_DIR PHOTOSET_DIR [KODAK_DIR]
#   PHOTOSET_DIR: from datasets/photoset/make.sh.  Scratch in $TMPDIR.
# Environment: FID_COUNT (photos given to findimagedupes, default 300:
# it runs at a few images per second).
set -eu
build=$1 photos=$2
kodak=${3:-$(cd "$(dirname "$0")/.." && pwd)/../shared/images/kodak}
index=$build/indexer/maso-index query=$build/query/maso-query
work=$(mktemp -d "${TMPDIR:-/tmp}/index_throughput.XXXXXX")
trap 'rm -rf "$work"' EXIT
fid_count=${FID_COUNT:-300}

find "$photos" -maxdepth 1 -name '*.jpg' | sort > "$work/all"
head -n 500 "$work/all" > "$work/500"
head -n "$fid_count" "$work/all" > "$work/fid"
n_all=$(wc -l < "$work/all")

# timed NAME N CMD...: run CMD under /usr/bin/time -v, print a row:
# name, images, wall seconds, images/s, CPU seconds (user + system: what
# other programs on a shared machine cannot inflate), peak RSS (MB).
timed() {
    name=$1 n=$2
    shift 2
    /usr/bin/time -v "$@" 2> "$work/time" > /dev/null || {
        status=$?
        [ "$status" -eq 1 ] || { cat "$work/time" >&2; exit 1; }
    }
    awk -v name="$name" -v n="$n" '
        /Elapsed \(wall clock\)/ { t = $NF; k = split(t, p, ":");
            s = (k == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
        /User time \(seconds\)/ { cpu += $NF }
        /System time \(seconds\)/ { cpu += $NF }
        /Maximum resident set size/ { rss = $NF / 1024 }
        END { printf "%-34s %6d %8.2f s %8.1f img/s %8.2f cpu-s %8.1f MB\n", name, n, s, n / s, cpu, rss }' "$work/time"
}

echo "== forward pass only (bench_forward, 227x227 input, no decoding)"
"$build/bench/bench_forward" 40

for jobs in 1 2; do
    echo "== maso-index, $jobs job(s)"
    rm -rf "$work/db"
    timed "kodak (24 PNG)" 24 "$index" -q -j $jobs "$work/db" "$kodak"
    rm -rf "$work/db"
    timed "photoset 500" 500 "$index" -q -j $jobs --files-from "$work/500" "$work/db"
    rm -rf "$work/db"
    timed "photoset $n_all" "$n_all" "$index" -q -j $jobs --files-from "$work/all" "$work/db"
done
echo "== store"
"$query" --info "$work/db" | grep -E "images|size"
rm -rf "$work/db"
"$index" -q --full-codes --files-from "$work/500" "$work/db_full" || [ $? -eq 1 ]
echo "full codes: $("$query" --info --json "$work/db_full" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["bytes_per_image"]), "bytes per image")')"
rm -rf "$work/db_full"

echo "== side by side on the first $fid_count photos"
if command -v findimagedupes > /dev/null; then
    timed "findimagedupes -n (fingerprints)" "$fid_count" \
        sh -c 'findimagedupes -q -n -f "$1/fid.db" -- - < "$2"' sh "$work" "$work/fid"
fi
for jobs in 1 2; do
    rm -rf "$work/db"
    timed "maso-index -j $jobs" "$fid_count" "$index" -q -j $jobs --files-from "$work/fid" "$work/db"
done
# The same, alternated and repeated by hyperfine (fresh databases each run).
if command -v hyperfine > /dev/null && command -v findimagedupes > /dev/null; then
    hyperfine -N --runs "${RUNS:-3}" --style basic \
        --prepare "rm -f $work/fid.db" \
        "sh -c 'findimagedupes -q -n -f $work/fid.db -- - < $work/fid'" \
        --prepare "rm -rf $work/db" \
        "$index -q -j 1 $work/db --files-from $work/fid" \
        --prepare "rm -rf $work/db" \
        "$index -q -j 2 $work/db --files-from $work/fid"
fi
