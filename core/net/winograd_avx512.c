/* winograd_avx512.c -- the Winograd F(2x2, 3x3) transforms of winograd.c
 * with AVX-512: 16 horizontally adjacent tiles per vector.  The 4 input
 * columns of each tile are the even and odd lanes of two pairs of row
 * loads; the 2 output columns are interleaved back.  The same additions
 * and subtractions in the same order as winograd.c's plain C transforms. */
#include "net/winograd_internal.h"
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define AVX512 CORE_TARGET_AVX512

/* Lanes i of a 16-float load at column @p x0 + i with 0 <= x0 + i < w. */
static __mmask16 inside_mask(int x0, int w)
{
    int lo = x0 < 0 ? -x0 : 0;
    int hi = w - x0 > 16 ? 16 : w - x0;
    if (hi <= lo)
        return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

static __mmask16 first_lanes(int n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* Columns x0 + 2l + j (j = 0..3) of @p row for 16 tiles l, zero outside
 * the row.  Masked loads never touch the masked-off addresses. */
AVX512 static void load_cols(const float *row, int x0, int w, __m512 d[4])
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    __m512 l0 = _mm512_maskz_loadu_ps(inside_mask(x0, w), row + x0);
    __m512 l16 = _mm512_maskz_loadu_ps(inside_mask(x0 + 16, w), row + x0 + 16);
    __m512 l2 = _mm512_maskz_loadu_ps(inside_mask(x0 + 2, w), row + x0 + 2);
    __m512 l18 = _mm512_maskz_loadu_ps(inside_mask(x0 + 18, w), row + x0 + 18);
    d[0] = _mm512_permutex2var_ps(l0, even, l16);
    d[1] = _mm512_permutex2var_ps(l0, odd, l16);
    d[2] = _mm512_permutex2var_ps(l2, even, l18);
    d[3] = _mm512_permutex2var_ps(l2, odd, l18);
}

/* V[xi][ch][t] = (B^T d B)[xi] for the tiles of one block; t counts the
 * block's tiles row by row, @p nt of them. */
AVX512 void core_winograd_input_avx512(core_shape in, const float *src,
                                      int ty0, int rows, int tw, float *v,
                                      int nt)
{
    for (int ch = 0; ch < in.c; ch++) {
        const float *plane = src + (size_t)ch * in.h * in.w;
        for (int r = 0; r < rows; r++) {
            const int ty = ty0 + r;
            for (int tx0 = 0; tx0 < tw; tx0 += 16) {
                const __mmask16 keep = first_lanes(tw - tx0);
                __m512 d[4][4], t[4][4];
                for (int i = 0; i < 4; i++) {
                    int y = 2 * ty - 1 + i;
                    if (y < 0 || y >= in.h) {
                        for (int j = 0; j < 4; j++)
                            d[i][j] = _mm512_setzero_ps();
                        continue;
                    }
                    load_cols(plane + (size_t)y * in.w, 2 * tx0 - 1, in.w,
                              d[i]);
                }
                for (int i = 0; i < 4; i++) { /* rows times B */
                    t[i][0] = _mm512_sub_ps(d[i][0], d[i][2]);
                    t[i][1] = _mm512_add_ps(d[i][1], d[i][2]);
                    t[i][2] = _mm512_sub_ps(d[i][2], d[i][1]);
                    t[i][3] = _mm512_sub_ps(d[i][1], d[i][3]);
                }
                float *out = v + (size_t)ch * nt + (size_t)r * tw + tx0;
                const size_t step = (size_t)in.c * nt; /* next xi */
                for (int j = 0; j < 4; j++) { /* B^T times columns */
                    _mm512_mask_storeu_ps(out + (0 * 4 + j) * step, keep,
                                          _mm512_sub_ps(t[0][j], t[2][j]));
                    _mm512_mask_storeu_ps(out + (1 * 4 + j) * step, keep,
                                          _mm512_add_ps(t[1][j], t[2][j]));
                    _mm512_mask_storeu_ps(out + (2 * 4 + j) * step, keep,
                                          _mm512_sub_ps(t[2][j], t[1][j]));
                    _mm512_mask_storeu_ps(out + (3 * 4 + j) * step, keep,
                                          _mm512_sub_ps(t[1][j], t[3][j]));
                }
            }
        }
    }
}

/* Bias, activation, store and bits of @p count (<= 32) outputs of one row
 * starting at unit @p at of the output: lanes of @p lo then @p hi. */
AVX512 static void store_row(__m512 lo, __m512 hi, int count,
                             const struct core_gemm_out *out, __m512 bias,
                             size_t at)
{
    const __m512 zero = _mm512_setzero_ps();
    const __m512 slope = _mm512_set1_ps(out->slope);
    __m512 v[2] = {_mm512_add_ps(lo, bias), _mm512_add_ps(hi, bias)};
    uint64_t word = 0;
    for (int h = 0; h < 2; h++) {
        __mmask16 keep = first_lanes(count - 16 * h > 0 ? count - 16 * h : 0);
        __mmask16 pos = _mm512_cmp_ps_mask(v[h], zero, _CMP_GT_OQ);
        __m512 x = v[h];
        if (out->act == CORE_ACT_RELU)
            x = _mm512_maskz_mov_ps(pos, x);
        else if (out->act == CORE_ACT_LEAKY)
            x = _mm512_mask_blend_ps(pos, _mm512_mul_ps(x, slope), x);
        _mm512_mask_storeu_ps(out->c + at + 16 * h, keep, x);
        word |= (uint64_t)(pos & keep) << (16 * h);
    }
    if (out->bits && out->act != CORE_ACT_NONE)
        core_bits_put(out->bits, at, word, (size_t)count);
}

/* Y = A^T M A for the block's tiles, then store_row for both rows. */
AVX512 void core_winograd_output_avx512(int m, core_shape in,
                                       const float *mb, int ty0, int rows,
                                       int tw, int nt,
                                       const struct core_gemm_out *out)
{
    const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4,
                                             20, 5, 21, 6, 22, 7, 23);
    const __m512i hi_idx = _mm512_add_epi32(lo_idx, _mm512_set1_epi32(8));
    const size_t plane = (size_t)in.h * in.w;
    const size_t step = (size_t)m * nt; /* next xi */
    for (int o = 0; o < m; o++) {
        core_winograd_fetch_out(out, in, o, m, ty0, rows);
        const __m512 bias = _mm512_set1_ps(out->bias ? out->bias[o] : 0.0f);
        for (int r = 0; r < rows; r++) {
            const int ty = ty0 + r;
            for (int tx0 = 0; tx0 < tw; tx0 += 16) {
                const __mmask16 keep = first_lanes(tw - tx0);
                const float *p = mb + (size_t)o * nt + (size_t)r * tw + tx0;
                __m512 s[4][2];
                for (int a = 0; a < 4; a++) { /* rows times A */
                    __m512 m0 = _mm512_maskz_loadu_ps(keep, p + (a * 4 + 0) * step);
                    __m512 m1 = _mm512_maskz_loadu_ps(keep, p + (a * 4 + 1) * step);
                    __m512 m2 = _mm512_maskz_loadu_ps(keep, p + (a * 4 + 2) * step);
                    __m512 m3 = _mm512_maskz_loadu_ps(keep, p + (a * 4 + 3) * step);
                    s[a][0] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                    s[a][1] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
                }
                const int x0 = 2 * tx0;
                const int count = in.w - x0 < 32 ? in.w - x0 : 32;
                for (int dy = 0; dy < 2; dy++) {
                    const int y = 2 * ty + dy;
                    if (y >= in.h)
                        break;
                    __m512 y0, y1; /* A^T times columns */
                    if (dy == 0) {
                        y0 = _mm512_add_ps(_mm512_add_ps(s[0][0], s[1][0]), s[2][0]);
                        y1 = _mm512_add_ps(_mm512_add_ps(s[0][1], s[1][1]), s[2][1]);
                    } else {
                        y0 = _mm512_sub_ps(_mm512_sub_ps(s[1][0], s[2][0]), s[3][0]);
                        y1 = _mm512_sub_ps(_mm512_sub_ps(s[1][1], s[2][1]), s[3][1]);
                    }
                    store_row(_mm512_permutex2var_ps(y0, lo_idx, y1),
                              _mm512_permutex2var_ps(y0, hi_idx, y1), count,
                              out, bias,
                              (size_t)o * plane + (size_t)y * in.w + x0);
                }
            }
        }
    }
}
#endif
