#!/bin/sh
# Run the libFuzzer harnesses of fuzz/ (clang, ASan + UBSan) for SECONDS
# each, one after the other, starting from the seeds in fuzz/corpus/ and
# the inputs found by earlier runs (build-fuzz/fuzz-work/<target>/corpus).
# Each run is added to build-fuzz/fuzz-work/ledger.tsv (target, seconds,
# executions, findings); the totals per target are printed at the end.
# Findings (crash, leak, timeout inputs) are kept in
# build-fuzz/fuzz-work/<target>/artifacts/ and make the exit status 1.
#
# usage: scripts/fuzz.sh [-j N] SECONDS [TARGET...]   (default: every
#        target; -j: N targets at a time, one core each)
#        scripts/fuzz.sh --seeds               write fuzz/corpus/ anew
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build-fuzz
if [ ! -f "$dir/CMakeCache.txt" ]; then
    CC=clang cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DMASO_FUZZ=ON -DMASO_BUILD_TESTS=OFF -DMASO_BUILD_BENCH=OFF > /dev/null
fi
cmake --build "$dir" -j "$(nproc)" > /dev/null
if [ "${1:-}" = "--seeds" ]; then
    scratch=$(mktemp -d)
    "$dir/fuzz/make_seeds" "$top/fuzz/corpus" "$scratch/store"
    "$top/fuzz/make_format_seeds.sh" "$top/fuzz/corpus" "$top/../shared"
    rm -rf "$scratch"
    exit 0
fi
# libdav1d's own block, left after corrupt AVIF files (tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
lanes=1
if [ "${1:-}" = "-j" ]; then
    lanes=$2
    shift 2
fi
[ $# -ge 1 ] || { echo "usage: scripts/fuzz.sh [-j N] SECONDS [TARGET...]" >&2; exit 2; }
seconds=$1
shift
# every target is a ctest of build-fuzz/ (fuzz/CMakeLists.txt)
targets=${*:-$(cd "$dir" && ctest -N | sed -n 's/^ *Test *#[0-9]*: //p')}
work=$dir/fuzz-work
mkdir -p "$work"
ledger=$work/ledger.tsv
[ -f "$ledger" ] || printf 'target\tseconds\texecs\tfindings\tdate\n' > "$ledger"
# run_target T: fuzz T for $seconds, add a ledger line; exit 1 on a finding.
run_target() {
    t=$1
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    before=$(ls "$work/$t/artifacts" | wc -l)
    log=$work/$t/last.log
    set +e
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$dir/fuzz/$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
        "$work/$t/corpus" "$top/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(( $(ls "$work/$t/artifacts" | wc -l) - before ))
    [ "$rc" -eq 0 ] || [ "$found" -gt 0 ] || found=1 # died without an artifact
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "${execs:-0}" "$found" \
        "$(date -u +%FT%TZ)" >> "$ledger"
    if [ "$found" -gt 0 ]; then
        echo "$t: FINDING (exit $rc), see $log and $work/$t/artifacts/" >&2
        return 1
    fi
    return 0
}
status=0
set -- $targets
while [ $# -gt 0 ]; do
    pids=""
    i=0
    while [ $i -lt "$lanes" ] && [ $# -gt 0 ]; do
        run_target "$1" &
        pids="$pids $!"
        shift
        i=$((i + 1))
    done
    for p in $pids; do
        wait "$p" || status=1
    done
done
# Totals per target: minutes fuzzed, executions, findings.
awk -F'\t' 'NR > 1 { s[$1] += $2; e[$1] += $3; f[$1] += $4 }
    END { for (t in s) printf "%-14s %7.1f min %12d execs %3d findings\n",
          t, s[t] / 60, e[t], f[t] }' "$ledger" | sort
exit $status
