#!/bin/sh
# maso-query as an MPI job in its default coarse mode (above
# MASO_ENGINE_EXACT_SCAN_MAX records, no --candidates): the ranks must keep
# the candidates one process keeps, whose automatic number depends on the
# layers the default weights keep (about 2.2x the unweighted 4,000).  A
# synthetic sharded index of 20,000 clustered sketches (shard_synth); the
# queries are stored paths (--indexed) for which 4,000 candidates give
# other matches than the automatic number, checked first so that the test
# cannot pass with the unweighted count.
# usage: query_mpi_coarse.sh MASO_QUERY SHARD_SYNTH "MPIRUN ARGS" SHARED_DIR TMPDIR
set -eu
query=$1 synth=$2
mpirun="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $3"
tmp=$5/query_mpi_coarse
fail() { echo "query_mpi_coarse.sh: $*" >&2; exit 1; }
rm -rf "$tmp"
mkdir -p "$tmp"
"$synth" "$tmp/db" 20000 2 2> "$tmp/synth.err" || fail "shard_synth: $(cat "$tmp/synth.err")"
queries=
for i in 2311 16177 18488 4622; do
    queries="$queries $(printf '/synthetic/%09d.jpg' $i)"
done
"$query" --indexed --json -k 10 "$tmp/db" $queries > "$tmp/one.json" ||
    fail "one process: exit status $?"
"$query" --indexed --json -k 10 --candidates 4000 "$tmp/db" $queries > "$tmp/c4000.json" ||
    fail "one process, --candidates 4000: exit status $?"
cmp -s "$tmp/one.json" "$tmp/c4000.json" &&
    fail "4,000 candidates give the automatic number's matches: the test would not see the difference"
for np in 1 2 3; do
    $mpirun -np $np "$query" --indexed --json -k 10 "$tmp/db" $queries \
        > "$tmp/mpi$np.json" < /dev/null || fail "mpirun -np $np: exit status $?"
    cmp "$tmp/one.json" "$tmp/mpi$np.json" ||
        fail "mpirun -np $np: matches differ from one process's"
done
rm -rf "$tmp"
echo "query_mpi_coarse.sh: all checks passed"
