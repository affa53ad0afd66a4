/* gemm.c -- what the fp32 GEMM kernel sets share (see gemm_internal.h):
 * the packed weight layout and the choice of a set for this CPU. */
#include "kernels/cpu_internal.h"
#include "kernels/gemm_internal.h"

#define MR CORE_GEMM_MR

size_t core_gemm_packed_floats(int m, int k)
{
    return (size_t)((m + MR - 1) / MR) * MR * (size_t)k;
}

void core_gemm_pack(const float *w, int m, int k, float *packed)
{
    for (int m0 = 0; m0 < m; m0 += MR) {
        float *panel = packed + (size_t)m0 * k;
        for (int p = 0; p < k; p++)
            for (int i = 0; i < MR; i++)
                panel[(size_t)p * MR + i] =
                    m0 + i < m ? w[(size_t)(m0 + i) * k + p] : 0.0f;
    }
}

void core_gemm_drive(core_gemm_panel_fn *panel, int nr, const float *packed,
                     int m, int n, int k, const float *b, size_t ldb,
                     const core_gemm_out *out)
{
    /* Weights larger than the columns: stream the weights once. */
    if ((size_t)m * k > (size_t)k * n) {
        for (int m0 = 0; m0 < m; m0 += MR)
            for (int j0 = 0; j0 < n; j0 += nr)
                panel(packed, m, k, b, ldb, m0, j0,
                      n - j0 < nr ? n - j0 : nr, n, out);
    } else {
        for (int j0 = 0; j0 < n; j0 += nr)
            for (int m0 = 0; m0 < m; m0 += MR)
                panel(packed, m, k, b, ldb, m0, j0,
                      n - j0 < nr ? n - j0 : nr, n, out);
    }
}

int core_gemm_usable(core_gemm_isa isa)
{
    switch (isa) {
    case CORE_GEMM_AVX512:
        return core_cpu_supports(CORE_CPU_AVX512F);
    case CORE_GEMM_AVX2:
        return core_cpu_supports(CORE_CPU_AVX2 | CORE_CPU_FMA);
    case CORE_GEMM_PLAIN:
        return 1;
    }
    return 0;
}

core_gemm_isa core_gemm_best(core_gemm_isa at_most)
{
    while (at_most > CORE_GEMM_PLAIN && !core_gemm_usable(at_most))
        at_most = (core_gemm_isa)(at_most - 1);
    return at_most;
}

int core_gemm_avx512_usable(void)
{
    return core_gemm_usable(CORE_GEMM_AVX512);
}

void core_gemm_run(core_gemm_isa isa, const float *packed, int m, int n,
                   int k, const float *b, size_t ldb,
                   const core_gemm_out *out)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (isa == CORE_GEMM_AVX512) {
        core_gemm_avx512(packed, m, n, k, b, ldb, out);
        return;
    }
    if (isa == CORE_GEMM_AVX2) {
        core_gemm_avx2(packed, m, n, k, b, ldb, out);
        return;
    }
#else
    (void)isa;
#endif
    core_gemm_plain(packed, m, n, k, b, ldb, out);
}
