/* gemm_plain.c -- the convolution GEMM in plain C (see gemm_internal.h):
 * CPUs without AVX2 + FMA, and builds for other architectures.  No
 * intrinsics: the loops are written for the compiler's vectoriser (SSE2
 * on any x86-64, NEON on ARM64, with no -m flags).
 *
 * Register tile: half a weight panel (4 output channels, read at the
 * panel's stride of 8 as gemm_avx2.c does) x 8 columns, the inner loop
 * over the 8 columns of one row of B: 32 sums, 8 SSE registers, with room
 * for the operands.  (Measured on Zen 4 with GCC 12: 26 G flop/s; a whole
 * panel x 8 columns spills, 7.5 G; 4 x 4 and 4 x 12 tiles give 17-23 G.)
 * Full tiles take a loop of constant bounds the compiler unrolls into
 * vector registers; the column tail takes the same loop with a variable
 * bound.  Loop order as the vector sets (core_gemm_drive).  Each output
 * is summed over k in order from 0, then + bias. */
#include "kernels/gemm_internal.h"

#define MR CORE_GEMM_MR
#define HR 4           /* rows per tile: half a panel */
#define NR 8

/* acc[i][j] += the half panel's weights of row p times B row p, columns
 * 0 .. cols-1. */
static inline void accumulate(float acc[HR][NR], const float *pw, int k,
                              const float *bp, size_t ldb, int cols)
{
    for (int p = 0; p < k; p++, bp += ldb, pw += MR)
        for (int i = 0; i < HR; i++)
            for (int j = 0; j < cols; j++)
                acc[i][j] = acc[i][j] + pw[i] * bp[j];
}

/* One tile: rows m0 .. m0+rows-1 (rows <= HR) read from @p pw (the
 * panel's column of row m0), columns j0 .. j0+cols-1 (cols <= NR). */
static void tile(const float *pw, int k, const float *b, size_t ldb, int m0,
                 int rows, int j0, int cols, int n, const core_gemm_out *out)
{
    float acc[HR][NR] = {{0}};
    if (cols == NR)
        accumulate(acc, pw, k, b + j0, ldb, NR);
    else
        accumulate(acc, pw, k, b + j0, ldb, cols);
    const int want_bits = out->bits && out->act != CORE_ACT_NONE;
    for (int i = 0; i < rows; i++) {
        const size_t row = (size_t)(m0 + i);
        const float bias = out->bias ? out->bias[row] : 0.0f;
        float *c = out->c + row * out->ldc + j0;
        float x[NR];
        for (int j = 0; j < NR; j++)
            x[j] = acc[i][j] + bias;
        /* one loop per activation, each a vector loop */
        if (out->act == CORE_ACT_RELU)
            for (int j = 0; j < cols; j++)
                c[j] = x[j] > 0.0f ? x[j] : 0.0f;
        else if (out->act == CORE_ACT_LEAKY)
            for (int j = 0; j < cols; j++)
                c[j] = x[j] > 0.0f ? x[j] : x[j] * out->slope;
        else
            for (int j = 0; j < cols; j++)
                c[j] = x[j];
        if (want_bits) {
            uint64_t word = 0;
            for (int j = 0; j < cols; j++)
                word |= (uint64_t)(x[j] > 0.0f) << j;
            core_bits_put(out->bits, row * (size_t)n + (size_t)j0, word,
                          (size_t)cols);
        }
    }
}

/* Both halves of the panel at row @p m0 over columns j0 .. j0+cols-1. */
static void panel(const float *packed, int m, int k, const float *b,
                  size_t ldb, int m0, int j0, int cols, int n,
                  const core_gemm_out *out)
{
    for (int h = 0; h < MR && m0 + h < m; h += HR)
        tile(packed + (size_t)m0 * k + h, k, b, ldb, m0 + h,
             m - m0 - h < HR ? m - m0 - h : HR, j0, cols, n, out);
}

void core_gemm_plain(const float *packed, int m, int n, int k,
                     const float *b, size_t ldb, const core_gemm_out *out)
{
    core_gemm_drive(panel, NR, packed, m, n, k, b, ldb, out);
}
