/* fp16.c -- IEEE 754 binary16 to binary32, for fp16 weights in ncnn .bin
 * files.  Exact for every input: normals, subnormals, zeros, inf, NaN.
 *
 * A whole array (SqueezeNet's 1.2 million weights at every start) goes
 * through the F16C conversion, 8 values an instruction, where the CPU has
 * it: it is exact too, and gives the same bits as the scalar code for
 * every value but NaN (whose payload it may quieten), so a group of 8
 * holding an infinity or a NaN is left to the scalar code. */
#include "net/network_internal.h"

#include <string.h>

float core_fp16_to_fp32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf, NaN (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13); /* rebias 15 -> 127 */
    } else if (man == 0) {
        bits = sign; /* signed zero */
    } else {
        /* Subnormal: value = man * 2^-24; normalise the mantissa. */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t load_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static size_t convert_scalar(const unsigned char *src, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = core_fp16_to_fp32(load_le16(src + 2 * i));
    return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#include "kernels/cpu_internal.h"

/* The groups of 8 without an infinity or NaN; returns how many values it
 * converted (a multiple of 8, up to the first group it left). */
__attribute__((target("avx2,f16c"))) static size_t
convert_f16c(const unsigned char *src, size_t n, float *dst)
{
    const __m128i exp = _mm_set1_epi16(0x7c00);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(src + 2 * i));
        __m128i special = _mm_cmpeq_epi16(_mm_and_si128(h, exp), exp);
        if (!_mm_testz_si128(special, special))
            break;
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    return i;
}

/* F16C (CPUID.1:ECX bit 29) beside AVX2, whose check includes the
 * operating system's saving of the YMM registers (kernels/cpu.c).  Not
 * __builtin_cpu_supports("f16c"): clang 14 does not know the name. */
static int f16c_usable(void)
{
    unsigned a, b, c, d;
    return core_cpu_supports(CORE_CPU_AVX2) && __get_cpuid(1, &a, &b, &c, &d) &&
           (c & bit_F16C) != 0;
}
#endif

void core_fp16_to_fp32_array(const unsigned char *src, size_t n, float *dst,
                             int vector)
{
    size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (vector && f16c_usable())
        while (i < n) {
            size_t done = convert_f16c(src + 2 * i, n - i, dst + i);
            i += done;
            /* a group with a special value, or the tail: scalar */
            size_t k = n - i < 8 ? n - i : 8;
            i += convert_scalar(src + 2 * i, k, dst + i);
        }
#else
    (void)vector;
#endif
    convert_scalar(src + 2 * i, n - i, dst + i);
}
