/* fuzz_jpeg.c -- the image decoders on JPEG-like input (seeds: corpus/fuzz_jpeg). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_image(data, size);
}
