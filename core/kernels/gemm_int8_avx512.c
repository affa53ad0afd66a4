/* gemm_int8_avx512.c -- the int8 GEMM with AVX-512 VNNI (see gemm_int8.h).
 *
 * Register tile: CORE_GEMM8_MR (8) output channels x up to 3 vectors of 16
 * columns = 24 int32 accumulators, the shape of the fp32 kernel
 * (gemm_avx512.c).  Per group of 4 along K the tile loads 3 vectors of the
 * packed input (16 columns x 4 bytes each) and broadcasts 8 weight words
 * (4 int8 each) for 24 vpdpbusd, each 64 multiply-adds: 4x the work per
 * instruction of the fp32 FMA.  Columns past N are read with masked loads
 * and dropped at the store; rows past M are the packing's zero rows.
 *
 * The epilogue converts the sums to float, multiplies by the row's scale,
 * adds the bias (separate instructions, as core_gemm8_finish()), applies
 * the activation and records the code bits.  The functions enable the ISA
 * by target attributes; gemm_int8.c calls them only on CPUs that report
 * AVX-512F, BW and VNNI. */
#include "kernels/gemm_int8_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include "net/layers_internal.h"

#include "kernels/cpu_internal.h"
#include "kernels/epilogue_avx512_internal.h"

#include <immintrin.h>

#define MR CORE_GEMM8_MR
#define NV 3
#define NR (16 * NV)

#define VNNI CORE_TARGET_AVX512VNNI
#define INLINE inline __attribute__((always_inline))

VNNI static INLINE void tile(const core_gemm8_args *a, int m0, int rows,
                             int j0, int cols, int nv,
                             const core_gemm_out *out)
{
    const int groups = core_gemm8_kpad(a->k) / 4;
    const int32_t *pw =
        (const int32_t *)(const void *)(a->w + (size_t)m0 * groups * 4);
    const uint8_t *bp = a->b + (size_t)j0 * 4;
    const size_t ldb = (size_t)a->n * 4;
    __m512i acc[MR][NV];
    __mmask16 mask[NV] = {0};
    core_tile_masks(cols, nv, mask);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_si512();
    for (int g = 0; g < groups; g++, bp += ldb, pw += MR) {
        __m512i bv[NV];
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            bv[v] = _mm512_maskz_loadu_epi32(mask[v], bp + 64 * v);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            __m512i w = _mm512_set1_epi32(pw[i]);
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], bv[v], w);
        }
    }
    const __m512 slope = _mm512_set1_ps(out->slope);
    const int want_bits = out->bits && out->act != CORE_ACT_NONE;
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        if (i >= rows)
            break;
        const size_t row = (size_t)(m0 + i);
        const __m512 scale = _mm512_set1_ps(a->w_scale[row] * a->b_scale);
        const __m512 bias = _mm512_set1_ps(out->bias ? out->bias[row] : 0.0f);
        float *c = out->c + row * out->ldc + j0;
        uint64_t word = 0;
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[i][v]), scale);
            x = _mm512_add_ps(x, bias);
            __mmask16 pos = core_tile_store(x, c + 16 * v, mask[v], out->act,
                                            slope);
            word |= (uint64_t)pos << (16 * v);
        }
        if (want_bits)
            core_bits_put(out->bits, row * (size_t)a->n + (size_t)j0, word,
                          (size_t)cols);
    }
}

VNNI static void tile_any(const core_gemm8_args *a, int m0, int j0,
                          const core_gemm_out *out)
{
    const int rows = a->m - m0 < MR ? a->m - m0 : MR;
    const int cols = a->n - j0 < NR ? a->n - j0 : NR;
    if (cols > 32)
        tile(a, m0, rows, j0, cols, 3, out);
    else if (cols > 16)
        tile(a, m0, rows, j0, cols, 2, out);
    else
        tile(a, m0, rows, j0, cols, 1, out);
}

VNNI void core_gemm8_avx512vnni(const core_gemm8_args *a,
                                const core_gemm_out *out)
{
    /* Weights larger than the input: stream the weights once. */
    if ((size_t)a->m > (size_t)a->n) {
        for (int m0 = 0; m0 < a->m; m0 += MR)
            for (int j0 = 0; j0 < a->n; j0 += NR)
                tile_any(a, m0, j0, out);
    } else {
        for (int j0 = 0; j0 < a->n; j0 += NR)
            for (int m0 = 0; m0 < a->m; m0 += MR)
                tile_any(a, m0, j0, out);
    }
}

/* The largest of n floats (0 at least): NaNs are skipped as in the scalar
 * loop (vmaxps returns its second operand when the first is NaN). */
VNNI float core_gemm8_input_scale_avx512(const float *x, size_t n)
{
    __m512 top = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        top = _mm512_max_ps(_mm512_loadu_ps(x + i), top);
    if (i < n)
        top = _mm512_max_ps(
            _mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1u), x + i),
            top);
    const float m = _mm512_reduce_max_ps(top);
    return m > 0.0f ? m / 255.0f : 1.0f;
}

/* 16 pixels of one channel rounded as core_gemm8_round(): the conversion
 * rounds half to even (the default MXCSR mode), then 0 .. 255.  The
 * quotient is capped at 256 first, so that an infinite or huge one gives
 * 255 as in the scalar set, not the conversion's INT_MIN (min with the
 * quotient second keeps NaN, which converts to INT_MIN and clamps to 0, as
 * the scalar set gives 0).  (Multiplying by 1/scale instead, with exact
 * division near ties, measured slower on Zen 4: the extra vector
 * operations cost more than the divider.) */
VNNI static inline __m512i round16(const float *r, __mmask16 mask,
                                   __m512 offset, __m512 scale)
{
    __m512 x = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, r), offset);
    __m512i q = _mm512_cvtps_epi32(
        _mm512_min_ps(_mm512_set1_ps(256.0f), _mm512_div_ps(x, scale)));
    return _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()),
                            _mm512_set1_epi32(255));
}

VNNI void core_gemm8_pack_pixels_avx512(const float *x, int channels,
                                        size_t plane, float scale,
                                        const float *offset, uint8_t *pixels)
{
    const __m512 s = _mm512_set1_ps(scale);
    for (int g = 0; g < (channels + 3) / 4; g++) {
        uint32_t *o = (uint32_t *)(void *)(pixels + (size_t)g * plane * 4);
        const float *r = x + (size_t)g * 4 * plane;
        const int present = channels - 4 * g; /* channels of this group */
        __m512 off[4];
        for (int t = 0; t < 4; t++)
            off[t] = _mm512_set1_ps(offset && t < present ? offset[4 * g + t]
                                                          : 0.0f);
        for (size_t p = 0; p < plane; p += 16) {
            const __mmask16 mask = plane - p >= 16
                ? (__mmask16)0xffff
                : (__mmask16)((1u << (plane - p)) - 1u);
            __m512i d = round16(r + p, mask, off[0], s);
            for (int t = 1; t < 4 && t < present; t++)
                d = _mm512_or_si512(
                    d, _mm512_slli_epi32(round16(r + (size_t)t * plane + p,
                                                 mask, off[t], s),
                                         8 * t));
            _mm512_mask_storeu_epi32(o + p, mask, d);
        }
    }
}
#endif
