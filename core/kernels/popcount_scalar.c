/*
 * popcount_scalar.c -- the portable kernel set: one 64-bit word at a time.
 * It is the reference every SIMD set is tested against and the fallback on
 * CPUs without AVX2.
 */
#include "kernels/popcount_internal.h"

/* popcount of a^b per word after folding each field to one bit: the three
 * kernels differ only in the fold (1 = none, 4 = nibbles, 8 = bytes); the
 * constant argument is folded away when this is inlined. */
static inline uint64_t count_folded(const uint64_t *a, const uint64_t *b,
                                    size_t words, int field_bits)
{
    uint64_t n = 0;
    for (size_t i = 0; i < words; i++) {
        uint64_t x = core_load64(a, i) ^ core_load64(b, i);
        if (field_bits == 4)
            x = core_nibble_fold(x);
        else if (field_bits == 8)
            x = core_byte_fold(x);
        n += core_popcount64(x);
    }
    return n;
}

uint64_t core_scalar_xor_popcount(const uint64_t *a, const uint64_t *b,
                                  size_t words)
{
    return count_folded(a, b, words, 1);
}

uint64_t core_scalar_nibble_diff(const uint64_t *a, const uint64_t *b,
                                 size_t words)
{
    return count_folded(a, b, words, 4);
}

uint64_t core_scalar_byte_diff(const uint64_t *a, const uint64_t *b,
                               size_t words)
{
    return count_folded(a, b, words, 8);
}
