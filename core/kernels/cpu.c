/*
 * cpu.c -- core_cpu_supports(): the instruction sets this CPU runs, asked
 * in one place for every kernel (see cpu_internal.h for the dispatch style).
 *
 * __builtin_cpu_supports() reads the CPUID results libgcc cached at start-up
 * and already checks that the OS saves the AVX / AVX-512 registers, so there
 * is no mutable state of our own and nothing to initialise.
 */
#include "kernels/cpu_internal.h"

#include <cpuid.h>

/* AVX-VNNI: CPUID leaf 7 subleaf 1, EAX bit 4 (clang's
 * __builtin_cpu_supports() does not know the name).  Its registers are
 * AVX's, whose OS support the AVX2 check covers. */
static int has_avx_vnni(void)
{
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__builtin_cpu_supports("avx2") ||
        !__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
        return 0;
    return (eax >> 4) & 1u;
}

int core_cpu_supports(unsigned features)
{
    __builtin_cpu_init(); /* idempotent; a model may load before main() */
    if ((features & CORE_CPU_AVX2) && !__builtin_cpu_supports("avx2"))
        return 0;
    if ((features & CORE_CPU_FMA) && !__builtin_cpu_supports("fma"))
        return 0;
    if ((features & CORE_CPU_AVX512F) && !__builtin_cpu_supports("avx512f"))
        return 0;
    if ((features & CORE_CPU_AVX512BW) && !__builtin_cpu_supports("avx512bw"))
        return 0;
    if ((features & CORE_CPU_AVX512DQ) && !__builtin_cpu_supports("avx512dq"))
        return 0;
    if ((features & CORE_CPU_AVX512VPOPCNTDQ) &&
        !__builtin_cpu_supports("avx512vpopcntdq"))
        return 0;
    if ((features & CORE_CPU_AVX512VL) && !__builtin_cpu_supports("avx512vl"))
        return 0;
    if ((features & CORE_CPU_AVX512VNNI) &&
        !__builtin_cpu_supports("avx512vnni"))
        return 0;
    if ((features & CORE_CPU_AVXVNNI) && !has_avx_vnni())
        return 0;
    return 1;
}
