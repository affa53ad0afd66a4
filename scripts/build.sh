#!/bin/sh
# Configure and build maso into build/ (or $1, with extra cmake args after it),
# warnings as errors (developers and CI; a plain cmake build, as packagers
# run it, does not stop at warnings).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build}
[ $# -gt 0 ] && shift
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMASO_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
