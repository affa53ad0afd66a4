/* activation.c -- bias, (leaky) ReLU and the ReLU code bits in one pass
 * over a convolution's output, so the data is touched once after the GEMM.
 *
 * Bits are gathered 64 at a time in a register and OR-ed into the code at
 * their (unaligned) bit position: channel planes need not be multiples of 8.
 * On x86-64 with AVX-512 a compare-into-mask does 16 units per
 * instruction, with AVX2 a compare and a movemask 8; chosen at run time
 * (core_simd level), results identical to the scalar path (same float add,
 * same strict > 0 test, +0 for the units cut off).  The scalar loop is
 * the fallback for any CPU and the tail of every plane. */
#include "kernels/cpu_internal.h"
#include "net/layers_internal.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "activation.c packs bits through little-endian 64-bit words"
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#define ACT_HAVE_X86 1
#include <immintrin.h>
#endif

/* Up to 64 units; returns their bits. */
static uint64_t chunk_scalar(float *d, const float *s, size_t n, float b,
                             core_act act, float slope)
{
    uint64_t word = 0;
    for (size_t j = 0; j < n; j++) {
        float v = s[j] + b;
        word |= (uint64_t)(v > 0.0f) << j;
        d[j] = v > 0.0f ? v : (act == CORE_ACT_LEAKY ? v * slope : 0.0f);
    }
    return word;
}

#ifdef ACT_HAVE_X86
CORE_TARGET_AVX512
static size_t plane_avx512(float *d, const float *s, size_t plane, float b,
                           core_act act, float slope, uint8_t *bits,
                           size_t pos)
{
    const __m512 vb = _mm512_set1_ps(b), zero = _mm512_setzero_ps();
    const __m512 vs = _mm512_set1_ps(slope);
    size_t i = 0;
    for (; i + 64 <= plane; i += 64) {
        uint64_t word = 0;
        for (int q = 0; q < 4; q++) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(s + i + 16 * q), vb);
            __mmask16 m = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
            __m512 r = act == CORE_ACT_LEAKY
                           ? _mm512_mask_blend_ps(m, _mm512_mul_ps(v, vs), v)
                           : _mm512_maskz_mov_ps(m, v);
            _mm512_storeu_ps(d + i + 16 * q, r);
            word |= (uint64_t)m << (16 * q);
        }
        if (bits)
            core_bits_put(bits, pos + i, word, 64);
    }
    return i;
}

/* The AVX2 twin of plane_avx512(): AND with the compare mask keeps v or
 * gives +0 (what the scalar code stores for a cut unit, NaN included). */
CORE_TARGET_AVX2
static size_t plane_avx2(float *d, const float *s, size_t plane, float b,
                         core_act act, float slope, uint8_t *bits, size_t pos)
{
    const __m256 vb = _mm256_set1_ps(b), zero = _mm256_setzero_ps();
    const __m256 vs = _mm256_set1_ps(slope);
    size_t i = 0;
    for (; i + 64 <= plane; i += 64) {
        uint64_t word = 0;
        for (int q = 0; q < 8; q++) {
            __m256 v = _mm256_add_ps(_mm256_loadu_ps(s + i + 8 * q), vb);
            __m256 m = _mm256_cmp_ps(v, zero, _CMP_GT_OQ);
            __m256 r = act == CORE_ACT_LEAKY
                           ? _mm256_blendv_ps(_mm256_mul_ps(v, vs), v, m)
                           : _mm256_and_ps(v, m);
            _mm256_storeu_ps(d + i + 8 * q, r);
            word |= (uint64_t)(unsigned)_mm256_movemask_ps(m) << (8 * q);
        }
        if (bits)
            core_bits_put(bits, pos + i, word, 64);
    }
    return i;
}
#endif

void core_act_apply(float *dst, const float *src, int channels, size_t plane,
                    const float *bias, core_act act, float slope,
                    uint8_t *bits, core_simd simd)
{
    if (act == CORE_ACT_NONE) {
        for (int c = 0; c < channels; c++) {
            const float b = bias ? bias[c] : 0.0f;
            for (size_t i = 0; i < plane; i++)
                dst[(size_t)c * plane + i] = src[(size_t)c * plane + i] + b;
        }
        return;
    }
    size_t pos = 0;
    for (int c = 0; c < channels; c++, pos += plane) {
        const float b = bias ? bias[c] : 0.0f;
        const float *s = src + (size_t)c * plane;
        float *d = dst + (size_t)c * plane;
        size_t i = 0;
#ifdef ACT_HAVE_X86
        if (simd >= CORE_SIMD_AVX512)
            i = plane_avx512(d, s, plane, b, act, slope, bits, pos);
        else if (simd >= CORE_SIMD_AVX2)
            i = plane_avx2(d, s, plane, b, act, slope, bits, pos);
#endif
        for (; i < plane; i += 64) {
            size_t n = plane - i < 64 ? plane - i : 64;
            uint64_t word = chunk_scalar(d + i, s + i, n, b, act, slope);
            if (bits)
                core_bits_put(bits, pos + i, word, n);
        }
    }
}
