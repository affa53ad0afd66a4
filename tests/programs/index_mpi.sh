#!/bin/sh
# maso-index as an MPI job on this machine (mpirun --oversubscribe -np
# 1..4): every run ends with the same store contents as one process
# (store_dump: records, sizes, mtimes, digests of the sketches and of the
# orientation sketches, failure reasons; --no-orient: none kept),
# whatever the number of ranks and shards; reruns skip everything; kill -9
# of the whole job or of one rank, then a rerun, gives the same contents
# and whole stores; a rank that fails makes the job exit non-zero with a
# message naming the rank, the host and the cause.
# usage: index_mpi.sh MASO_INDEX MASO_QUERY STORE_DUMP "MPIRUN ARGS" SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
dump=$3
# Under AddressSanitizer, leak checks stay off in the ranks: the MPI
# runtime keeps allocations of plugins it unloads at exit (reported from
# "<unknown module>", so they cannot be suppressed by name).  Memory errors
# are still caught, and the same code without MPI is leak-checked by
# index_sharded.sh and the other program tests.
mpirun="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $4"
start_test index_mpi "$1" "$2" "$5" "$6"
host=$(hostname)
photos "$tmp/photos" 40
printf 'not an image' > "$tmp/photos/broken.jpg"

# mpi_index EXPECTED_STATUS NP ARGS...: maso-index under mpirun.
mpi_index() {
    want=$1 np=$2
    shift 2
    set +e
    $mpirun -np "$np" "$index" "$@" 2> "$tmp/err" < /dev/null
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$tmp/err" >&2; fail "mpirun -np $np maso-index $*: exit status $got, expected $want"; }
}
same_as_ref() {
    "$dump" "$1" > "$tmp/dump.txt" || fail "$2: store_dump (a store not whole, or a misplaced record)"
    cmp "$tmp/ref.txt" "$tmp/dump.txt" || fail "$2: contents differ from one process's"
}

run_index 1 -q "$tmp/ref" "$tmp/photos"
"$dump" "$tmp/ref" > "$tmp/ref.txt"
[ "$(wc -l < "$tmp/ref.txt")" -eq 41 ] || fail "reference: $(wc -l < "$tmp/ref.txt") records"

# 3 ranks, 3 shards: the issue's case.
mpi_index 1 3 --shards 3 "$tmp/db3" "$tmp/photos"
[ "$(summary indexed)" = 40 ] && [ "$(summary failed)" = 1 ] || fail "3 ranks: $(cat "$tmp/err")"
grep -q "broken.jpg" "$tmp/err" || fail "the failed file is not reported: $(cat "$tmp/err")"
same_as_ref "$tmp/db3" "3 ranks, 3 shards"
mpi_index 1 3 "$tmp/db3" "$tmp/photos"
# the failed file is retried (and fails again), as in one store
[ "$(summary indexed)" = 0 ] && [ "$(summary skipped)" = 40 ] && [ "$(summary failed)" = 1 ] || fail "3 ranks, rerun: $(cat "$tmp/err")"
# Other counts of ranks and shards; one store written by rank 0 of 2.
mpi_index 1 1 --shards 2 "$tmp/db1" "$tmp/photos"
same_as_ref "$tmp/db1" "1 rank, 2 shards"
mpi_index 1 4 --shards 5 "$tmp/db4" "$tmp/photos"
same_as_ref "$tmp/db4" "4 ranks, 5 shards"
mpi_index 1 2 "$tmp/single" "$tmp/photos"
same_as_ref "$tmp/single" "2 ranks, one store"
# Every record ok has its orientation sketches (one process's, byte for
# byte, by the digests above), unless --no-orient: then none, as one
# process keeps none.
[ "$(grep -c '	ok	.*	-$' "$tmp/ref.txt")" -eq 0 ] || fail "reference: records without orientation sketches"
cp "$tmp/ref.txt" "$tmp/ref-orient.txt"
run_index 1 -q --no-orient "$tmp/ref-plain" "$tmp/photos"
"$dump" "$tmp/ref-plain" > "$tmp/ref.txt"
[ "$(grep -c '	-$' "$tmp/ref.txt")" -eq 41 ] || fail "--no-orient reference keeps orientation sketches"
mpi_index 1 3 --no-orient --shards 2 "$tmp/plain" "$tmp/photos"
same_as_ref "$tmp/plain" "3 ranks, --no-orient"
cp "$tmp/ref-orient.txt" "$tmp/ref.txt"
# The same index, written without MPI next: nothing left to do.
run_index 1 "$tmp/db4" "$tmp/photos"
[ "$(summary indexed)" = 0 ] || fail "without MPI after MPI: $(cat "$tmp/err")"
# Node-local shards on the ranks' host.
mpi_index 1 2 --shards 3 --shard-dir "$tmp/node/%h/s%n" "$tmp/nl" "$tmp/photos"
grep -q "^shard 2 $host $tmp/node/$host/s002\$" "$tmp/nl/manifest" || fail "manifest: $(cat "$tmp/nl/manifest")"
same_as_ref "$tmp/nl" "node-local shards"
# A shard on a host where no rank runs: refused before anything is done.
sed -i "s|^shard 2 $host |shard 2 elsewhere |" "$tmp/nl/manifest"
mpi_index 2 2 "$tmp/nl" "$tmp/photos"
grep -q "shard 2 lives on host elsewhere" "$tmp/err" || fail "foreign host: $(cat "$tmp/err")"
run_index 2 "$tmp/nl" "$tmp/photos"
grep -q "shard 2 lives on host elsewhere, not on $host" "$tmp/err" || fail "foreign host, no MPI: $(cat "$tmp/err")"

# wait_indexed DB PID AT_LEAST: until AT_LEAST images of DB are committed
# (--info reads the shards while they are written).
wait_indexed() {
    while :; do
        kill -0 "$2" 2> /dev/null || fail "the job ended before it could be killed"
        n=$("$query" --info --json "$1" 2> /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["indexed"])' 2> /dev/null) || n=0
        [ "$n" -ge "$3" ] && return 0
        sleep 0.05
    done
}

# kill -9 of the whole job (every process of its session: Open MPI puts
# each rank in a process group of its own) in the middle, then a rerun
# under MPI: what was committed stays, the rest is done once.
photos "$tmp/big" 200
run_index 0 -q "$tmp/bigref" "$tmp/big"
"$dump" "$tmp/bigref" > "$tmp/ref.txt"
setsid $mpirun -np 3 "$index" -q --batch 2 --batch-seconds 1000 --shards 3 \
    "$tmp/k" "$tmp/big" < /dev/null 2> /dev/null &
pid=$!
wait_indexed "$tmp/k" $pid 12
kill -9 $(ps -o pid= -s "$pid") 2> /dev/null || true
wait $pid 2> /dev/null || true
sleep 0.3
k=$("$query" --info --json "$tmp/k" | python3 -c 'import json,sys; print(json.load(sys.stdin)["indexed"])')
echo "index_mpi: $k of 200 committed when the job was killed"
[ "$k" -lt 200 ] || fail "the job ended before the kill"
mpi_index 0 3 -q "$tmp/k" "$tmp/big"
same_as_ref "$tmp/k" "kill -9 of the job, rerun"

# kill -9 of one rank: mpirun ends the job, non-zero, naming the rank.
$mpirun -np 3 "$index" -q --batch 2 --shards 3 "$tmp/k1" "$tmp/big" \
    < /dev/null > "$tmp/k1.err" 2>&1 &
pid=$!
# The rank processes: maso-index processes below mpirun, its children
# (Open MPI) or deeper (MPICH's Hydra starts a proxy that starts them).
ranks_of() {
    ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
        { parent[$1] = $2; comm[$1] = $3 }
        END {
            for (p in parent) {
                q = p
                while (q in parent && q != root && q > 1)
                    q = parent[q]
                if (q == root && p != root && comm[p] == "maso-index")
                    print p
            }
        }' | sort -n
}
victim=""
for i in $(seq 1 100); do
    victim=$(ranks_of $pid | sed -n 2p)
    [ -n "$victim" ] && break
    sleep 0.05
done
[ -n "$victim" ] || fail "no rank process found"
wait_indexed "$tmp/k1" $pid 12
kill -9 "$victim"
set +e
wait $pid
st=$?
set -e
[ $st -ne 0 ] || fail "a rank killed, yet the job exited 0"
# The launcher says which process died and how: Open MPI names the rank,
# MPICH's Hydra the PID and the signal (on standard output).
grep -Eqi "rank|signal 9" "$tmp/k1.err" || fail "kill -9 of a rank: $(cat "$tmp/k1.err")"
mpi_index 0 2 -q "$tmp/k1" "$tmp/big"
same_as_ref "$tmp/k1" "kill -9 of a rank, rerun"

# A rank that fails: shard 1's store path is a file, so its owner (rank 1
# of 3) cannot open it.
photos "$tmp/more" 6
mpi_index 0 3 --shards 3 "$tmp/bad" "$tmp/more"
rm -rf "$tmp/bad/shard-001"
printf 'x' > "$tmp/bad/shard-001"
mpi_index 2 3 --rescan "$tmp/bad" "$tmp/more"
grep -q "rank 1 on $host: shard 1: cannot open the store .*shard-001" "$tmp/err" || fail "failing rank: $(cat "$tmp/err")"
echo "index_mpi: ok"
