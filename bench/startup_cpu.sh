#!/bin/sh
# startup_cpu.sh -- CPU of starting and ending each program (maso-index,
# maso-query, maso-eval with --help: the shared libraries loaded and their
# constructors run, nothing else), beside the same programs of a second
# build (BASE_BUILD, e.g. an older commit) when given.  Each measure is
# the user + system seconds of RUNS runs in a row (/usr/bin/time counts
# 10 ms ticks, too coarse for one run), divided by RUNS; the builds
# alternate round by round (the machine is shared and noisy) and the
# median of the rounds is printed in milliseconds per run.
#
# usage: bench/startup_cpu.sh BUILD_DIR [BASE_BUILD_DIR]
# Environment: ROUNDS (default 5), RUNS (default 40).
set -eu
build=$1 base=${2:-}
rounds=${ROUNDS:-5} runs=${RUNS:-40}
work=$(mktemp -d "${TMPDIR:-/tmp}/startup_cpu.XXXXXX")
trap 'rm -rf "$work"' EXIT

# cpu FILE PROGRAM: append the ms of CPU per run of PROGRAM --help.
cpu() {
    /usr/bin/time -f "%U %S" -o "$work/t" sh -c \
        'i=0; while [ "$i" -lt "$1" ]; do "$2" --help > /dev/null; i=$((i + 1)); done' \
        sh "$runs" "$2"
    awk -v n="$runs" '{ print ($1 + $2) * 1000 / n }' "$work/t" >> "$1"
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

programs="indexer/maso-index query/maso-query eval/maso-eval"
r=0
while [ "$r" -lt "$rounds" ]; do
    r=$((r + 1))
    for p in $programs; do
        name=${p#*/}
        cpu "$work/$name.build" "$build/$p"
        if [ -n "$base" ]; then cpu "$work/$name.base" "$base/$p"; fi
    done
done
echo "== CPU ms per run of PROGRAM --help, median of $rounds rounds of $runs runs"
for p in $programs; do
    name=${p#*/}
    line=$(printf '%-12s build %6.2f' "$name" "$(median "$work/$name.build")")
    if [ -n "$base" ]; then
        line="$line   base $(printf '%6.2f' "$(median "$work/$name.base")")"
    fi
    echo "$line"
done
