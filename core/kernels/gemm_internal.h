/* gemm_internal.h -- the convolution GEMM of the AVX-512 path: C = act(W*B + bias)
 * with the ReLU code bits written in the same pass.  Internal.
 *
 * W (M x K, row-major) is packed once at model load into panels of
 * CORE_GEMM_MR rows, k-major inside a panel, rows past M zero: the
 * micro-kernel then reads its weights as one sequential stream.  B is a
 * K x N row-major matrix at any address (the input blob or an im2col
 * buffer); C is M x N with row stride ldc (a blob or a Concat slice). */
#ifndef CORE_GEMM_INTERNAL_H
#define CORE_GEMM_INTERNAL_H

#include "net/layers_internal.h"

#include <stddef.h>
#include <stdint.h>

#define CORE_GEMM_MR 8

/* What happens to each finished tile before it is stored. */
typedef struct core_gemm_out {
    float *c;             /* M x N result */
    size_t ldc;
    const float *bias;    /* M entries, or NULL */
    core_act act;
    float slope;          /* CORE_ACT_LEAKY */
    uint8_t *bits;        /* NULL, or bit i*N + j set when pre-act > 0 */
} core_gemm_out;

/* Floats of a packed M x K weight matrix. */
size_t core_gemm_packed_floats(int m, int k);

/* Pack row-major @p w (M x K) into @p packed (core_gemm_packed_floats). */
void core_gemm_pack(const float *w, int m, int k, float *packed);

/* Nonzero when this CPU runs core_gemm_avx512 (AVX-512F). */
int core_gemm_avx512_usable(void);

/* C = act(W*B + bias) for packed W; only on CPUs where
 * core_gemm_avx512_usable().  Bits (when out->bits and act is not NONE)
 * are OR-ed into a section the caller zeroed. */
void core_gemm_avx512(const float *packed, int m, int n, int k,
                      const float *b, size_t ldb, const core_gemm_out *out);

#endif
