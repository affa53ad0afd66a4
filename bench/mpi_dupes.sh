#!/bin/sh
# mpi_dupes.sh -- maso-query --duplicates over a synthetic sharded index (N
# clustered records in 4 shards, shard_synth) as one process and as an MPI
# job with 1 to 4 ranks, side by side in one session: the banded mode
# (--bands B: band keys exchanged all-to-all, cluster_bands.c) and the
# default mode (above 5,000 images each image's 64 nearest by summary: the
# summaries around the ring, N^2 / ranks summary distances per rank, then
# the candidates' sketches fetched, cluster_nearest.c).  Every rank runs
# one thread; every MPI output is compared with the one process's of the
# same mode.  Wall seconds, start-up and opening included.  With BASE_BUILD
# the MPI runs of BASE_BUILD's maso-query are timed beside (an A/B of two
# versions in one session).
#
# usage: bench/mpi_dupes.sh BUILD_DIR [N [BANDS [RING_MAX [BASE_BUILD]]]]
#   (20000 16 20000) the default mode is timed only up to RING_MAX records
#   (it is quadratic); scratch in $TMPDIR (about 8 KB per record).
set -eu
build=$1 n=${2:-20000} bands=${3:-16} ring_max=${4:-20000} base=${5:-}
query=$build/query/maso-query
mpirun="mpirun --oversubscribe --allow-run-as-root"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpi_dupes.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$build/bench/shard_synth" "$work/db" "$n" 4 2> /dev/null
echo "$n synthetic records in 4 shards, $(du -sm "$work/db" | cut -f1) MB; $(nproc) cores"
"$query" --duplicates --threads 1 "$work/db" > /dev/null 2>&1 || true   # page cache

# run NAME CMD...: wall seconds of CMD, its output kept as NAME.
run() {
    name=$1
    shift
    s0=$(date +%s.%N)
    "$@" > "$work/$name" 2> "$work/$name.err" || true
    s1=$(date +%s.%N)
    printf '  %-22s %7.2f s' "$name" "$(echo "$s1 - $s0" | bc -l)"
}
# same NAME REF: whether NAME's output is REF's.
same() {
    if cmp -s "$work/$1" "$work/$2"; then echo "  (groups identical to one process)"
    else echo "  (DIFFERS from one process)"; fi
}
modes="bands"
[ "$n" -le "$ring_max" ] && modes="bands ring"
for mode in $modes; do
    case $mode in
    bands) args="--bands $bands" ;;
    ring) args="" ;;
    esac
    echo "--duplicates $args:"
    run "$mode-one-t1" "$query" --duplicates --json --threads 1 $args "$work/db"
    echo "  ($(wc -l < "$work/$mode-one-t1") groups)"
    run "$mode-one-t2" "$query" --duplicates --json --threads 2 $args "$work/db"
    same "$mode-one-t2" "$mode-one-t1"
    for np in 1 2 3 4; do
        run "$mode-np$np" $mpirun -np $np "$query" --duplicates --json --threads 1 $args "$work/db"
        same "$mode-np$np" "$mode-one-t1"
        if [ -n "$base" ]; then
            run "$mode-base-np$np" $mpirun -np $np "$base/query/maso-query" --duplicates --json --threads 1 $args "$work/db"
            same "$mode-base-np$np" "$mode-one-t1"
        fi
    done
done
