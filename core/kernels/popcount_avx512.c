/*
 * popcount_avx512.c -- the two AVX-512 kernel sets.
 *
 * Each function enables its instruction set with a target attribute
 * (kernels/cpu_internal.h); the VPOPCNTDQ functions alone enable that
 * extension, so that the compiler cannot slip a VPOPCNTQ into the AVX-512BW
 * set, which must run on CPUs without it (Skylake-X, Cascade Lake).
 *
 * Words that do not fill a 512-bit vector are read with masked loads, which
 * never touch (or fault on) the masked-off bytes, so no scalar tail loop.
 */
#include "kernels/cpu_internal.h"
#include "kernels/popcount_internal.h"

#include <immintrin.h>

#define WORDS_PER_VEC 8

/* Mask selecting the first @p n (< 8) words of a vector. */
CORE_TARGET_AVX512BW static inline __mmask8 tail_mask(size_t n)
{
    return (__mmask8)((1u << n) - 1u);
}

CORE_TARGET_AVX512BW static inline __m512i load_xor(const uint64_t *a, const uint64_t *b,
                               size_t vec)
{
    return _mm512_xor_si512(_mm512_loadu_si512(a + WORDS_PER_VEC * vec),
                            _mm512_loadu_si512(b + WORDS_PER_VEC * vec));
}

/* a^b over the last words % 8 words, zero in the other lanes. */
CORE_TARGET_AVX512BW static inline __m512i load_xor_tail(const uint64_t *a, const uint64_t *b,
                                    size_t words)
{
    size_t done = words / WORDS_PER_VEC * WORDS_PER_VEC;
    __mmask8 m = tail_mask(words - done);
    return _mm512_xor_si512(_mm512_maskz_loadu_epi64(m, a + done),
                            _mm512_maskz_loadu_epi64(m, b + done));
}

/* --- AVX-512BW: table lookup with VPSHUFB, as the AVX2 set but twice as
 * wide (see popcount_avx2.c for the scheme). */

CORE_TARGET_AVX512BW static inline __m512i lookup_bytes(__m512i x, __m512i table)
{
    const __m512i low = _mm512_set1_epi8(0x0f);
    __m512i lo = _mm512_shuffle_epi8(table, _mm512_and_si512(x, low));
    __m512i hi = _mm512_shuffle_epi8(
        table, _mm512_and_si512(_mm512_srli_epi16(x, 4), low));
    return _mm512_add_epi8(lo, hi);
}

CORE_TARGET_AVX512BW static inline uint64_t lookup_sum(const uint64_t *a, const uint64_t *b,
                                  size_t words, __m512i table, size_t block)
{
    size_t vecs = words / WORDS_PER_VEC;
    __m512i acc64 = _mm512_setzero_si512();
    size_t i = 0;
    while (i < vecs) {
        size_t end = vecs - i > block ? i + block : vecs;
        __m512i acc8 = _mm512_setzero_si512();
        for (; i < end; i++)
            acc8 = _mm512_add_epi8(acc8, lookup_bytes(load_xor(a, b, i), table));
        acc64 = _mm512_add_epi64(
            acc64, _mm512_sad_epu8(acc8, _mm512_setzero_si512()));
    }
    if (words % WORDS_PER_VEC) {
        __m512i t = lookup_bytes(load_xor_tail(a, b, words), table);
        acc64 = _mm512_add_epi64(
            acc64, _mm512_sad_epu8(t, _mm512_setzero_si512()));
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc64);
}

CORE_TARGET_AVX512BW static inline __m512i nibble_table(int nonzero_only)
{
    /* VPSHUFB looks up within each 128-bit lane, so every lane holds the
     * same 16 entries, indexed by a nibble value. */
    return nonzero_only
        ? _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 1, 1, 1, 1, 1,
                                               1, 1, 1, 1, 1, 1, 1, 1))
        : _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3,
                                               1, 2, 2, 3, 2, 3, 3, 4));
}

CORE_TARGET_AVX512BW uint64_t core_avx512bw_xor_popcount(const uint64_t *a, const uint64_t *b,
                                    size_t words)
{
    return lookup_sum(a, b, words, nibble_table(0), 255 / 8);
}

CORE_TARGET_AVX512BW uint64_t core_avx512bw_nibble_diff(const uint64_t *a, const uint64_t *b,
                                   size_t words)
{
    return lookup_sum(a, b, words, nibble_table(1), 255 / 2);
}

CORE_TARGET_AVX512BW uint64_t core_avx512bw_byte_diff(const uint64_t *a, const uint64_t *b,
                                 size_t words)
{
    /* Differing bytes add 1 to their 8-bit lane through the compare mask;
     * 255 vectors at most before widening. */
    const __m512i one = _mm512_set1_epi8(1);
    size_t vecs = words / WORDS_PER_VEC;
    __m512i acc64 = _mm512_setzero_si512();
    size_t i = 0;
    while (i < vecs) {
        size_t end = vecs - i > 255 ? i + 255 : vecs;
        __m512i acc8 = _mm512_setzero_si512();
        for (; i < end; i++) {
            __m512i x = load_xor(a, b, i);
            acc8 = _mm512_mask_add_epi8(acc8, _mm512_test_epi8_mask(x, x),
                                        acc8, one);
        }
        acc64 = _mm512_add_epi64(
            acc64, _mm512_sad_epu8(acc8, _mm512_setzero_si512()));
    }
    if (words % WORDS_PER_VEC) {
        __m512i x = load_xor_tail(a, b, words);
        __m512i t = _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(x, x), one);
        acc64 = _mm512_add_epi64(
            acc64, _mm512_sad_epu8(t, _mm512_setzero_si512()));
    }
    return (uint64_t)_mm512_reduce_add_epi64(acc64);
}

/* --- AVX-512 VPOPCNTDQ: a native popcount per 64-bit lane.  Byte
 * differences have no use for it; that set reuses the BW function. */

/* x | x>>1 | x>>2 | x>>3, masked to the low bit of each nibble: the
 * three-input OR is one VPTERNLOG (truth table 0xfe). */
CORE_TARGET_VPOPCNTDQ static inline __m512i nibble_fold512(__m512i x)
{
    __m512i y = _mm512_ternarylogic_epi64(x, _mm512_srli_epi64(x, 1),
                                          _mm512_srli_epi64(x, 2), 0xfe);
    y = _mm512_or_si512(y, _mm512_srli_epi64(x, 3));
    return _mm512_and_si512(y, _mm512_set1_epi64((long long)CORE_NIBBLE_LSB));
}

/* Sum of VPOPCNTQ over a^b, folded to one bit per nibble when @p nibbles
 * (a constant once inlined). */
CORE_TARGET_VPOPCNTDQ static inline __m512i popcnt_vec(__m512i x, int nibbles)
{
    return _mm512_popcnt_epi64(nibbles ? nibble_fold512(x) : x);
}

CORE_TARGET_VPOPCNTDQ static inline uint64_t popcnt_sum(const uint64_t *a,
                                                   const uint64_t *b,
                                                   size_t words, int nibbles)
{
    size_t vecs = words / WORDS_PER_VEC;
    /* Two accumulators so consecutive additions do not wait on each other. */
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 1 < vecs; i += 2) {
        acc0 = _mm512_add_epi64(acc0, popcnt_vec(load_xor(a, b, i), nibbles));
        acc1 = _mm512_add_epi64(acc1,
                                popcnt_vec(load_xor(a, b, i + 1), nibbles));
    }
    if (i < vecs)
        acc0 = _mm512_add_epi64(acc0, popcnt_vec(load_xor(a, b, i), nibbles));
    if (words % WORDS_PER_VEC)
        acc1 = _mm512_add_epi64(
            acc1, popcnt_vec(load_xor_tail(a, b, words), nibbles));
    return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1));
}

CORE_TARGET_VPOPCNTDQ
uint64_t core_vpopcntdq_xor_popcount(const uint64_t *a, const uint64_t *b,
                                     size_t words)
{
    return popcnt_sum(a, b, words, 0);
}

CORE_TARGET_VPOPCNTDQ
uint64_t core_vpopcntdq_nibble_diff(const uint64_t *a, const uint64_t *b,
                                    size_t words)
{
    return popcnt_sum(a, b, words, 1);
}
