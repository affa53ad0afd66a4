/* epilogue_avx512.h -- what the AVX-512 GEMM tiles (gemm_avx512.c for
 * fp32, kernels/gemm_int8_avx512.c for int8) share: the column masks of a
 * tile and the store of one finished vector of pre-activations.  Internal;
 * include only from files whose callers enable AVX-512F. */
#ifndef CORE_EPILOGUE_AVX512_INTERNAL_H
#define CORE_EPILOGUE_AVX512_INTERNAL_H

#include "kernels/cpu_internal.h"
#include "net/network_internal.h"

#include <immintrin.h>

/* Masks of the @p nv vectors of 16 columns that cover @p cols columns. */
CORE_TARGET_AVX512 static inline void
core_tile_masks(int cols, int nv, __mmask16 *mask)
{
    for (int v = 0; v < nv; v++) {
        int left = cols - 16 * v;
        mask[v] = left >= 16 ? (__mmask16)0xffff
                  : left > 0 ? (__mmask16)((1u << left) - 1u)
                             : (__mmask16)0;
    }
}

/* Apply @p act to pre-activations @p x, store the columns of @p mask at
 * @p c and return the mask of those > 0 (the code bits). */
CORE_TARGET_AVX512 static inline __mmask16
core_tile_store(__m512 x, float *c, __mmask16 mask, core_act act, __m512 slope)
{
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    if (act == CORE_ACT_RELU)
        x = _mm512_maskz_mov_ps(pos, x);
    else if (act == CORE_ACT_LEAKY)
        x = _mm512_mask_blend_ps(pos, _mm512_mul_ps(x, slope), x);
    _mm512_mask_storeu_ps(c, mask, x);
    return pos & mask;
}

#endif
