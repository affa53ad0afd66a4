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
 * loop (vmaxps returns its second operand when the first is NaN, so no
 * running maximum ever holds one).  Four running maxima, not one: a
 * single chain waits the maximum's latency for every vector, four keep
 * the loads busy; the maximum of a set is the same in any order. */
VNNI float core_gemm8_input_scale_avx512(const float *x, size_t n)
{
    __m512 top = _mm512_setzero_ps(), t1 = top, t2 = top, t3 = top;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        top = _mm512_max_ps(_mm512_loadu_ps(x + i), top);
        t1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), t1);
        t2 = _mm512_max_ps(_mm512_loadu_ps(x + i + 32), t2);
        t3 = _mm512_max_ps(_mm512_loadu_ps(x + i + 48), t3);
    }
    top = _mm512_max_ps(_mm512_max_ps(t1, top), _mm512_max_ps(t3, t2));
    for (; i + 16 <= n; i += 16)
        top = _mm512_max_ps(_mm512_loadu_ps(x + i), top);
    if (i < n)
        top = _mm512_max_ps(
            _mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1u), x + i),
            top);
    const float m = _mm512_reduce_max_ps(top);
    return m > 0.0f ? m / 255.0f : 1.0f;
}

/* 16 pixels of one channel divided by the scale, as core_gemm8_round()
 * divides, then capped at 256: an infinite or huge quotient then converts
 * to 256 (255 after the saturating packs below) as in the scalar set, not
 * to the conversion's INT_MIN (min with the quotient second keeps NaN,
 * which converts to INT_MIN and packs to 0, as the scalar set gives 0). */
VNNI static inline __m512 quotient16(__m512 x, __m512 scale)
{
    return _mm512_min_ps(_mm512_set1_ps(256.0f), _mm512_div_ps(x, scale));
}

/* The same by a multiply with inv = 1/scale, which is not always the
 * division's float: it sets *near for lanes whose product lies within
 * 2^-12 of a half-integer, the only ones where rint() of the two can
 * differ.  Why that suffices: with scale and 1/scale normal floats, the
 * product is x/scale * (1 + e), |e| < 1.5 * 2^-23, and the division's
 * float within x/scale * 2^-24; below 300 the two are then closer than
 * 300 * 2^-22.4 < 2^-14, so a product farther than 2^-12 from every
 * half-integer rounds to the integer the division's float rounds to.
 * Products of 300 and more come from quotients above 299, which are capped
 * to 255 either way; negative products from negative quotients (0 either
 * way); NaN and infinities come out of both alike. */
VNNI static inline __m512 product16(__m512 x, __m512 inv, __mmask16 *near)
{
    const __m512 q = _mm512_mul_ps(x, inv);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(
        q, _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT |
                                       _MM_FROUND_NO_EXC)));
    *near |= _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f - 0x1p-12f),
                                _CMP_GT_OQ);
    return _mm512_min_ps(_mm512_set1_ps(256.0f), q);
}

/* Four channels' capped quotients (16 pixels each) as 16 pixel words:
 * converted with rounding half to even (the default MXCSR mode, as
 * rint()), packed with signed saturation to 16 then to unsigned 8 bits
 * (negative and INT_MIN -> 0, 256 -> 255: the clamp), which leaves each
 * 128-bit lane holding channel-major bytes c0[p0..3] c1[p0..3] c2[p0..3]
 * c3[p0..3] of its 4 pixels; one byte shuffle per lane turns that 4 x 4
 * into the pixel-major words.  The packs and the shuffle stay inside
 * 128-bit lanes, so lane l holds pixels 4l .. 4l+3 in order. */
VNNI static inline __m512i words16(const __m512 q[4])
{
    const __m512i lo = _mm512_packs_epi32(_mm512_cvtps_epi32(q[0]),
                                          _mm512_cvtps_epi32(q[1]));
    const __m512i hi = _mm512_packs_epi32(_mm512_cvtps_epi32(q[2]),
                                          _mm512_cvtps_epi32(q[3]));
    const __m512i bytes = _mm512_packus_epi16(lo, hi);
    const __m512i order = _mm512_broadcast_i32x4(_mm_setr_epi8(
        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    return _mm512_shuffle_epi8(bytes, order);
}

/* One group of @p n (1 .. 4) channels at @p r into @p o; inlined with
 * n = 4 for full groups, so that the four channels stay in registers. */
VNNI static inline __attribute__((always_inline)) void
pack_group(const float *r, size_t plane, int n, const __m512 off[4],
           __m512 s, __m512 inv, int by_product, uint32_t *o)
{
    for (size_t p = 0; p < plane; p += 16) {
        const __mmask16 mask = plane - p >= 16
            ? (__mmask16)0xffff
            : (__mmask16)((1u << (plane - p)) - 1u);
        __m512 v[4], q[4];
#pragma GCC unroll 4
        for (int t = 0; t < 4; t++)
            q[t] = v[t] = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (int t = 0; t < n; t++)
            v[t] = _mm512_add_ps(
                _mm512_maskz_loadu_ps(mask, r + (size_t)t * plane + p),
                off[t]);
        __mmask16 near = by_product ? 0 : 0xffff;
        if (by_product)
#pragma GCC unroll 4
            for (int t = 0; t < n; t++)
                q[t] = product16(v[t], inv, &near);
        if (near & mask) /* rare: a product near a tie; or no product */
#pragma GCC unroll 4
            for (int t = 0; t < n; t++)
                q[t] = quotient16(v[t], s);
        _mm512_mask_storeu_epi32(o + p, mask, words16(q));
    }
}

VNNI void core_gemm8_pack_pixels_avx512(const float *x, int channels,
                                        size_t plane, float scale,
                                        const float *offset, uint8_t *pixels)
{
    const __m512 s = _mm512_set1_ps(scale);
    /* the multiply needs scale and 1/scale normal (the bound above);
     * other scales divide every vector */
    const int by_product = scale >= 0x1p-125f && scale <= 0x1p125f;
    const __m512 inv = _mm512_set1_ps(by_product ? 1.0f / scale : 1.0f);
    for (int g = 0; g < (channels + 3) / 4; g++) {
        uint32_t *o = (uint32_t *)(void *)(pixels + (size_t)g * plane * 4);
        const float *r = x + (size_t)g * 4 * plane;
        const int present = channels - 4 * g; /* channels of this group */
        __m512 off[4];
        for (int t = 0; t < 4; t++)
            off[t] = _mm512_set1_ps(offset && t < present ? offset[4 * g + t]
                                                          : 0.0f);
        if (present >= 4)
            pack_group(r, plane, 4, off, s, inv, by_product, o);
        else
            pack_group(r, plane, present, off, s, inv, by_product, o);
    }
}
#endif
