/*
 * fuzz.h -- what the libFuzzer harnesses share (fuzz/README.md).
 *
 * Each harness is one small file defining LLVMFuzzerTestOneInput and one
 * line in fuzz/CMakeLists.txt; its seeds are in fuzz/corpus/<name>/.  A new
 * image decoder needs only:
 *     #include "fuzz.h"
 *     int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 *     { return fuzz_decode_image(data, size); }
 * plus a few seed files of its format.
 */
#ifndef MASO_FUZZ_H
#define MASO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode @p data as an image file, at full size and DCT-scaled, on a fresh
 * decoder and again on one that decoded it before; the two must agree
 * (issue 11: no state passes between images).  Returns 0. */
int fuzz_decode_image(const uint8_t *data, size_t size);

/* Write @p size bytes to a file named @p name in this process's scratch
 * directory (made once, under $TMPDIR or /tmp); returns its path (static
 * storage, one per name used).  Aborts on I/O failure: that is not a
 * finding about the input. */
const char *fuzz_temp_file(const char *name, const uint8_t *data,
                           size_t size);

/* Split @p data at its first occurrence of the 4-byte separator "\0\0\xff\0"
 * into two parts (*a, *b); the second is empty when there is none. */
void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a,
                size_t *na, const uint8_t **b, size_t *nb);

#endif
