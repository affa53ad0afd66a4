#!/bin/sh
# The whole test suite, as CI runs it: install what is missing, build with
# -Werror, run ctest; then build again with AddressSanitizer and
# UndefinedBehaviorSanitizer (optimised, -O2 -g: the program tests run
# hundreds of forward passes) and run ctest once more; then build the
# libFuzzer harnesses (clang) and run each for a few seconds (fuzz/).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
(cd "$top/build" && ctest --output-on-failure -j 2)
"$top/scripts/build.sh" "$top/build-asan" -DMASO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMASO_BUILD_BENCH=OFF
(cd "$top/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j 2)
CC=clang "$top/scripts/build.sh" "$top/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMASO_FUZZ=ON \
    -DMASO_BUILD_TESTS=OFF -DMASO_BUILD_BENCH=OFF
(cd "$top/build-fuzz" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2)
