/* gemm_internal.h -- the fp32 convolution GEMM: C = act(W*B + bias) with
 * the ReLU code bits written in the same pass, in three kernel sets of one
 * design (AVX-512, AVX2 + FMA, plain C).  Internal.
 *
 * W (M x K, row-major) is packed once at model load into panels of
 * CORE_GEMM_MR rows, k-major inside a panel, rows past M zero: every
 * kernel set reads this one layout, its weights as one sequential stream.
 * B is a K x N row-major matrix at any address (the input blob or an
 * im2col buffer); C is M x N with row stride ldc (a blob or a Concat
 * slice).
 *
 * Summation order, which decides the bits of pre-activations within
 * rounding of 0: every set sums one output over k in order from 0, then
 * adds the bias.  AVX-512 and AVX2 chain fused multiply-adds, so they give
 * the same floats; plain C rounds each product and each sum (the project
 * builds as ISO C, where GCC does not contract a*b+c into an FMA; clang
 * contracts it the same way everywhere it does). */
#ifndef CORE_GEMM_INTERNAL_H
#define CORE_GEMM_INTERNAL_H

#include "net/layers_internal.h"

#include <stddef.h>
#include <stdint.h>

#define CORE_GEMM_MR 8

/* The fp32 kernel sets, each level needing the CPU features of its name. */
typedef enum core_gemm_isa {
    CORE_GEMM_PLAIN = 0,  /* plain C, any CPU */
    CORE_GEMM_AVX2 = 1,   /* AVX2 and FMA */
    CORE_GEMM_AVX512 = 2  /* AVX-512F */
} core_gemm_isa;

/* What happens to each finished tile before it is stored. */
typedef struct core_gemm_out {
    float *c;             /* M x N result */
    size_t ldc;
    const float *bias;    /* M entries, or NULL */
    core_act act;
    float slope;          /* CORE_ACT_LEAKY */
    uint8_t *bits;        /* NULL, or bit i*N + j set when pre-act > 0 */
} core_gemm_out;

/* Row stride of C (floats) from which a vector tile fetches its C lines
 * before its k loop: rows that far apart are each in a page of their own,
 * and the epilogue's stores would each wait for their line (conv1, the
 * 3136- and 784-column layers); fetched first, that wait overlaps the k
 * loop. */
#define CORE_GEMM_FETCH_C_MIN 512

/* Prefetch the lines of floats 0 .. cols-1 at @p p (the last one too: a
 * row of a block need not start on a line). */
static inline void core_gemm_fetch_row(const float *p, int cols)
{
#pragma GCC unroll 3
    for (int x = 0; x < cols; x += 16)
        __builtin_prefetch(p + x, 0, 3);
    __builtin_prefetch(p + cols - 1, 0, 3);
}

/* The C lines of a tile's rows m0 .. m0+rows-1, columns j0 .. j0+cols-1,
 * when C's rows are CORE_GEMM_FETCH_C_MIN floats or more apart. */
static inline void core_gemm_fetch_c(const core_gemm_out *out, int m0,
                                     int rows, int j0, int cols)
{
    if (out->ldc < CORE_GEMM_FETCH_C_MIN)
        return;
    for (int i = 0; i < rows; i++)
        core_gemm_fetch_row(out->c + (size_t)(m0 + i) * out->ldc + j0, cols);
}

/* Floats of a packed M x K weight matrix. */
size_t core_gemm_packed_floats(int m, int k);

/* Pack row-major @p w (M x K) into @p packed (core_gemm_packed_floats). */
void core_gemm_pack(const float *w, int m, int k, float *packed);

/* Nonzero when this CPU runs kernel set @p isa. */
int core_gemm_usable(core_gemm_isa isa);

/* The fastest set this CPU runs that is not above @p at_most. */
core_gemm_isa core_gemm_best(core_gemm_isa at_most);

/* Nonzero when this CPU runs core_gemm_avx512 (AVX-512F). */
int core_gemm_avx512_usable(void);

/* C = act(W*B + bias) for packed W with kernel set @p isa, which
 * core_gemm_usable() must have accepted.  Bits (when out->bits and act is
 * not NONE) are OR-ed into a section the caller zeroed. */
void core_gemm_run(core_gemm_isa isa, const float *packed, int m, int n,
                   int k, const float *b, size_t ldb,
                   const core_gemm_out *out);

/* One panel of CORE_GEMM_MR rows from row @p m0 times columns j0 ..
 * j0+cols-1, stored through @p out: the unit a kernel set's driver calls. */
typedef void core_gemm_panel_fn(const float *packed, int m, int k,
                                const float *b, size_t ldb, int m0, int j0,
                                int cols, int n, const core_gemm_out *out);

/* The loop over panels and column blocks of @p nr columns shared by the
 * AVX2 and plain C sets: the larger operand streamed once in the outer
 * loop, the smaller one re-read from cache in the inner loop. */
void core_gemm_drive(core_gemm_panel_fn *panel, int nr, const float *packed,
                     int m, int n, int k, const float *b, size_t ldb,
                     const core_gemm_out *out);

/* The sets themselves (gemm_plain.c, gemm_avx2.c, gemm_avx512.c), same
 * contract as core_gemm_run(). */
void core_gemm_plain(const float *packed, int m, int n, int k,
                     const float *b, size_t ldb, const core_gemm_out *out);
void core_gemm_avx2(const float *packed, int m, int n, int k,
                    const float *b, size_t ldb, const core_gemm_out *out);
void core_gemm_avx512(const float *packed, int m, int n, int k,
                      const float *b, size_t ldb, const core_gemm_out *out);

#endif
