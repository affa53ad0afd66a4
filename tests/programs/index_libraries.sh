#!/bin/sh
# maso-index loads libheif, libjxl and libtiff only for the files that need them:
# a run over JPEGs and PNGs never maps them (the dynamic loader's own log,
# LD_DEBUG=files), a run with a HEIC file maps libheif; and with the
# libraries broken (LD_LIBRARY_PATH at a folder holding an empty file and a
# library without their functions under their SONAMEs), those files fail
# with a message naming the file, the library and the cause, the others
# are indexed, and a rerun with the libraries back indexes them.
# usage: index_libraries.sh MASO_INDEX MASO_QUERY BROKEN_DIR HEIF_SONAME
#        JXL_SONAME SHARED_DIR TMPDIR
set -eu
. "$(dirname "$0")/index_lib.sh"
broken=$3 heif_so=$4 jxl_so=$5
start_test index_libraries "$1" "$2" "$6" "$7"
fx=$7/formats
[ -f "$fx/done" ] || fail "no fixtures in $fx (test format_fixtures writes them)"
mkdir -p "$tmp/plain" "$tmp/all"
cp "$fx/src.jpg" "$fx/src.png" "$tmp/plain/"
cp "$fx/src.jpg" "$fx/src.png" "$fx/heif.heic" "$fx/jxl_lossy.jxl" "$tmp/all/"

# the loader's log: one file per process, $tmp/ld.PID
loaded() {
    cat "$tmp"/ld.* 2>/dev/null | grep -E "file=[^ ]*$1" || true
}

LD_DEBUG=files LD_DEBUG_OUTPUT=$tmp/ld run_index 0 -j 1 "$tmp/plain.maso" "$tmp/plain"
[ "$(summary indexed)" = 2 ] || fail "plain: $(cat "$tmp/err")"
grep -q "file=libmpi" "$tmp"/ld.* || fail "LD_DEBUG=files wrote no log"
[ -z "$(loaded libheif)$(loaded libjxl)$(loaded libde265)$(loaded libtiff)$(loaded libcurl)" ] ||
    fail "a JPEG and PNG run mapped: $(loaded libheif) $(loaded libjxl) $(loaded libtiff) $(loaded libcurl)"
rm -f "$tmp"/ld.*

LD_DEBUG=files LD_DEBUG_OUTPUT=$tmp/ld run_index 0 -j 1 --no-orient "$tmp/heic.maso" "$fx/heif.heic"
loaded "$heif_so" | grep -q "dynamically loaded" || fail "a HEIC run did not load $heif_so"
[ -z "$(loaded libjxl)" ] || fail "a HEIC run mapped libjxl"
rm -f "$tmp"/ld.*

# libraries broken: those files fail, the others are indexed
LD_LIBRARY_PATH=$broken run_index 1 -j 2 "$tmp/all.maso" "$tmp/all"
[ "$(summary indexed)" = 2 ] || fail "indexed: $(cat "$tmp/err")"
[ "$(summary failed)" = 2 ] || fail "failed: $(cat "$tmp/err")"
grep -q "^maso-index: $tmp/all/heif.heic: HEIF support needs $heif_so: .*file too short" "$tmp/err" ||
    fail "no HEIF message: $(cat "$tmp/err")"
grep -q "^maso-index: $tmp/all/jxl_lossy.jxl: JPEG XL support needs $jxl_so: .*undefined symbol: JxlDecoder" "$tmp/err" ||
    fail "no JPEG XL message: $(cat "$tmp/err")"
"$query" --info --json "$tmp/all.maso" > "$tmp/info.json"
python3 - "$tmp/info.json" "$tmp/all" "$heif_so" <<'PY' || fail "info: $(cat "$tmp/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
reasons = {f["path"]: f["reason"] for f in info["failures"]}
assert sorted(reasons) == [sys.argv[2] + "/heif.heic", sys.argv[2] + "/jxl_lossy.jxl"], reasons
assert "HEIF support needs " + sys.argv[3] in reasons[sys.argv[2] + "/heif.heic"], reasons
PY

# the libraries back: a rerun indexes the failed files
run_index 0 -j 2 "$tmp/all.maso" "$tmp/all"
[ "$(summary indexed)" = 2 ] || fail "rerun: $(cat "$tmp/err")"
[ "$(info "$tmp/all.maso" failed)" = 0 ] || fail "failures left after the rerun"
echo "index_libraries: ok"
