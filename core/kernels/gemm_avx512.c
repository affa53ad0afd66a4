/* gemm_avx512.c -- the AVX-512 convolution GEMM (see gemm_internal.h).
 *
 * Register tile: CORE_GEMM_MR (8) output channels x up to 3 vectors of 16
 * columns = 24 accumulators.  Per k step the tile loads 3 vectors of B and
 * broadcasts 8 weights for 24 FMAs, so it is bound by the FMA units, not
 * by loads.  In a tile cut by N the columns past N are read with masked
 * loads (never touching memory past the row) and dropped at the store;
 * full tiles load unmasked.  Rows past M are the zero padding of the
 * packed weights and are not stored.
 *
 * Loop order: the larger operand is streamed once in the outer loop and
 * the smaller one re-read from cache in the inner loop (weights outer for
 * conv10's 2 MB of weights, columns outer elsewhere).
 *
 * The epilogue adds the bias, applies the activation, stores into C (which
 * may be a Concat slice) and records the code bits of the tile, so the
 * output is written once and never re-read.  Same float operations as
 * activation.c: (sum + bias) > 0.  The packing and the choice of a kernel
 * set are gemm.c's. */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include "kernels/epilogue_avx512_internal.h"

#include <immintrin.h>

#define MR CORE_GEMM_MR
#define NV 3           /* vectors of 16 columns per tile */
#define NR (16 * NV)

#define AVX512 CORE_TARGET_AVX512
#define INLINE inline __attribute__((always_inline))

/* Rows of B fetched ahead of the k step that reads them.  The first panel
 * over a column block reads B from beyond L2 at a row stride of up to
 * 50 KB (conv1's im2col, the squeeze layers' 3136 columns): a new page per
 * row, which the hardware prefetchers do not follow, so without this the
 * tile waits on each row's loads. */
#define PF_DIST 8

/* Bytes of B from which it is fetched ahead (see core_gemm_avx512()). */
#define PF_B_MIN 32768

/* One k step: 16*nv columns of B row @p bp times the MR weights at @p pw,
 * accumulated into @p acc.  Full vectors are read unmasked. */
AVX512 static INLINE void step(__m512 acc[MR][NV], const float *pw,
                               const float *bp, int nv, int full,
                               const __mmask16 *mask)
{
    __m512 bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++)
        bv[v] = full ? _mm512_loadu_ps(bp + 16 * v)
                     : _mm512_maskz_loadu_ps(mask[v], bp + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        __m512 w = _mm512_set1_ps(pw[i]);
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_fmadd_ps(w, bv[v], acc[i][v]);
    }
}

/* What a tile fetches of B while it runs: row p + lead of the block at
 * @p b while at step p, columns 0 .. cols-1. */
typedef struct fetch_plan {
    const float *b;  /* NULL: nothing */
    int lead, cols;
} fetch_plan;

/* One tile: rows m0 .. m0+rows-1 (rows <= MR), columns j0 .. j0+cols-1
 * (cols <= 16*nv); nv is a constant after inlining so the accumulators
 * stay in registers.  @p pf: B rows not in cache yet, fetched ahead of
 * the step that reads them: this block's in the first panel over it, or
 * the next block's in the last panel over this one. */
AVX512 static INLINE void tile(const float *pw, int k, const float *b,
                               size_t ldb, int m0, int rows, int j0,
                               int cols, int n, int nv, fetch_plan pf,
                               const core_gemm_out *out)
{
    __m512 acc[MR][NV];
    __mmask16 mask[NV] = {0};
    core_tile_masks(cols, nv, mask);
    const int full = cols == 16 * nv;
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++)
            acc[i][v] = _mm512_setzero_ps();
    core_gemm_fetch_c(out, m0, rows, j0, cols);
    const float *bp = b + j0;
    int p = 0;
    if (pf.b)
        for (; p < k - pf.lead; p++, bp += ldb, pw += MR) {
            core_gemm_fetch_row(pf.b + (size_t)(p + pf.lead) * ldb, pf.cols);
            step(acc, pw, bp, nv, full, mask);
        }
    for (; p < k; p++, bp += ldb, pw += MR)
        step(acc, pw, bp, nv, full, mask);
    /* The fields of out in locals: the code bits are stored through a
     * uint8_t pointer, which may alias *out, so gcc would reload every
     * field after each store. */
    const __m512 slope = _mm512_set1_ps(out->slope);
    const core_act act = out->act;
    uint8_t *const bits = act != CORE_ACT_NONE ? out->bits : NULL;
    const float *const bias = out->bias;
    float *const c0 = out->c + j0;
    const size_t ldc = out->ldc;
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        if (i >= rows)
            break;
        const size_t row = (size_t)(m0 + i);
        const __m512 b_row = _mm512_set1_ps(bias ? bias[row] : 0.0f);
        float *c = c0 + row * ldc;
        uint64_t word = 0;
#pragma GCC unroll 3
        for (int v = 0; v < nv; v++) {
            __m512 x = _mm512_add_ps(acc[i][v], b_row);
            __mmask16 pos = core_tile_store(x, c + 16 * v, mask[v], act,
                                            slope);
            word |= (uint64_t)pos << (16 * v);
        }
        if (bits)
            core_bits_put(bits, row * (size_t)n + (size_t)j0, word,
                          (size_t)cols);
    }
}

/* Columns j0 .. j0+cols-1 of rows m0 .. m0+rows-1, the width picking the
 * tile size. */
AVX512 static void tile_any(const float *packed, int k, const float *b,
                            size_t ldb, int m0, int rows, int j0, int cols,
                            int n, fetch_plan pf, const core_gemm_out *out)
{
    const float *pw = packed + (size_t)m0 * k;
    /* The full tile in a copy with and one without fetches, cols a
     * constant in both: the loop of the most common tile has neither masks
     * nor a fetch loop's code. */
    if (cols == NR && pf.b)
        tile(pw, k, b, ldb, m0, rows, j0, NR, n, 3, pf, out);
    else if (cols == NR)
        tile(pw, k, b, ldb, m0, rows, j0, NR, n, 3,
             (fetch_plan){NULL, 0, 0}, out);
    else if (cols > 32)
        tile(pw, k, b, ldb, m0, rows, j0, cols, n, 3, pf, out);
    else if (cols > 16)
        tile(pw, k, b, ldb, m0, rows, j0, cols, n, 2, pf, out);
    else
        tile(pw, k, b, ldb, m0, rows, j0, cols, n, 1, pf, out);
}

/* A last column block of at most TAIL_MAX columns (n = 49: 1, n = 196:
 * 4) would cost a tile per panel 8 FMAs a k step whatever its width.  It
 * is run with the rows in the lanes instead: the 8 weights of a panel's k
 * step are one load, each column's B value a broadcast, one FMA a column
 * and panel (lanes 8-15 zero).  Each output is the same FMA chain over k
 * from 0, the product only with its operands swapped, and the same
 * epilogue operations: the same floats as a tile's. */
#define TAIL_MAX 4
#define TG 8 /* panels of a group (registers: 2 columns x 8 + 8 weights) */

/* Columns j .. j+t-1 (t 1 or 2, a constant after inlining) of the @p panels
 * (<= TG) panels from row m0. */
AVX512 static INLINE void tail_pass(const float *packed, int m, int k,
                                    const float *b, size_t ldb, int m0,
                                    int panels, int j, int t, int n,
                                    const core_gemm_out *out)
{
    __m512 acc[TG][2];
    const float *pw[TG];
#pragma GCC unroll 8
    for (int g = 0; g < TG; g++) {
        /* past the last panel: panel m0's weights again, never stored */
        pw[g] = packed + (size_t)(g < panels ? m0 + MR * g : m0) * k;
        acc[g][0] = acc[g][1] = _mm512_setzero_ps();
    }
    const float *bp = b + j;
    for (int p = 0; p < k; p++, bp += ldb) {
        __m512 bv[2];
        bv[0] = _mm512_set1_ps(bp[0]);
        if (t == 2)
            bv[1] = _mm512_set1_ps(bp[1]);
#pragma GCC unroll 8
        for (int g = 0; g < TG; g++) {
            const __m512 w = _mm512_maskz_loadu_ps(0xff, pw[g] + (size_t)p * MR);
            acc[g][0] = _mm512_fmadd_ps(w, bv[0], acc[g][0]);
            if (t == 2)
                acc[g][1] = _mm512_fmadd_ps(w, bv[1], acc[g][1]);
        }
    }
    const __m512 slope = _mm512_set1_ps(out->slope);
    const core_act act = out->act;
    uint8_t *const bits = act != CORE_ACT_NONE ? out->bits : NULL;
    const float *const bias = out->bias;
    float *const c0 = out->c;
    const size_t ldc = out->ldc;
    for (int g = 0; g < panels; g++) {
        const int row0 = m0 + MR * g;
        const int rows = m - row0 < MR ? m - row0 : MR;
        const __mmask16 live = (__mmask16)((1u << rows) - 1u);
        const __m512 b_rows = bias ? _mm512_maskz_loadu_ps(live, bias + row0)
                                   : _mm512_setzero_ps();
        for (int c = 0; c < t; c++) {
            /* the tiles' store, into lanes here, then down the column */
            float v[16];
            const __mmask16 pos =
                core_tile_store(_mm512_add_ps(acc[g][c], b_rows), v, live,
                                act, slope);
            for (int i = 0; i < rows; i++) {
                const size_t row = (size_t)(row0 + i);
                c0[row * ldc + (size_t)(j + c)] = v[i];
                if (bits && (pos >> i & 1u))
                    core_bits_put(bits, row * (size_t)n + (size_t)(j + c), 1,
                                  1);
            }
        }
    }
}

/* Columns j0 .. j0+cols-1 (cols <= TAIL_MAX) of the panels from row m0,
 * TG of them or up to row m. */
AVX512 static void tail_rows(const float *packed, int m, int k,
                             const float *b, size_t ldb, int m0, int j0,
                             int cols, int n, const core_gemm_out *out)
{
    const int left = (m - m0 + MR - 1) / MR;
    const int panels = left < TG ? left : TG;
    for (int j = 0; j < cols; j += 2) {
        if (cols - j >= 2)
            tail_pass(packed, m, k, b, ldb, m0, panels, j0 + j, 2, n, out);
        else
            tail_pass(packed, m, k, b, ldb, m0, panels, j0 + j, 1, n, out);
    }
}

AVX512 void core_gemm_avx512(const float *packed, int m, int n, int k,
                             const float *b, size_t ldb,
                             const core_gemm_out *out)
{
    const fetch_plan none = {NULL, 0, 0};
    /* A B of up to PF_B_MIN bytes (Winograd's transformed tiles) was just
     * written and is in cache: fetching it only costs instructions. */
    const int far = (size_t)k * ldb * sizeof(float) > PF_B_MIN;
    /* the columns of whole tiles, and what is left in a narrow tail */
    const int tail = n % NR <= TAIL_MAX ? n % NR : 0;
    const int n_tiles = n - tail;
    /* Weights larger than the columns: stream the weights once. */
    if ((size_t)m * k > (size_t)k * n) {
        /* groups of TG panels, the tail after the tiles of a group */
        for (int g0 = 0; g0 < m; g0 += TG * MR) {
            for (int m0 = g0; m0 < m && m0 < g0 + TG * MR; m0 += MR)
                for (int j0 = 0; j0 < n_tiles; j0 += NR) {
                    const int cols = n_tiles - j0 < NR ? n_tiles - j0 : NR;
                    const fetch_plan own = {b + j0, PF_DIST, cols};
                    tile_any(packed, k, b, ldb, m0,
                             m - m0 < MR ? m - m0 : MR, j0, cols, n,
                             m0 == 0 && far ? own : none, out);
                }
            if (tail)
                tail_rows(packed, m, k, b, ldb, g0, n_tiles, tail, n, out);
        }
    } else {
        for (int j0 = 0; j0 < n; j0 += NR) {
            const int cols = n - j0 < NR ? n - j0 : NR;
            const int next = n - j0 - NR < NR ? n - j0 - NR : NR;
            if (j0 >= n_tiles) {
                for (int m0 = 0; m0 < m; m0 += TG * MR)
                    tail_rows(packed, m, k, b, ldb, m0, j0, cols, n, out);
                break;
            }
            for (int m0 = 0; m0 < m; m0 += MR) {
                /* The first block is fetched by its first panel, the
                 * others by the last panel over the block before them
                 * (when that is another panel than their first). */
                fetch_plan pf = none;
                if (far && m0 == 0 && (j0 == 0 || m <= MR))
                    pf = (fetch_plan){b + j0, PF_DIST, cols};
                else if (far && m0 + MR >= m && next > 0)
                    pf = (fetch_plan){b + j0 + NR, 0, next};
                tile_any(packed, k, b, ldb, m0, m - m0 < MR ? m - m0 : MR,
                         j0, cols, n, pf, out);
            }
        }
    }
}
#endif
