/*
 * kernels_scalar.c -- the portable kernel set: one 64-bit word at a time.
 * It is the reference every SIMD set is tested against and the fallback on
 * CPUs without AVX2.
 */
#include "kernels.h"

uint64_t maso_scalar_xor_popcount(const uint64_t *a, const uint64_t *b,
                                  size_t words)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++)
        n += maso_popcount64(maso_load64(a, i) ^ maso_load64(b, i));
    return n;
}

uint64_t maso_scalar_nibble_diff(const uint64_t *a, const uint64_t *b,
                                 size_t words)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++)
        n += maso_popcount64(
            maso_nibble_fold(maso_load64(a, i) ^ maso_load64(b, i)));
    return n;
}

uint64_t maso_scalar_byte_diff(const uint64_t *a, const uint64_t *b,
                               size_t words)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++)
        n += maso_popcount64(
            maso_byte_fold(maso_load64(a, i) ^ maso_load64(b, i)));
    return n;
}
