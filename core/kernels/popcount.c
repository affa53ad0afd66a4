/*
 * popcount.c -- maso_kernels_best() / maso_kernels_get(): which kernel set
 * this CPU can run.
 *
 * The sets are constant tables; the choice is made on every call from
 * core_cpu_supports() (kernels/cpu.c), so there is no mutable state of our
 * own and nothing to initialise.
 */
#include "kernels/cpu_internal.h"
#include "kernels/popcount_internal.h"
#include "maso.h"

#include <string.h>

static const maso_kernels kernels_vpopcntdq = {
    "avx512-vpopcntdq", core_vpopcntdq_xor_popcount,
    core_vpopcntdq_nibble_diff, core_avx512bw_byte_diff};
static const maso_kernels kernels_avx512bw = {
    "avx512bw", core_avx512bw_xor_popcount, core_avx512bw_nibble_diff,
    core_avx512bw_byte_diff};
static const maso_kernels kernels_avx2 = {
    "avx2", core_avx2_xor_popcount, core_avx2_nibble_diff,
    core_avx2_byte_diff};
static const maso_kernels kernels_scalar = {
    "scalar", core_scalar_xor_popcount, core_scalar_nibble_diff,
    core_scalar_byte_diff};

/* Fastest first. */
static const maso_kernels *const kernel_sets[] = {
    &kernels_vpopcntdq, &kernels_avx512bw, &kernels_avx2, &kernels_scalar};

static int cpu_runs(const maso_kernels *k)
{
    if (k == &kernels_vpopcntdq) /* byte_diff comes from the BW set */
        return core_cpu_supports(CORE_CPU_AVX512F | CORE_CPU_AVX512BW |
                                 CORE_CPU_AVX512VPOPCNTDQ);
    if (k == &kernels_avx512bw)
        return core_cpu_supports(CORE_CPU_AVX512F | CORE_CPU_AVX512BW);
    if (k == &kernels_avx2)
        return core_cpu_supports(CORE_CPU_AVX2);
    return 1;
}

const maso_kernels *maso_kernels_best(void)
{
    size_t n = sizeof kernel_sets / sizeof kernel_sets[0];
    for (size_t i = 0; i < n; i++)
        if (cpu_runs(kernel_sets[i]))
            return kernel_sets[i];
    return &kernels_scalar;
}

const maso_kernels *maso_kernels_get(const char *name)
{
    if (name == NULL)
        return NULL;
    size_t n = sizeof kernel_sets / sizeof kernel_sets[0];
    for (size_t i = 0; i < n; i++)
        if (strcmp(kernel_sets[i]->name, name) == 0)
            return cpu_runs(kernel_sets[i]) ? kernel_sets[i] : NULL;
    return NULL;
}
