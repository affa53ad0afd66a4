/*
 * cpu_internal.h -- which instruction sets this CPU runs: the one place of
 * libmaso where run-time dispatch asks the CPU.  Internal to libmaso.
 *
 * One ISA-dispatch style for every kernel of core (and search/, which
 * follows it): vector code is written in ordinary files, each function
 * enabling its instruction set with a target attribute
 * (__attribute__((target("avx2"))), CORE_TARGET_* below), and it is called
 * only after core_cpu_supports() said yes.  No file is compiled with -m
 * flags.  Why not per-file flags (ncnn, libvips): a file built with -mavx512f
 * lets the compiler use AVX-512 in *every* function of it, including
 * inline functions of shared headers (layers_internal.h's bit helpers, the
 * libc string builtins), whose out-of-line copies the linker may then pick
 * for callers on older CPUs; a target attribute confines the instruction
 * set to the functions that carry it, beside their scalar twin in the
 * same file, so one concept stays one file.
 */
#ifndef CORE_CPU_INTERNAL_H
#define CORE_CPU_INTERNAL_H

/* Instruction-set extensions, as a bit set. */
enum {
    CORE_CPU_AVX2 = 1u << 0,
    CORE_CPU_AVX512F = 1u << 1,
    CORE_CPU_AVX512BW = 1u << 2,
    CORE_CPU_AVX512DQ = 1u << 3,
    CORE_CPU_AVX512VPOPCNTDQ = 1u << 4,
    CORE_CPU_AVX512VL = 1u << 5,
    CORE_CPU_AVX512VNNI = 1u << 6,
    CORE_CPU_AVXVNNI = 1u << 7,   /* the VEX (256-bit, non-AVX-512) VNNI */
    CORE_CPU_FMA = 1u << 8        /* FMA3: fused multiply-add on 256 bits */
};

/* Nonzero when this CPU (and its OS, which must save the registers) runs
 * every extension in @p features.  Reads the CPUID results libgcc cached at
 * start-up: no state of our own, safe from any thread, cheap. */
int core_cpu_supports(unsigned features);

#define CORE_TARGET_AVX2 __attribute__((target("avx2")))
#define CORE_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
#define CORE_TARGET_AVX512 __attribute__((target("avx512f")))
#define CORE_TARGET_AVX512BW __attribute__((target("avx512f,avx512bw")))
#define CORE_TARGET_AVX512DQ __attribute__((target("avx512f,avx512dq")))
#define CORE_TARGET_VPOPCNTDQ \
    __attribute__((target("avx512f,avx512bw,avx512vpopcntdq")))
#define CORE_TARGET_AVX512VNNI \
    __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define CORE_TARGET_AVXVNNI __attribute__((target("avx2,avxvnni")))
#define CORE_TARGET_AVX512VNNI_VL \
    __attribute__((target("avx2,avx512vnni,avx512vl")))

#endif
