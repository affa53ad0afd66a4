#!/bin/sh
# The main job on an embedded default collection, from a fresh machine:
# install what is missing, build, provision the model, index the Kodak set,
# then ask which photos look like kodim23 and which are near-duplicates.
# Idempotent: a second run reuses the build, the model and the index.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
bin=$top/build
kodak=$("$top/datasets/kodak/fetch.sh")
db=$top/build/demo-kodak.maso

echo "== what the network sees in two of the photos"
"$bin/query/maso-query" --classify "$kodak/kodim23.png" "$kodak/kodim20.png"
echo "== indexing $kodak into $db"
"$bin/indexer/maso-index" "$db" "$kodak"
echo "== the photos nearest to kodim23.png"
"$bin/query/maso-query" -k 5 "$db" "$kodak/kodim23.png"
echo "== near-duplicate groups"
"$bin/query/maso-query" --duplicates "$db" || true
