#!/bin/sh
# mpi_index.sh -- maso-index throughput as an MPI job against one process,
# side by side in one session (the machine is shared: rounds interleave
# the variants, medians are quoted): one process with --jobs 1 and 2, and
# mpirun with 1 and 2 ranks (one coding thread each) into 2 shards, by
# default (each image coded in 4 orientations) and with --no-orient; then
# the top-k merge of maso-query at 2, 4, 8 and 16 ranks (mpi_topk).
#
# usage: bench/mpi_index.sh BUILD_DIR [N_PHOTOS [ROUNDS]]
#   photos: the Kodak PNGs and classify JPEGs of ../shared, cycled to
#   N_PHOTOS (default 240) under other names.  Scratch in $TMPDIR.
set -eu
build=$1 n=${2:-240} rounds=${3:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=$top/../shared
index=$build/indexer/maso-index
mpirun="mpirun --oversubscribe --allow-run-as-root"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpi_index.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/photos"
i=0
while [ $i -lt "$n" ]; do
    for f in "$shared"/images/kodak/*.png "$shared"/images/classify/*; do
        [ $i -lt "$n" ] || break
        cp "$f" "$work/photos/p$i.${f##*.}"
        i=$((i + 1))
    done
done

# rate NAME CMD...: images per second of one fresh run.
rate() {
    name=$1
    shift
    rm -rf "$work/db"
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$name $(echo "$n / ($t1 - $t0)" | bc -l)" >> "$work/rates"
}
: > "$work/rates"
for r in $(seq 1 "$rounds"); do
    for flags in "" --no-orient; do
        tag=${flags:+-plain}
        rate "one-process-j1$tag" "$index" -q $flags -j 1 --shards 2 "$work/db" "$work/photos"
        rate "one-process-j2$tag" "$index" -q $flags -j 2 --shards 2 "$work/db" "$work/photos"
        rate "mpirun-np1$tag" $mpirun -np 1 "$index" -q $flags --shards 2 "$work/db" "$work/photos"
        rate "mpirun-np2$tag" $mpirun -np 2 "$index" -q $flags --shards 2 "$work/db" "$work/photos"
    done
done
echo "maso-index, $n photos, $rounds rounds (images/s, median; wall time incl. start-up;"
echo "-plain: --no-orient, against one process -j 2 --no-orient):"
python3 - "$work/rates" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    name, v = line.split()
    rates.setdefault(name, []).append(float(v))
for name, v in rates.items():
    base = statistics.median(rates["one-process-j2" + ("-plain" if name.endswith("-plain") else "")])
    m = statistics.median(v)
    print(f"  {name:22s} {m:7.1f} images/s  ({m / base:.2f}x one process -j 2)  runs: "
          + " ".join(f"{x:.1f}" for x in v))
PY
echo "top-k merge (mpi_topk, 200 rounds, oversubscribed on this machine):"
for np in 2 4 8 16; do
    $mpirun -np $np "$build/bench/mpi_topk" 200 | sed 's/^/  /'
done
