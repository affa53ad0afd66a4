#!/bin/sh
# mpi_query.sh -- maso-query latency over a synthetic sharded index (N
# records in 2 shards, shard_synth) as one process and as an MPI job with
# 1 and 2 ranks, side by side in one session (rounds interleave the
# variants; medians).  A query's latency is (time of Q+1 queries - time of
# 1 query) / Q: start-up and opening the shards are left out.  Queries are
# stored paths (--indexed), so no forward pass is timed.
#
# usage: bench/mpi_query.sh BUILD_DIR [N [Q [ROUNDS]]]   (1000000 40 3)
#   scratch in $TMPDIR (about 8 KB per record); MASO_BENCH_DB=DIR reuses a
#   DB that an earlier run's shard_synth made with the same N (kept, not
#   rebuilt).
set -eu
build=$1 n=${2:-1000000} q=${3:-40} rounds=${4:-3}
query=$build/query/maso-query
mpirun="mpirun --oversubscribe --allow-run-as-root"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpi_query.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "${MASO_BENCH_DB:-}" ]; then
  ln -s "$MASO_BENCH_DB" "$work/db"
  echo "reusing $MASO_BENCH_DB, $(du -smL "$work/db" | cut -f1) MB"
else
  t0=$(date +%s.%N)
  "$build/bench/shard_synth" "$work/db" "$n" 2 2> /dev/null
  t1=$(date +%s.%N)
  echo "built $n records in 2 shards in $(echo "$t1 - $t0" | bc) s, $(du -sm "$work/db" | cut -f1) MB"
fi
python3 -c "
import random, sys
random.seed(7)
n, q = int(sys.argv[1]), int(sys.argv[2])
print('/synthetic/%09d.jpg' % 0)
for _ in range(q): print('/synthetic/%09d.jpg' % random.randrange(n))
" "$n" "$q" > "$work/queries"
head -1 "$work/queries" > "$work/one"
# Warm the page cache once (the shards are read in place).

"$query" --indexed "$work/db" $(cat "$work/one") > /dev/null 2>&1 || true

# secs CMD...: wall seconds of CMD.
secs() {
    s0=$(date +%s.%N)
    "$@" > "$work/out" 2> /dev/null || true
    s1=$(date +%s.%N)
    echo "$s1 - $s0" | bc -l
}
: > "$work/lat"
for r in $(seq 1 "$rounds"); do
    for v in one-t2 one-t1 np1-t1 np2-t1; do
        case $v in
        one-t2) run="$query --threads 2 --indexed --json $work/db" ;;
        one-t1) run="$query --threads 1 --indexed --json $work/db" ;;
        np1-t1) run="$mpirun -np 1 $query --threads 1 --indexed --json $work/db" ;;
        np2-t1) run="$mpirun -np 2 $query --threads 1 --indexed --json $work/db" ;;
        esac
        a=$(secs $run $(cat "$work/one"))
        b=$(secs $run $(cat "$work/queries"))
        cp "$work/out" "$work/out.$v"
        echo "$v $(echo "($b - $a) * 1000 / $q" | bc -l)" >> "$work/lat"
    done
done
echo "maso-query latency per query, $n records, 2 shards, default policy (ms, median of $rounds):"
python3 - "$work/lat" <<'PY'
import statistics, sys
lat = {}
for line in open(sys.argv[1]):
    name, v = line.split()
    lat.setdefault(name, []).append(float(v))
base = statistics.median(lat["one-t2"])
for name, v in lat.items():
    m = statistics.median(v)
    print(f"  {name:8s} {m:7.2f} ms  ({m / base:.2f}x one process, 2 threads)  runs: "
          + " ".join(f"{x:.2f}" for x in v))
PY
for v in one-t1 np1-t1 np2-t1; do
    if cmp -s "$work/out.one-t2" "$work/out.$v"; then
        echo "  $v: output identical to one process"
    else
        echo "  $v: OUTPUT DIFFERS from one process"
    fi
done
