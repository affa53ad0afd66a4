/* gemm_int8_avx2.c -- the int8 GEMM with AVX2 (see gemm_int8.h), for CPUs
 * without AVX-512 VNNI, and the input's maximum and rounding with AVX2 (for
 * the AVX2 and AVX-VNNI sets).
 *
 * AVX2's u8 x s8 instruction (vpmaddubsw) sums pairs into saturating int16,
 * which 255 x 127 x 2 overflows, so this set widens both operands to 16
 * bits and multiplies with vpmaddwd, whose pair sums are exact in int32:
 * the integers are those of the VNNI and scalar sets.  One load of the
 * packed input gives 8 columns x 4 bytes; widened, its two halves hold
 * columns 0-3 and 4-7, and vpmaddwd against a row's 4 weights (widened,
 * repeated) gives two partial sums per column, added pairwise at the end
 * (vphaddd, then a lane permute back into column order).  A group's 16
 * weight bytes of the tile's 4 rows are widened by one instruction and each
 * row's 4 taken by a 64-bit lane broadcast.  Tile: 4 output
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
        /* the 4 rows' 4 weights of this group, widened at once: row i is
         * 64-bit lane i, broadcast by a lane permute */
        const __m256i w4 = _mm256_cvtepi8_epi16(
            _mm_loadu_si128((const __m128i *)(const void *)pw));
#define ROW(i)                                                            \
        do {                                                              \
            const __m256i w = _mm256_permute4x64_epi64(w4, (i) * 0x55);   \
            lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(x_lo, w));  \
            hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(x_hi, w));  \
        } while (0)
        ROW(0);
        ROW(1);
        ROW(2);
        ROW(3);
#undef ROW
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

/* The largest of n floats (0 at least), as the scalar loop: vmaxps keeps
 * its second operand (the running maximum) when the first is NaN.  Four
 * running maxima, as the AVX-512 version (gemm_int8_avx512.c) says why. */
AVX2 float core_gemm8_input_scale_avx2(const float *x, size_t n)
{
    __m256 top = _mm256_setzero_ps(), t1 = top, t2 = top, t3 = top;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        top = _mm256_max_ps(_mm256_loadu_ps(x + i), top);
        t1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), t1);
        t2 = _mm256_max_ps(_mm256_loadu_ps(x + i + 16), t2);
        t3 = _mm256_max_ps(_mm256_loadu_ps(x + i + 24), t3);
    }
    top = _mm256_max_ps(_mm256_max_ps(t1, top), _mm256_max_ps(t3, t2));
    for (; i + 8 <= n; i += 8)
        top = _mm256_max_ps(_mm256_loadu_ps(x + i), top);
    float lanes[8], m = 0.0f;
    _mm256_storeu_ps(lanes, top);
    for (int l = 0; l < 8; l++)
        m = lanes[l] > m ? lanes[l] : m;
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;
    return m > 0.0f ? m / 255.0f : 1.0f;
}

/* 8 pixels of one channel rounded as core_gemm8_round(): the conversion
 * rounds half to even (the default MXCSR mode), NaN converts to INT_MIN
 * and clamps to 0, then 0 .. 255; the quotient is capped at 256 first (NaN
 * kept), so an infinite one gives 255 as in the scalar set. */
AVX2 static inline __m256i round8(__m256 v, __m256 offset, __m256 scale)
{
    __m256i q = _mm256_cvtps_epi32(
        _mm256_min_ps(_mm256_set1_ps(256.0f),
                      _mm256_div_ps(_mm256_add_ps(v, offset), scale)));
    return _mm256_min_epi32(_mm256_max_epi32(q, _mm256_setzero_si256()),
                            _mm256_set1_epi32(255));
}

AVX2 void core_gemm8_pack_pixels_avx2(const float *x, int channels,
                                      size_t plane, float scale,
                                      const float *offset, uint8_t *pixels)
{
    const __m256 s = _mm256_set1_ps(scale);
    for (int g = 0; g < (channels + 3) / 4; g++) {
        uint32_t *o = (uint32_t *)(void *)(pixels + (size_t)g * plane * 4);
        const float *r = x + (size_t)g * 4 * plane;
        const int present = channels - 4 * g; /* channels of this group */
        __m256 off[4];
        for (int t = 0; t < 4; t++)
            off[t] = _mm256_set1_ps(offset && t < present ? offset[4 * g + t]
                                                          : 0.0f);
        size_t p = 0;
        for (; p + 8 <= plane; p += 8) {
            __m256i d = round8(_mm256_loadu_ps(r + p), off[0], s);
            for (int t = 1; t < 4 && t < present; t++)
                d = _mm256_or_si256(
                    d, _mm256_slli_epi32(
                           round8(_mm256_loadu_ps(r + (size_t)t * plane + p),
                                  off[t], s),
                           8 * t));
            _mm256_storeu_si256((__m256i *)(void *)(o + p), d);
        }
        for (; p < plane; p++) { /* the tail, as the scalar set */
            uint32_t word = 0;
            for (int t = 0; t < 4 && t < present; t++)
                word |= (uint32_t)core_gemm8_round(
                            r[(size_t)t * plane + p] +
                                (offset ? offset[4 * g + t] : 0.0f),
                            scale)
                        << (8 * t);
            o[p] = word;
        }
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
