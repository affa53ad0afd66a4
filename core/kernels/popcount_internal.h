/*
 * popcount_internal.h -- private: the popcount kernel sets behind maso_kernels.
 *
 * Each set lives in its own file, compiled with the instruction-set flags it
 * needs (see core/CMakeLists.txt), so that the rest of the library stays
 * portable; popcount.c picks a set at run time from what the CPU reports.
 * Every function takes arrays of @p words 64-bit words at any address
 * (unaligned loads only) and any word count.
 */
#ifndef CORE_POPCOUNT_INTERNAL_H
#define CORE_POPCOUNT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

uint64_t core_scalar_xor_popcount(const uint64_t *a, const uint64_t *b,
                                  size_t words);
uint64_t core_scalar_nibble_diff(const uint64_t *a, const uint64_t *b,
                                 size_t words);
uint64_t core_scalar_byte_diff(const uint64_t *a, const uint64_t *b,
                               size_t words);

uint64_t core_avx2_xor_popcount(const uint64_t *a, const uint64_t *b,
                                size_t words);
uint64_t core_avx2_nibble_diff(const uint64_t *a, const uint64_t *b,
                               size_t words);
uint64_t core_avx2_byte_diff(const uint64_t *a, const uint64_t *b,
                             size_t words);

uint64_t core_avx512bw_xor_popcount(const uint64_t *a, const uint64_t *b,
                                    size_t words);
uint64_t core_avx512bw_nibble_diff(const uint64_t *a, const uint64_t *b,
                                   size_t words);
uint64_t core_avx512bw_byte_diff(const uint64_t *a, const uint64_t *b,
                                 size_t words);

uint64_t core_vpopcntdq_xor_popcount(const uint64_t *a, const uint64_t *b,
                                     size_t words);
uint64_t core_vpopcntdq_nibble_diff(const uint64_t *a, const uint64_t *b,
                                    size_t words);

/* Low bit of every 4-bit field, and of every byte. */
#define CORE_NIBBLE_LSB UINT64_C(0x1111111111111111)
#define CORE_BYTE_LSB UINT64_C(0x0101010101010101)

/* Word @p i of @p p through memcpy: the arrays may sit at any address (codes
 * are byte strings), and a plain uint64_t load would be undefined there. */
static inline uint64_t core_load64(const uint64_t *p, size_t i)
{
    uint64_t v;
    memcpy(&v, (const unsigned char *)p + 8 * i, sizeof v);
    return v;
}

/* Bit count without relying on the POPCNT instruction (the scalar set must
 * run on any x86-64); the compiler turns this into a few shifts and one
 * multiply. */
static inline uint64_t core_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
    x = (x & UINT64_C(0x3333333333333333)) +
        ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (x * CORE_BYTE_LSB) >> 56;
}

/* One bit (the lowest) per 4-bit field of x that is non-zero. */
static inline uint64_t core_nibble_fold(uint64_t x)
{
    return (x | x >> 1 | x >> 2 | x >> 3) & CORE_NIBBLE_LSB;
}

/* One bit (the lowest) per byte of x that is non-zero. */
static inline uint64_t core_byte_fold(uint64_t x)
{
    x |= x >> 4;
    x |= x >> 2;
    x |= x >> 1;
    return x & CORE_BYTE_LSB;
}

#endif /* CORE_POPCOUNT_INTERNAL_H */
