/* gemm_plain.c -- the convolution GEMM in plain C (see gemm_internal.h):
 * CPUs without AVX2 + FMA, and builds for other architectures.  No
 * intrinsics: the loops are written for the compiler's vectoriser (SSE2
 * on any x86-64, NEON on ARM64, with no -m flags).
 *
 * Register tile: a whole weight panel (8 output channels) x 8 columns,
 * the inner loop over the 8 columns of one row: for each k one row of B
 * times 8 broadcast weights, 64 independent sums.  Full tiles take a loop
 * of constant bounds the compiler unrolls into vector registers; the
 * column tail takes the same loop with a variable bound.  Loop order as
 * the vector sets: the larger operand streamed once in the outer loop.
 * Each output is summed over k in order from 0, then + bias. */
#include "kernels/gemm_internal.h"

#define MR CORE_GEMM_MR
#define NR 8

/* acc[i][j] += panel row p's weights times B row p, columns 0 .. cols-1. */
static inline void accumulate(float acc[MR][NR], const float *pw, int k,
                              const float *bp, size_t ldb, int cols)
{
    for (int p = 0; p < k; p++, bp += ldb, pw += MR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < cols; j++)
                acc[i][j] = acc[i][j] + pw[i] * bp[j];
}

/* One tile: rows m0 .. m0+rows-1, columns j0 .. j0+cols-1 (cols <= NR). */
static void tile(const float *pw, int k, const float *b, size_t ldb, int m0,
                 int rows, int j0, int cols, int n, const core_gemm_out *out)
{
    float acc[MR][NR] = {{0}};
    if (cols == NR)
        accumulate(acc, pw, k, b + j0, ldb, NR);
    else
        accumulate(acc, pw, k, b + j0, ldb, cols);
    const int want_bits = out->bits && out->act != CORE_ACT_NONE;
    for (int i = 0; i < rows; i++) {
        const size_t row = (size_t)(m0 + i);
        const float bias = out->bias ? out->bias[row] : 0.0f;
        float *c = out->c + row * out->ldc + j0;
        uint64_t word = 0;
        for (int j = 0; j < cols; j++) {
            const float x = acc[i][j] + bias;
            const int pos = x > 0.0f;
            c[j] = out->act == CORE_ACT_NONE || pos ? x
                   : out->act == CORE_ACT_LEAKY ? x * out->slope
                                                : 0.0f;
            word |= (uint64_t)pos << j;
        }
        if (want_bits)
            core_bits_put(out->bits, row * (size_t)n + (size_t)j0, word,
                          (size_t)cols);
    }
}

void core_gemm_plain(const float *packed, int m, int n, int k,
                     const float *b, size_t ldb, const core_gemm_out *out)
{
    const int by_weights = (size_t)m * k > (size_t)k * n;
    const int outer = by_weights ? (m + MR - 1) / MR : (n + NR - 1) / NR;
    const int inner = by_weights ? (n + NR - 1) / NR : (m + MR - 1) / MR;
    for (int o = 0; o < outer; o++)
        for (int q = 0; q < inner; q++) {
            const int m0 = (by_weights ? o : q) * MR;
            const int j0 = (by_weights ? q : o) * NR;
            tile(packed + (size_t)m0 * k, k, b, ldb, m0,
                 m - m0 < MR ? m - m0 : MR, j0, n - j0 < NR ? n - j0 : NR, n,
                 out);
        }
}
