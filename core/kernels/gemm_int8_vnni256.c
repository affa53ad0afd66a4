/* gemm_int8_vnni256.c -- the int8 GEMM with 256-bit VNNI dot products
 * (vpdpbusd on ymm registers; see gemm_int8.h), for CPUs without AVX-512
 * that have AVX-VNNI (Intel since Alder Lake, AMD since Zen 5: most recent
 * laptops).
 *
 * The kernel (gemm_int8_vnni256.inc) is compiled twice: once with AVX-VNNI's
 * VEX encoding of vpdpbusd, the one laptops run, and once with AVX-512
 * VNNI's EVEX encoding of the same 256-bit instruction, which CPUs with
 * AVX-512 VNNI and VL run (this is how the tests check the kernel's logic on
 * a machine without AVX-VNNI; the two differ in nothing but the encoding).
 * core_gemm8_vnni256() takes the VEX one where the CPU has AVX-VNNI. */
#include "kernels/gemm_int8_internal.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include "kernels/cpu_internal.h"
#include "kernels/epilogue_avx2_internal.h"
#include "net/layers_internal.h"

#include <immintrin.h>
#include <string.h>

#define MR CORE_GEMM8_MR

#define VNNI256_TARGET CORE_TARGET_AVXVNNI
#define VNNI256_DPBUSD _mm256_dpbusd_avx_epi32
#define VNNI256_NAME vnni256_vex
#include "gemm_int8_vnni256.inc"
#undef VNNI256_TARGET
#undef VNNI256_DPBUSD
#undef VNNI256_NAME

#define VNNI256_TARGET CORE_TARGET_AVX512VNNI_VL
#define VNNI256_DPBUSD _mm256_dpbusd_epi32
#define VNNI256_NAME vnni256_evex
#include "gemm_int8_vnni256.inc"

int core_gemm8_vnni256_usable(void)
{
    return core_cpu_supports(CORE_CPU_AVXVNNI) ||
           core_cpu_supports(CORE_CPU_AVX512VNNI | CORE_CPU_AVX512VL);
}

void core_gemm8_vnni256(const core_gemm8_args *a, const core_gemm_out *out)
{
    if (core_cpu_supports(CORE_CPU_AVXVNNI))
        vnni256_vex(a, out);
    else
        vnni256_evex(a, out);
}
#endif
