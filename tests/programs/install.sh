#!/bin/sh
# cmake --install into a scratch prefix: libmaso (shared, versioned, and
# static), maso.h, maso.pc, the CMake package, man pages, bash completion,
# the programs.  Then a program outside the tree is built against it with
# `pkg-config --cflags --libs maso` and with find_package(maso) (shared and
# static), and run on a Kodak photo: it must name the class the reference
# implementation gives (macaw, 88, for kodim23).  The installed programs
# must not carry the build tree's path nor load a BLAS library.
# usage: install.sh BUILD_DIR SOURCE_DIR SHARED_DIR TMPDIR
set -eu
build=$1 source=$2 shared=$3 tmp=$4/install
. "$(dirname "$0")/index_lib.sh"
rm -rf "$tmp"
mkdir -p "$tmp"
prefix=$tmp/prefix
# A sanitizer build installs an instrumented library: its users are built
# with the sanitizers too.
san=""
if grep -q '^MASO_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    san="-fsanitize=address,undefined"
fi
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || fail "cmake --install: $(cat "$tmp/install.log")"
lib=$(dirname "$(find "$prefix" -name libmaso.a | head -1)")
[ -n "$lib" ] || fail "no libmaso.a"
for f in "$lib/libmaso.so" "$lib/libmaso.so.0" "$lib/libmaso.so.0.1.0" \
         "$prefix/include/maso.h" "$lib/pkgconfig/maso.pc" \
         "$lib/cmake/maso/masoConfig.cmake" "$lib/cmake/maso/masoConfigVersion.cmake" \
         "$prefix/bin/maso-index" "$prefix/bin/maso-query" "$prefix/bin/maso-eval"; do
    [ -e "$f" ] || fail "not installed: $f"
done
[ "$(readlink "$lib/libmaso.so.0")" = libmaso.so.0.1.0 ] || fail "soname link"
objdump -p "$lib/libmaso.so.0.1.0" | grep -q "SONAME *libmaso.so.0\$" || fail "SONAME"
# Only maso_* symbols are exported.
nm -D --defined-only "$lib/libmaso.so" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^maso_/' > "$tmp/leaks"
[ ! -s "$tmp/leaks" ] || fail "exported: $(cat "$tmp/leaks")"
for p in maso-index maso-query maso-eval; do
    [ -f "$prefix/share/man/man1/$p.1" ] || fail "man page $p"
    [ -f "$prefix/share/bash-completion/completions/$p" ] || fail "completion $p"
    # The page is valid roff: groff renders it without a warning.
    groff -man -Tutf8 -ww -z "$prefix/share/man/man1/$p.1" 2> "$tmp/groff" || fail "groff $p"
    [ ! -s "$tmp/groff" ] || fail "groff $p: $(cat "$tmp/groff")"
    # No build-tree path in the installed programs (debug information,
    # which packagers split off, names the sources; UBSan's reports name
    # them too, so a sanitizer build is not held to this).
    objcopy --strip-debug "$prefix/bin/$p" "$tmp/$p.stripped"
    if [ -z "$san" ] && { grep -qF "$source" "$tmp/$p.stripped" || grep -qF "$build" "$tmp/$p.stripped"; }; then
        fail "$p carries the build tree's path"
    fi
    "$prefix/bin/$p" --version | grep -q "^$p 0\.1\.0\$" || fail "$p --version"
    # No BLAS library is loaded: OpenBLAS's pthread build starts a thread
    # that spins at load, a tenth of a CPU second in every process.
    if LD_LIBRARY_PATH=$lib ldd "$prefix/bin/$p" | grep -qi blas; then
        fail "$p loads a BLAS library"
    fi
done
bash -n "$prefix/share/bash-completion/completions/maso-query" || fail "completion syntax"

# An out-of-tree program through pkg-config.
export PKG_CONFIG_PATH="$lib/pkgconfig"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Werror $san -o "$tmp/consumer" "$source/tests/install/consumer.c" \
    $(pkg-config --cflags --libs maso) || fail "cc with pkg-config"
model=$shared/models/squeezenet_v1.1
out=$(LD_LIBRARY_PATH=$lib "$tmp/consumer" "$model" "$shared/images/kodak/kodim23.png") || fail "consumer: $out"
[ "${out%% p=*}" = "768x512 class 88" ] || fail "consumer: $out"
# It runs against the installed shared library, not a copy of the build's.
LD_LIBRARY_PATH=$lib ldd "$tmp/consumer" | grep -qF "$lib/libmaso.so.0" || fail "not linked to the installed library"

# The same through find_package(maso), shared and static.
cmake -S "$source/tests/install" -B "$tmp/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" > "$tmp/cmake.log" 2>&1 ||
    fail "find_package: $(cat "$tmp/cmake.log")"
cmake --build "$tmp/consumer-build" > "$tmp/build.log" 2>&1 || fail "consumer build: $(cat "$tmp/build.log")"
for c in consumer consumer_static; do
    out=$(LD_LIBRARY_PATH=$lib "$tmp/consumer-build/$c" "$model" "$shared/images/kodak/kodim23.png") || fail "$c: $out"
    [ "${out%% p=*}" = "768x512 class 88" ] || fail "$c: $out"
done
if ldd "$tmp/consumer-build/consumer_static" | grep -q libmaso; then fail "consumer_static uses libmaso.so"; fi
echo "install.sh: all checks passed"
