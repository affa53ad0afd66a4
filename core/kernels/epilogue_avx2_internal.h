/* epilogue_avx2.h -- the int8 GEMM epilogue of 8 columns in 256-bit
 * registers, shared by the AVX2 and the 256-bit VNNI kernel sets: the
 * same operations as core_gemm8_finish() (convert, multiply by the row's
 * scale, add the bias, test > 0, activation), in the same order.
 * Internal; include only from files whose callers enable AVX2. */
#ifndef CORE_EPILOGUE_AVX2_INTERNAL_H
#define CORE_EPILOGUE_AVX2_INTERNAL_H

#include "kernels/cpu_internal.h"
#include "kernels/gemm_int8_internal.h"

#include <immintrin.h>

/* Store row @p row's 8 sums @p sum at columns j0 .. j0+7 (all inside the
 * row) and return their code bits (bit j: column j0+j > 0). */
CORE_TARGET_AVX2 static inline unsigned
core_finish8_avx2(const core_gemm8_args *a, const core_gemm_out *out,
                  int row, int j0, __m256i sum)
{
    const __m256 scale = _mm256_set1_ps(a->w_scale[row] * a->b_scale);
    const __m256 bias = _mm256_set1_ps(out->bias ? out->bias[row] : 0.0f);
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), scale);
    y = _mm256_add_ps(y, bias);
    const __m256 pos = _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ);
    if (out->act == CORE_ACT_RELU)
        y = _mm256_and_ps(y, pos);
    else if (out->act == CORE_ACT_LEAKY)
        y = _mm256_blendv_ps(_mm256_mul_ps(y, _mm256_set1_ps(out->slope)),
                             y, pos);
    _mm256_storeu_ps(out->c + (size_t)row * out->ldc + j0, y);
    return (unsigned)_mm256_movemask_ps(pos);
}

#endif
