/* gemm_avx2.c -- the AVX2 + FMA convolution GEMM (see gemm_internal.h),
 * for CPUs without AVX-512: most laptops and desktops.
 *
 * Register tile: half a weight panel (4 output channels) x up to 3 vectors
 * of 8 columns = 12 accumulators, 3 loads of B and 4 broadcasts per k step
 * for 12 FMAs, leaving 4 of the 16 registers for the operands; a block of
 * at most 8 columns takes the whole panel x 1 vector (8 FMAs a B load).  The tile
 * reads the panels of the AVX-512 layout (8 rows, k-major), the 4 rows of
 * its half at a stride of 8, so one packing serves every kernel set.
 * Only the last vector of a row is read with a masked load (vmaskmovps
 * never touches the masked-off addresses); rows past M are the zero
 * padding of the panel and are neither computed nor stored.
 *
 * Loop order as gemm_avx512.c (core_gemm_drive): the larger operand
 * streamed once in the outer loop.  The sum of each output is the same chain of fused
 * multiply-adds over k from 0, then + bias, as the AVX-512 kernel: both
 * sets give the same floats.  The epilogue (bias, activation, store, code
 * bits) is activation.c's float operations: (sum + bias) > 0. */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#define MR CORE_GEMM_MR
#define HR 4           /* rows per tile: half a panel */
#define NV 3           /* vectors of 8 columns per tile */
#define NR (8 * NV)

#define AVX2 CORE_TARGET_AVX2_FMA
#define INLINE inline __attribute__((always_inline))

/* Lanes 0 .. n-1 of a vector of 8 (n <= 8), as a vmaskmovps mask. */
AVX2 static INLINE __m256i first_lanes(int n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
}

/* One tile: rows m0 .. m0+rows-1 (rows <= hr) read from @p pw (the
 * panel's column of row m0), columns j0 .. j0+cols-1 (8*(nv-1) < cols <=
 * 8*nv); hr x nv is 4 x 1..3 or 8 x 1, constants after inlining so the
 * accumulators stay in registers. */
AVX2 static INLINE void tile(const float *pw, int k, const float *b,
                             size_t ldb, int m0, int rows, int j0, int cols,
                             int n, int hr, int nv, const core_gemm_out *out)
{
    __m256 acc[MR][NV];
    const int tail = cols - 8 * (nv - 1); /* columns of the last vector */
    const __m256i mask = first_lanes(tail);
#pragma GCC unroll 8
    for (int i = 0; i < hr; i++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm256_setzero_ps();
    core_gemm_fetch_c(out, m0, rows, j0, cols);
    const float *bp = b + j0;
    for (int p = 0; p < k; p++, bp += ldb, pw += MR) {
        __m256 bv[NV];
#pragma GCC unroll 3
        for (int v = 0; v < nv - 1; v++)
            bv[v] = _mm256_loadu_ps(bp + 8 * v);
        bv[nv - 1] = tail == 8 ? _mm256_loadu_ps(bp + 8 * (nv - 1))
                               : _mm256_maskload_ps(bp + 8 * (nv - 1), mask);
#pragma GCC unroll 8
        for (int i = 0; i < hr; i++) {
            const __m256 w = _mm256_broadcast_ss(pw + i);
#pragma GCC unroll 3
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm256_fmadd_ps(w, bv[v], acc[i][v]);
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    const __m256 slope = _mm256_set1_ps(out->slope);
    const int want_bits = out->bits && out->act != CORE_ACT_NONE;
#pragma GCC unroll 8
    for (int i = 0; i < hr; i++) {
        if (i >= rows)
            break;
        const size_t row = (size_t)(m0 + i);
        const __m256 bias = _mm256_set1_ps(out->bias ? out->bias[row] : 0.0f);
        float *c = out->c + row * out->ldc + j0;
        uint32_t word = 0;
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            __m256 x = _mm256_add_ps(acc[i][v], bias);
            const __m256 pos = _mm256_cmp_ps(x, zero, _CMP_GT_OQ);
            if (out->act == CORE_ACT_RELU)
                x = _mm256_and_ps(x, pos);
            else if (out->act == CORE_ACT_LEAKY)
                x = _mm256_blendv_ps(_mm256_mul_ps(x, slope), x, pos);
            if (v < nv - 1 || tail == 8)
                _mm256_storeu_ps(c + 8 * v, x);
            else
                _mm256_maskstore_ps(c + 8 * v, mask, x);
            word |= (uint32_t)_mm256_movemask_ps(pos) << (8 * v);
        }
        if (want_bits)
            core_bits_put(out->bits, row * (size_t)n + (size_t)j0,
                          word & (uint32_t)((1ull << cols) - 1u),
                          (size_t)cols);
    }
}

/* The panel at row @p m0 over columns j0 .. j0+cols-1, the width picking
 * the tile: up to 8 columns the whole panel at once (8 sums a B load),
 * else each half with up to 3 vectors. */
AVX2 static void panel(const float *packed, int m, int k, const float *b,
                       size_t ldb, int m0, int j0, int cols, int n,
                       const core_gemm_out *out)
{
    if (cols <= 8) {
        tile(packed + (size_t)m0 * k, k, b, ldb, m0,
             m - m0 < MR ? m - m0 : MR, j0, cols, n, MR, 1, out);
        return;
    }
    for (int h = 0; h < MR && m0 + h < m; h += HR) {
        const float *pw = packed + (size_t)m0 * k + h;
        const int rows = m - m0 - h < HR ? m - m0 - h : HR;
        if (cols > 16)
            tile(pw, k, b, ldb, m0 + h, rows, j0, cols, n, HR, 3, out);
        else
            tile(pw, k, b, ldb, m0 + h, rows, j0, cols, n, HR, 2, out);
    }
}

void core_gemm_avx2(const float *packed, int m, int n, int k,
                    const float *b, size_t ldb, const core_gemm_out *out)
{
    core_gemm_drive(panel, NR, packed, m, n, k, b, ldb, out);
}
#endif
