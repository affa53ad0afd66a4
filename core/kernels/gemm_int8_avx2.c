/* gemm_int8_avx2.c -- the int8 GEMM with AVX2 (see gemm_int8.h), for CPUs
 * without AVX-512 VNNI.
 *
 * AVX2's u8 x s8 instruction (vpmaddubsw) sums pairs into saturating int16,
 * which 255 x 127 x 2 overflows, so this set widens both operands to 16
 * bits and multiplies with vpmaddwd, whose pair sums are exact in int32:
 * the integers are those of the VNNI and scalar sets.  One load of the
 * packed input gives 8 columns x 4 bytes; widened, its two halves hold
 * columns 0-3 and 4-7, and vpmaddwd against a row's 4 weights (widened,
 * repeated) gives two partial sums per column, added pairwise at the end
 * (vphaddd, then a lane permute back into column order).  Tile: 4 output
 * channels x 8 columns, 8 accumulators.  Columns past N are read through
 * a zero-padded copy of the last group of 8, never past the row. */
#include "kernels/gemm_int8_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include "kernels/cpu_internal.h"
#include "kernels/epilogue_avx2_internal.h"
#include "net/layers_internal.h"

#include <immintrin.h>
#include <string.h>

#define MR CORE_GEMM8_MR
#define TR 4 /* rows per tile: half a packed panel */

#define AVX2 CORE_TARGET_AVX2

/* The 32 bytes of columns j0 .. j0+7 of group row @p bp; columns past
 * @p cols read as zero. */
AVX2 static inline __m256i load_cols(const uint8_t *bp, int cols)
{
    if (cols >= 8)
        return _mm256_loadu_si256((const __m256i *)(const void *)bp);
    uint8_t tmp[32] = {0};
    memcpy(tmp, bp, (size_t)cols * 4);
    return _mm256_loadu_si256((const __m256i *)(const void *)tmp);
}

AVX2 static void tile(const core_gemm8_args *a, int m0, int rows, int j0,
                      int cols, const core_gemm_out *out)
{
    const int groups = core_gemm8_kpad(a->k) / 4;
    /* rows m0 .. m0+3 sit at offset (m0 % MR) inside their panel */
    const int8_t *pw = a->w + (size_t)(m0 / MR) * MR * 4 * groups +
                       (size_t)(m0 % MR) * 4;
    const uint8_t *bp = a->b + (size_t)j0 * 4;
    const size_t ldb = (size_t)a->n * 4;
    __m256i lo[TR], hi[TR];
    for (int i = 0; i < TR; i++)
        lo[i] = hi[i] = _mm256_setzero_si256();
    for (int g = 0; g < groups; g++, bp += ldb, pw += MR * 4) {
        const __m256i x = load_cols(bp, cols);
        const __m256i x_lo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(x));
        const __m256i x_hi =
            _mm256_cvtepu8_epi16(_mm256_extracti128_si256(x, 1));
#pragma GCC unroll 4
        for (int i = 0; i < TR; i++) {
            int32_t w4;
            memcpy(&w4, pw + 4 * i, 4);
            const __m256i w = _mm256_broadcastq_epi64(
                _mm_cvtepi8_epi16(_mm_cvtsi32_si128(w4)));
            lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(x_lo, w));
            hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(x_hi, w));
        }
    }
    for (int i = 0; i < rows; i++) {
        /* [c0 c1 c4 c5 | c2 c3 c6 c7] -> [c0 .. c7] */
        __m256i s = _mm256_hadd_epi32(lo[i], hi[i]);
        s = _mm256_permute4x64_epi64(s, _MM_SHUFFLE(3, 1, 2, 0));
        if (cols == 8) {
            unsigned word = core_finish8_avx2(a, out, m0 + i, j0, s);
            if (out->bits && out->act != CORE_ACT_NONE)
                core_bits_put(out->bits,
                              (size_t)(m0 + i) * (size_t)a->n + (size_t)j0,
                              word, 8);
            continue;
        }
        int32_t sum[8];
        _mm256_storeu_si256((__m256i *)(void *)sum, s);
        core_gemm8_finish_row(a, out, m0 + i, j0, cols, sum);
    }
}

AVX2 void core_gemm8_avx2(const core_gemm8_args *a, const core_gemm_out *out)
{
    for (int m0 = 0; m0 < a->m; m0 += TR)
        for (int j0 = 0; j0 < a->n; j0 += 8)
            tile(a, m0, a->m - m0 < TR ? a->m - m0 : TR, j0,
                 a->n - j0 < 8 ? a->n - j0 : 8, out);
}
#endif
