#!/bin/sh
# File names that break output: bytes that are not UTF-8 (old disks),
# newlines, tabs, terminal escape sequences.  Every JSON output of
# maso-query must parse strictly (valid UTF-8, no lone surrogates) and give
# back the exact bytes of each name (the "path" string, or "path_base64"
# when the name is not UTF-8); the text outputs and stderr must hold no
# control character but the line ends, and must be valid UTF-8.  A store
# named twice (or through another spelling) lists no file as its own
# duplicate.
# usage: query_names.sh MASO_INDEX MASO_QUERY MAKE_VARIANTS SHARED_DIR TMPDIR
set -eu
index=$1 query=$2 shared=$4 tmp=$5/query_names
rm -rf "$tmp"
mkdir -p "$tmp/p"
. "$(dirname "$0")/index_lib.sh"
k=$shared/images/kodak
# Names made with printf: \377 is not UTF-8, \033[31m an escape sequence.
cp "$k/kodim13.png" "$tmp/p/$(printf 'bad\377\376name.png')"
cp "$k/kodim13.png" "$tmp/p/$(printf 'esc\033[31mred\ttab.png')"
cp "$k/kodim13.png" "$tmp/p/$(printf 'new\nline.png')"
cp "$k/kodim01.png" "$tmp/p/$(printf 'caf\303\251.png')"
printf 'not an image' > "$tmp/p/$(printf 'broken\377\033.png')"
run_index 1 -q "$tmp/db" "$tmp/p"

# check_json FILE: strict UTF-8, strict JSON per line, exact names back.
check_json() {
    python3 - "$1" "$tmp/p" <<'PY'
import base64, json, os, re, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")            # strict: raises on invalid UTF-8
assert not re.search(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", text), "surrogate"
names = set(os.listdir(os.fsencode(sys.argv[2])))
def const(x):
    raise ValueError("not JSON: " + x)
seen = 0
def walk(v):
    global seen
    if isinstance(v, dict):
        for key, val in v.items():
            if isinstance(val, str) and key in ("path", "query", "image", "keep", "to"):
                exact = (base64.b64decode(v[key + "_base64"])
                         if key + "_base64" in v else val.encode("utf-8"))
                if exact.startswith(os.fsencode(sys.argv[2]) + b"/"):
                    assert os.path.basename(exact) in names, exact
                    seen += 1
            walk(val)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for line in text.splitlines():
    walk(json.loads(line, parse_constant=const))
assert seen > 0, "no name checked"
PY
}
# check_text FILE: one line per record, no control character, UTF-8.
check_text() {
    python3 - "$1" <<'PY'
import sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
bad = [b for b in raw if (b < 0x20 and b != 0x0A) or b == 0x7F]
assert not bad, bad
PY
}

q=$(printf '%s/p/bad\377\376name.png' "$tmp")
set +e
"$query" --json "$tmp/db" "$q" > "$tmp/search.json" 2> "$tmp/search.err"
"$query" "$tmp/db" "$q" > "$tmp/search.txt" 2>> "$tmp/search.err"
"$query" --duplicates --json "$tmp/db" > "$tmp/dupes.json" 2> "$tmp/dupes.err"
"$query" --duplicates "$tmp/db" > "$tmp/dupes.txt" 2>> "$tmp/dupes.err"
"$query" --duplicates --delete --dry-run --json "$tmp/db" > "$tmp/dry.json" 2>> "$tmp/dupes.err"
"$query" --info --json "$tmp/db" > "$tmp/info.json" 2> "$tmp/info.err"
"$query" --info "$tmp/db" > "$tmp/info.txt" 2>> "$tmp/info.err"
"$query" --classify --json "$q" "$tmp/p/$(printf 'broken\377\033.png')" > "$tmp/classify.json" 2> "$tmp/classify.err"
set -e
# maso-index's messages too (-v: one line per file).
run_index 1 -v "$tmp/db-verbose" "$tmp/p"
check_text "$tmp/err" || fail "maso-index stderr: $(cat "$tmp/err")"
grep -q '^indexed .*esc\\x1b\[31mred\\ttab.png$' "$tmp/err" || fail "maso-index -v: $(cat "$tmp/err")"
for f in search dupes dry info classify; do
    check_json "$tmp/$f.json" || fail "$f JSON: $(cat "$tmp/$f.json")"
done
for f in search.txt dupes.txt info.txt search.err dupes.err info.err classify.err; do
    check_text "$tmp/$f" || fail "$f: $(cat "$tmp/$f")"
done
# The escapes say which bytes the names have.
grep -q 'bad\\xff\\xfename.png' "$tmp/dupes.txt" || fail "text: $(cat "$tmp/dupes.txt")"
grep -q 'esc\\x1b\[31mred\\ttab.png' "$tmp/dupes.txt" || fail "text: $(cat "$tmp/dupes.txt")"
grep -q 'new\\nline.png' "$tmp/dupes.txt" || fail "text: $(cat "$tmp/dupes.txt")"
grep -q 'broken\\xff\\x1b.png' "$tmp/info.txt" "$tmp/classify.err" || fail "info/classify: $(cat "$tmp/info.txt" "$tmp/classify.err")"
# The kodim13 copies are one group of three; the UTF-8 name is shown as is.
[ "$(grep -c '^group ' "$tmp/dupes.txt")" = 1 ] && [ "$(grep -c '^  \(keep\|duplicate\) ' "$tmp/dupes.txt")" = 3 ] || fail "groups: $(cat "$tmp/dupes.txt")"
grep -q "$(printf 'caf\303\251.png')" "$tmp/info.txt" || true

# A store named twice, and through a symbolic link: no file is its own
# duplicate, and the group is the same.
ln -s "$tmp/db" "$tmp/db-link"
"$query" --duplicates --json --db "$tmp/db" --db "$tmp/db" --db "$tmp/db-link" > "$tmp/twice.json" || fail "twice: $?"
cmp -s "$tmp/twice.json" "$tmp/dupes.json" || fail "twice: $(cat "$tmp/twice.json")"
# Overlapping stores (the same files indexed into two): one member each.
run_index 1 -q "$tmp/db2" "$tmp/p"
"$query" --duplicates --json --db "$tmp/db" --db "$tmp/db2" > "$tmp/overlap.json" || fail "overlap: $?"
python3 - "$tmp/overlap.json" <<'PY' || fail "overlap: $(cat "$tmp/overlap.json")"
import json, sys
groups = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(groups) == 1, groups
paths = [m["path"] for m in groups[0]["members"]]
assert len(paths) == 3 == len(set(paths)), paths
PY

# -- the command line: --version, an unknown option (one line and a hint,
# not the usage), "-" for an image on standard input, --files-from.
v=$("$query" --version)
echo "$v" | grep -q '^maso-query [0-9][0-9.]*$' || fail "--version: $v"
set +e
"$query" --no-such-option "$tmp/db" > "$tmp/out" 2> "$tmp/err"
st=$?
set -e
[ "$st" = 2 ] && [ "$(wc -l < "$tmp/err")" = 2 ] && grep -q "no-such-option" "$tmp/err" && grep -q -- "--help" "$tmp/err" || fail "unknown option: $st $(cat "$tmp/err")"
"$query" --json -k 1 "$tmp/db" - < "$k/kodim01.png" > "$tmp/stdin.json" || fail "stdin: $?"
grep -q '"query": "-".*"path": "'"$tmp"'/p/caf' "$tmp/stdin.json" || fail "stdin: $(cat "$tmp/stdin.json")"
printf '%s\n' "$tmp/p/$(printf 'caf\303\251.png')" "$q" > "$tmp/list"
"$query" --json -k 1 --files-from "$tmp/list" "$tmp/db" > "$tmp/list.json" || fail "--files-from: $?"
[ "$(wc -l < "$tmp/list.json")" = 2 ] || fail "--files-from: $(cat "$tmp/list.json")"
check_json "$tmp/list.json" || fail "--files-from JSON"
printf '%s\0' "$q" | "$query" --json -k 1 -0 --files-from - "$tmp/db" > "$tmp/list0.json" || fail "-0: $?"
[ "$(wc -l < "$tmp/list0.json")" = 1 ] && grep -q '"query_base64"' "$tmp/list0.json" || fail "-0: $(cat "$tmp/list0.json")"
echo "query_names.sh: all checks passed"
