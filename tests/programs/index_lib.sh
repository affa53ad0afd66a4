# index_lib.sh -- helpers shared by the maso-index program tests (sourced).
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_test NAME MASO_INDEX MASO_QUERY SHARED_DIR TMPDIR: set $index,
# $query, $shared and an empty scratch directory $tmp.
start_test() {
    index=$2 query=$3 shared=$4 tmp=$5/$1
    rm -rf "$tmp"
    mkdir -p "$tmp"
}

# info DB FIELD: one field of maso-query --info --json DB (lists as JSON).
info() {
    "$query" --info --json "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' "$2"
}

# run_index EXPECTED_STATUS ARGS...: run maso-index, keep stderr in
# $tmp/err, fail unless the exit status is EXPECTED_STATUS.
run_index() {
    want=$1
    shift
    set +e
    "$index" "$@" 2> "$tmp/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$tmp/err" >&2; fail "maso-index $*: exit status $got, expected $want"; }
}

# summary FIELD: a number of the last run's summary line ("3 indexed").
summary() {
    sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p" "$tmp/err" | tail -1
}

# photos DIR N: N distinct image files in DIR (Kodak PNGs and the classify
# photos, cycled, copies renamed).
photos() {
    mkdir -p "$1"
    i=0
    while [ "$i" -lt "$2" ]; do
        for f in "$shared"/images/kodak/*.png "$shared"/images/classify/*; do
            [ "$i" -lt "$2" ] || break
            ext=${f##*.}
            cp "$f" "$1/img$i.$ext"
            chmod u+w "$1/img$i.$ext"
            i=$((i + 1))
        done
    done
}
