/* fuzz_image.c -- the image decoders (maso_decoder_load_memory(), type by
 * bytes) on any input.  One harness per format is built from this file
 * (fuzz_jpeg, fuzz_png, fuzz_webp, ...): the decoders are the same, each
 * target's seeds (corpus/<target>) steer libFuzzer into one format. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_image(data, size);
}
