#!/bin/sh
# datasets/*/to_csv: each converter on a tiny synthetic copy of its
# benchmark's native layout, then maso-eval mos on the result (images,
# paths and scores must come through); errors name what is missing.
set -eu
eval_bin=$1 datasets=$2 tmp=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$tmp/eval_datasets
rm -rf "$work"
mkdir -p "$work"

# convert NAME CONVERTER PAIRS [mos options]
convert() {
  name=$1 conv=$2 pairs=$3
  shift 3
  python3 "$datasets/make_fixture.py" "$name" "$work/$name" || fail "$name fixture"
  "$conv" "$work/$name" "$work/$name/maso.csv" || fail "$name: to_csv"
  n=$(($(wc -l < "$work/$name/maso.csv") - 1))
  [ "$n" -eq "$pairs" ] || fail "$name: $n pairs, want $pairs"
  head -1 "$work/$name/maso.csv" | grep -qx "reference,distorted,score" ||
    fail "$name: header"
  "$eval_bin" mos "$work/$name/maso.csv" --metric l2 "$@" > "$work/$name.txt" ||
    fail "$name: maso-eval mos exit status $?"
  # noise grows with the level and the scores follow it: l2 agrees
  srcc=$(awk '$1 == "SRCC" { print $2 }' "$work/$name.txt")
  python3 -c "import sys; sys.exit(0 if float('$srcc') > 0.7 else 1)" ||
    fail "$name: SRCC $srcc"
}
convert tid2013 "$datasets/tid2013/to_csv.py" 12
convert tid2008 "$datasets/tid2008/to_csv.sh" 12
convert kadid10k "$datasets/kadid10k/to_csv.py" 30
convert csiq "$datasets/csiq/to_csv.py" 16 --scores dmos
# TID: the bitmaps were converted to PNG beside the CSV's paths
grep -q "^png/reference/I01.png,png/distorted/i01_01_1.png,4.7" "$work/tid2013/maso.csv" ||
  fail "tid2013 rows: $(head -3 "$work/tid2013/maso.csv")"
grep -q "^src_imgs/1600.png,dst_imgs/awgn/1600.AWGN.1.png,0.1" "$work/csiq/maso.csv" ||
  fail "csiq rows: $(head -3 "$work/csiq/maso.csv")"

# Errors: exit status 2 and the missing file named.
# expect_fail WORDS CONVERTER DIR
expect_fail() {
  set +e
  msg=$("$2" "$3" 2>&1)
  status=$?
  set -e
  [ "$status" -eq 2 ] || fail "$2 $3: status $status, want 2"
  echo "$msg" | grep -q "$1" || fail "$2: message lacks '$1': $msg"
}
rm "$work/kadid10k/images/I02_01_03.png"
expect_fail "images/I02_01_03.png: missing" "$datasets/kadid10k/to_csv.py" "$work/kadid10k"
rm "$work/tid2013/mos_with_names.txt"
expect_fail "mos_with_names.txt: missing" "$datasets/tid2013/to_csv.py" "$work/tid2013"
rm "$work/csiq/csiq.DMOS.xlsx"
expect_fail "csiq.DMOS.xlsx: missing" "$datasets/csiq/to_csv.py" "$work/csiq"
echo "eval_datasets.sh: all checks passed"
