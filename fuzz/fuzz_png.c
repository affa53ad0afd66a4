/* fuzz_png.c -- the image decoders on PNG-like input (seeds: corpus/fuzz_png). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_image(data, size);
}
