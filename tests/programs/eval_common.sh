# eval_common.sh -- sourced by the maso-eval program tests.
# usage of a test: SCRIPT MASO_EVAL MAKE_FIXTURES SHARED_DIR TMPDIR
set -eu
eval_bin=$1 make_fixtures=$2 shared=$3 tmp=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
# A fresh folder per test script, with the fixtures in it.
work=$tmp/$(basename "$0" .sh)
rm -rf "$work"
mkdir -p "$work"
"$make_fixtures" "$shared/images/kodak" "$work/fx" || fail "make_eval_fixtures"
fx=$work/fx

# expect_error WHAT_IN_MESSAGE ARGS...: exit status 2 and a message on
# stderr that contains WHAT_IN_MESSAGE.
expect_error() {
  want=$1
  shift
  set +e
  "$eval_bin" "$@" > "$work/err.out" 2> "$work/err.txt"
  status=$?
  set -e
  [ "$status" -eq 2 ] || fail "maso-eval $*: exit status $status, want 2"
  grep -qF -- "$want" "$work/err.txt" ||
    fail "maso-eval $*: message does not name '$want': $(cat "$work/err.txt")"
}
