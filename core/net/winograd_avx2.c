/* winograd_avx2.c -- the Winograd F(2x2, 3x3) transforms of winograd.c
 * with AVX2: 8 horizontally adjacent tiles per vector.  The 4 input
 * columns of each tile are the even and odd lanes of two pairs of row
 * loads (vshufps within 128-bit halves, then vpermpd across them); the 2
 * output columns are interleaved back (vunpck, then vperm2f128).  Loads
 * and stores at the row ends are vmaskmovps, which never touches the
 * masked-off addresses (and only there: its stores are slow on AMD).  The same additions and subtractions in the same
 * order as winograd.c's plain C transforms. */
#include "net/winograd_internal.h"
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define AVX2 CORE_TARGET_AVX2_FMA

/* Lanes i of an 8-float load at column @p x0 + i with 0 <= x0 + i < w. */
AVX2 static inline __m256i inside_mask(int x0, int w)
{
    const __m256i col = _mm256_add_epi32(
        _mm256_set1_epi32(x0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_si256(_mm256_cmpgt_epi32(col, _mm256_set1_epi32(-1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(w), col));
}

/* Lanes 0 .. n-1 (all when n >= 8). */
AVX2 static inline __m256i first_lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Even lanes of a then b, and their odd lanes: a0 a2 .. a6 b0 .. b6. */
AVX2 static inline void deinterleave(__m256 a, __m256 b, __m256 *even,
                                     __m256 *odd)
{
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e),
                                                   _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o),
                                                  _MM_SHUFFLE(3, 1, 2, 0)));
}

/* Columns x0 + 2l + j (j = 0..3) of @p row for 8 tiles l, zero outside
 * the row: plain loads inside the row, masked ones at its ends. */
AVX2 static void load_cols(const float *row, int x0, int w, __m256 d[4])
{
    __m256 l0, l8, l2, l10;
    if (x0 >= 0 && x0 + 18 <= w) {
        l0 = _mm256_loadu_ps(row + x0);
        l8 = _mm256_loadu_ps(row + x0 + 8);
        l2 = _mm256_loadu_ps(row + x0 + 2);
        l10 = _mm256_loadu_ps(row + x0 + 10);
    } else {
        l0 = _mm256_maskload_ps(row + x0, inside_mask(x0, w));
        l8 = _mm256_maskload_ps(row + x0 + 8, inside_mask(x0 + 8, w));
        l2 = _mm256_maskload_ps(row + x0 + 2, inside_mask(x0 + 2, w));
        l10 = _mm256_maskload_ps(row + x0 + 10, inside_mask(x0 + 10, w));
    }
    deinterleave(l0, l8, &d[0], &d[1]);
    deinterleave(l2, l10, &d[2], &d[3]);
}

/* Store @p v at @p p: all 8 lanes when @p full, else those of @p keep
 * (vmaskmovps stores are slow on some CPUs: only at a row's end). */
AVX2 static inline void store8(float *p, int full, __m256i keep, __m256 v)
{
    if (full)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, keep, v);
}

/* The 8 floats at @p p: all when @p full, else the lanes of @p keep. */
AVX2 static inline __m256 load8(const float *p, int full, __m256i keep)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, keep);
}

AVX2 void core_winograd_input_avx2(core_shape in, const float *src, int ty0,
                                   int rows, int tw, float *v, int nt)
{
    for (int ch = 0; ch < in.c; ch++) {
        const float *plane = src + (size_t)ch * in.h * in.w;
        for (int r = 0; r < rows; r++) {
            const int ty = ty0 + r;
            for (int tx0 = 0; tx0 < tw; tx0 += 8) {
                const __m256i keep = first_lanes(tw - tx0);
                const int full = tw - tx0 >= 8;
                __m256 d[4][4], t[4][4];
                for (int i = 0; i < 4; i++) {
                    int y = 2 * ty - 1 + i;
                    if (y < 0 || y >= in.h) {
                        for (int j = 0; j < 4; j++)
                            d[i][j] = _mm256_setzero_ps();
                        continue;
                    }
                    load_cols(plane + (size_t)y * in.w, 2 * tx0 - 1, in.w,
                              d[i]);
                }
                for (int i = 0; i < 4; i++) { /* rows times B */
                    t[i][0] = _mm256_sub_ps(d[i][0], d[i][2]);
                    t[i][1] = _mm256_add_ps(d[i][1], d[i][2]);
                    t[i][2] = _mm256_sub_ps(d[i][2], d[i][1]);
                    t[i][3] = _mm256_sub_ps(d[i][1], d[i][3]);
                }
                float *out = v + (size_t)ch * nt + (size_t)r * tw + tx0;
                const size_t step = (size_t)in.c * nt; /* next xi */
                for (int j = 0; j < 4; j++) { /* B^T times columns */
                    store8(out + (0 * 4 + j) * step, full, keep,
                           _mm256_sub_ps(t[0][j], t[2][j]));
                    store8(out + (1 * 4 + j) * step, full, keep,
                           _mm256_add_ps(t[1][j], t[2][j]));
                    store8(out + (2 * 4 + j) * step, full, keep,
                           _mm256_sub_ps(t[2][j], t[1][j]));
                    store8(out + (3 * 4 + j) * step, full, keep,
                           _mm256_sub_ps(t[1][j], t[3][j]));
                }
            }
        }
    }
}

/* Bias, activation, store and bits of @p count (<= 16) outputs of one row
 * starting at unit @p at of the output: lanes of @p lo then @p hi. */
AVX2 static void store_row(__m256 lo, __m256 hi, int count,
                           const struct core_gemm_out *out, __m256 bias,
                           size_t at)
{
    const __m256 zero = _mm256_setzero_ps();
    const __m256 slope = _mm256_set1_ps(out->slope);
    const __m256 v[2] = {_mm256_add_ps(lo, bias), _mm256_add_ps(hi, bias)};
    uint64_t word = 0;
    for (int h = 0; h < 2; h++) {
        const __m256 pos = _mm256_cmp_ps(v[h], zero, _CMP_GT_OQ);
        __m256 x = v[h];
        if (out->act == CORE_ACT_RELU)
            x = _mm256_and_ps(x, pos);
        else if (out->act == CORE_ACT_LEAKY)
            x = _mm256_blendv_ps(_mm256_mul_ps(x, slope), x, pos);
        if (count >= 8 * (h + 1))
            _mm256_storeu_ps(out->c + at + 8 * h, x);
        else if (count > 8 * h)
            _mm256_maskstore_ps(out->c + at + 8 * h,
                                first_lanes(count - 8 * h), x);
        word |= (uint64_t)_mm256_movemask_ps(pos) << (8 * h);
    }
    if (out->bits && out->act != CORE_ACT_NONE)
        core_bits_put(out->bits, at, word & ((1ull << count) - 1u),
                      (size_t)count);
}

AVX2 void core_winograd_output_avx2(int m, core_shape in, const float *mb,
                                    int ty0, int rows, int tw, int nt,
                                    const struct core_gemm_out *out)
{
    const size_t plane = (size_t)in.h * in.w;
    const size_t step = (size_t)m * nt; /* next xi */
    for (int o = 0; o < m; o++) {
        core_winograd_fetch_out(out, in, o, m, ty0, rows);
        const __m256 bias = _mm256_set1_ps(out->bias ? out->bias[o] : 0.0f);
        for (int r = 0; r < rows; r++) {
            const int ty = ty0 + r;
            for (int tx0 = 0; tx0 < tw; tx0 += 8) {
                const __m256i keep = first_lanes(tw - tx0);
                const int full = tw - tx0 >= 8;
                const float *p = mb + (size_t)o * nt + (size_t)r * tw + tx0;
                __m256 s[4][2];
                for (int a = 0; a < 4; a++) { /* rows times A */
                    __m256 m0 = load8(p + (a * 4 + 0) * step, full, keep);
                    __m256 m1 = load8(p + (a * 4 + 1) * step, full, keep);
                    __m256 m2 = load8(p + (a * 4 + 2) * step, full, keep);
                    __m256 m3 = load8(p + (a * 4 + 3) * step, full, keep);
                    s[a][0] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
                    s[a][1] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
                }
                const int x0 = 2 * tx0;
                const int count = in.w - x0 < 16 ? in.w - x0 : 16;
                for (int dy = 0; dy < 2; dy++) {
                    const int y = 2 * ty + dy;
                    if (y >= in.h)
                        break;
                    __m256 y0, y1; /* A^T times columns */
                    if (dy == 0) {
                        y0 = _mm256_add_ps(_mm256_add_ps(s[0][0], s[1][0]), s[2][0]);
                        y1 = _mm256_add_ps(_mm256_add_ps(s[0][1], s[1][1]), s[2][1]);
                    } else {
                        y0 = _mm256_sub_ps(_mm256_sub_ps(s[1][0], s[2][0]), s[3][0]);
                        y1 = _mm256_sub_ps(_mm256_sub_ps(s[1][1], s[2][1]), s[3][1]);
                    }
                    const __m256 lo = _mm256_unpacklo_ps(y0, y1);
                    const __m256 hi = _mm256_unpackhi_ps(y0, y1);
                    store_row(_mm256_permute2f128_ps(lo, hi, 0x20),
                              _mm256_permute2f128_ps(lo, hi, 0x31), count,
                              out, bias,
                              (size_t)o * plane + (size_t)y * in.w + x0);
                }
            }
        }
    }
}
#endif
