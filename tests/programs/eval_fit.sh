#!/bin/sh
# maso-eval fit: per-layer weights from a 2AFC training split, a weights
# file in the documented format, used by 2afc --weights with a warning when
# evaluated on the fitting data; least squares on a MOS list.
. "$(dirname "$0")/eval_common.sh"

"$eval_bin" fit "$fx/2afc/train" --out "$work/w.txt" > "$work/fit.txt" ||
  fail "fit exit status $?"
python3 - "$work/w.txt" "$fx/2afc/train" <<'PY' || fail "weights file"
import os, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1])]
body = [l for l in lines if l and not l.startswith("#")]
assert body[0] == "maso-weights 1", body[0]
model = body[1].split()
assert model[0] == "model" and len(model) == 3 and all(len(h) == 64 for h in model[1:]), body[1]
assert body[2] == "fitted-on " + os.path.realpath(sys.argv[2]), body[2]
layers = [l.split() for l in body[3:]]
assert len(layers) == 29 and layers[0][0] == "conv1" and layers[-1][0] == "conv10"
w = [float(v) for _, v in layers]
assert min(w) >= 0 and abs(sum(w) / len(w) - 1) < 1e-9, w
PY
grep -q "training-split 2AFC" "$work/fit.txt" || fail "no training summary"

# Evaluating on another split: no warning; on the fitting split: warning.
"$eval_bin" 2afc "$fx/2afc/val/blur" --metric vq --weights "$work/w.txt" \
  > "$work/val.txt" 2> "$work/val.err" || fail "2afc --weights exit status"
grep -q warning "$work/val.err" && fail "warning on another split: $(cat "$work/val.err")"
"$eval_bin" 2afc "$fx/2afc/train/mix" --metric vq --weights "$work/w.txt" \
  > /dev/null 2> "$work/train.err" || fail "2afc on train exit status"
grep -q "warning: the --weights were fitted on" "$work/train.err" ||
  fail "no warning on the fitting split"

# Least squares on a MOS list (one reference), restricted to a few layers.
head -6 "$fx/mos/list.csv" > "$fx/mos/short.csv"
"$eval_bin" fit "$fx/mos/short.csv" --layers conv1,fire2/squeeze1x1..pool3 \
  --out "$work/wm.txt" > /dev/null || fail "fit mos exit status"
python3 - "$work/wm.txt" <<'PY' || fail "mos weights"
import sys
body = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")][3:]
w = {n: float(v) for n, v in body}
zero = [n for n in w if n not in ("conv1", "pool1")]
assert all(w[n] == 0 for n in ["pool1", "fire4/squeeze1x1", "conv10"]), w
assert sum(w.values()) > 0
PY

expect_error "--out FILE is required" fit "$fx/2afc/train"
printf 'maso-weights 1\nmodel %064d %064d\nconv1 1\n' 0 0 > "$work/other.txt"
expect_error "other.txt:2: fitted for another model" 2afc "$fx/2afc/val" --metric vq --weights "$work/other.txt"
expect_error "--weights and --layers" 2afc "$fx/2afc/val" --metric vq --weights "$work/w.txt" --layers conv1
echo "eval_fit.sh: all checks passed"
