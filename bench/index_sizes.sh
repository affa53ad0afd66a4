#!/bin/sh
# index_sizes.sh -- CPU per image of the whole maso-index command (user +
# system seconds of /usr/bin/time, start-up included, / images) on 800-px
# photos and on 12-MP JPEGs, 1 and 2 jobs, beside findimagedupes building
# its fingerprints (-n, OMP_NUM_THREADS=1) on the same files, and beside a
# second maso-index (BASE_BUILD, e.g. an older commit; keys base.J,
# base-int8.J, base-noorient.J, base-int8-noorient.J) when given.  maso-index runs at each precision (keys fp32.J, int8.J: the
# default, with orientation sketches) and with --no-orient
# (fp32-noorient.J, int8-noorient.J).  The commands alternate round by
# round (the machine is shared and noisy), and the median of the rounds is
# printed.
#
# usage: bench/index_sizes.sh BUILD_DIR SETS_DIR [BASE_BUILD_DIR]
#   SETS_DIR: from bench/make_sizes.sh (SETS_DIR/800, SETS_DIR/12mp).
# Environment: ROUNDS (default 3).
set -eu
build=$1 sets=$2 base=${3:-}
rounds=${ROUNDS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/index_sizes.XXXXXX")
trap 'rm -rf "$work"' EXIT

# cpu SECONDS_FILE CMD...: append the command's user+system seconds.
cpu() {
    out=$1
    shift
    /usr/bin/time -f "%U %S" -o "$work/t" "$@" > /dev/null 2>&1 || {
        status=$?
        [ "$status" -eq 1 ] || { echo "index_sizes.sh: failed: $*" >&2; exit 1; }
    }
    awk '{ print $1 + $2 }' "$work/t" >> "$out"
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for set in 800 12mp; do
    find "$sets/$set" -maxdepth 1 -name '*.jpg' | sort > "$work/list"
    n=$(wc -l < "$work/list")
    names=""
    r=0
    while [ "$r" -lt "$rounds" ]; do
        r=$((r + 1))
        if command -v findimagedupes > /dev/null; then
            rm -f "$work/fid.db"
            OMP_NUM_THREADS=1 cpu "$work/$set.fid" sh -c \
                'findimagedupes -q -n -f "$1" -- - < "$2"' sh "$work/fid.db" "$work/list"
            names="fid"
        fi
        for jobs in 1 2; do
            # key:precision:orientation option; base is the BASE_BUILD
            for variant in base:fp32: base-int8:int8: fp32:fp32: int8:int8: \
                base-noorient:fp32:--no-orient \
                base-int8-noorient:int8:--no-orient \
                fp32-noorient:fp32:--no-orient int8-noorient:int8:--no-orient; do
                which=${variant%%:*} rest=${variant#*:}
                precision=${rest%%:*} orient=${rest#*:}
                dir=$build
                case $which in base*)
                    [ -n "$base" ] || continue
                    dir=$base
                esac
                rm -rf "$work/db"
                # shellcheck disable=SC2086 # $orient: one word or none
                cpu "$work/$set.$which.$jobs" "$dir/indexer/maso-index" -q -j "$jobs" \
                    --precision "$precision" $orient --files-from "$work/list" "$work/db"
            done
        done
    done
    echo "== $set: $n photos, CPU ms per image of the whole command, median of $rounds rounds"
    for f in "$work/$set".*; do
        key=${f#"$work/$set."}
        printf '%-18s %8.2f\n' "$key" "$(median "$f" | awk -v n="$n" '{ print $1 * 1000 / n }')"
    done
done
