/*
 * popcount_avx2.c -- kernel set for AVX2 (each function enables it with a
 * target attribute, kernels/cpu_internal.h).
 *
 * AVX2 has no vector popcount, so bits are counted with a 16-entry table
 * looked up by VPSHUFB on each 4-bit half of every byte; per-byte counts are
 * summed in 8-bit lanes for as many vectors as cannot overflow 255, then
 * widened once with VPSADBW.  The same scheme counts non-zero nibbles (table
 * of 0,1,1,...,1), and equal bytes are counted from VPCMPEQB masks.
 * The last words that do not fill a vector go through the scalar helpers.
 */
#include "kernels/cpu_internal.h"
#include "kernels/popcount_internal.h"

#include <immintrin.h>

#define WORDS_PER_VEC 4

/* Sum of the four 64-bit lanes. */
CORE_TARGET_AVX2 static inline uint64_t hsum64(__m256i v)
{
    __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v),
                              _mm256_extracti128_si256(v, 1));
    return (uint64_t)_mm_cvtsi128_si64(s) +
           (uint64_t)_mm_extract_epi64(s, 1);
}

/* Sum over the full vectors of table[low nibble] + table[high nibble] of
 * every byte of a^b, plus @p tail over the remaining words.  @p block is how
 * many vectors fit in 8-bit lanes: 255 / (2 * largest table entry). */
CORE_TARGET_AVX2 static inline uint64_t lookup_sum(const uint64_t *a, const uint64_t *b,
                                  size_t words, __m256i table, size_t block,
                                  uint64_t (*tail)(const uint64_t *,
                                                   const uint64_t *, size_t))
{
    const __m256i low = _mm256_set1_epi8(0x0f);
    size_t vecs = words / WORDS_PER_VEC;
    size_t done = vecs * WORDS_PER_VEC;
    __m256i acc64 = _mm256_setzero_si256();
    size_t i = 0;
    while (i < vecs) {
        size_t end = vecs - i > block ? i + block : vecs;
        __m256i acc8 = _mm256_setzero_si256();
        for (; i < end; i++) {
            __m256i x = _mm256_xor_si256(
                _mm256_loadu_si256((const __m256i *)(a + WORDS_PER_VEC * i)),
                _mm256_loadu_si256((const __m256i *)(b + WORDS_PER_VEC * i)));
            __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(x, low));
            __m256i hi = _mm256_shuffle_epi8(
                table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
            acc8 = _mm256_add_epi8(acc8, _mm256_add_epi8(lo, hi));
        }
        acc64 = _mm256_add_epi64(
            acc64, _mm256_sad_epu8(acc8, _mm256_setzero_si256()));
    }
    return hsum64(acc64) + tail(a + done, b + done, words - done);
}

CORE_TARGET_AVX2 uint64_t core_avx2_xor_popcount(const uint64_t *a, const uint64_t *b,
                                size_t words)
{
    const __m256i bits = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    return lookup_sum(a, b, words, bits, 255 / 8, core_scalar_xor_popcount);
}

CORE_TARGET_AVX2 uint64_t core_avx2_nibble_diff(const uint64_t *a, const uint64_t *b,
                               size_t words)
{
    const __m256i nonzero = _mm256_setr_epi8(
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    return lookup_sum(a, b, words, nonzero, 255 / 2, core_scalar_nibble_diff);
}

CORE_TARGET_AVX2 uint64_t core_avx2_byte_diff(const uint64_t *a, const uint64_t *b,
                             size_t words)
{
    size_t vecs = words / WORDS_PER_VEC;
    size_t done = vecs * WORDS_PER_VEC;
    __m256i acc64 = _mm256_setzero_si256();
    size_t i = 0;
    while (i < vecs) {
        /* Equal bytes compare to 0xff = -1: subtracting counts them, up to
         * 255 vectors before an 8-bit lane could wrap. */
        size_t end = vecs - i > 255 ? i + 255 : vecs;
        __m256i acc8 = _mm256_setzero_si256();
        for (; i < end; i++) {
            __m256i eq = _mm256_cmpeq_epi8(
                _mm256_loadu_si256((const __m256i *)(a + WORDS_PER_VEC * i)),
                _mm256_loadu_si256((const __m256i *)(b + WORDS_PER_VEC * i)));
            acc8 = _mm256_sub_epi8(acc8, eq);
        }
        acc64 = _mm256_add_epi64(
            acc64, _mm256_sad_epu8(acc8, _mm256_setzero_si256()));
    }
    uint64_t equal = hsum64(acc64);
    return 8 * done - equal +
           core_scalar_byte_diff(a + done, b + done, words - done);
}
