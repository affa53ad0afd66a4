/*
 * cpu.c -- core_cpu_supports(): the instruction sets this CPU runs, asked
 * in one place for every kernel (see cpu_internal.h for the dispatch style).
 *
 * __builtin_cpu_supports() reads the CPUID results libgcc cached at start-up
 * and already checks that the OS saves the AVX / AVX-512 registers, so there
 * is no mutable state of our own and nothing to initialise.
 */
#include "kernels/cpu_internal.h"

int core_cpu_supports(unsigned features)
{
    __builtin_cpu_init(); /* idempotent; a model may load before main() */
    if ((features & CORE_CPU_AVX2) && !__builtin_cpu_supports("avx2"))
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
    if ((features & CORE_CPU_AVXVNNI) && !__builtin_cpu_supports("avxvnni"))
        return 0;
    return 1;
}
