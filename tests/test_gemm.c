/* test_gemm.c -- the fp32 convolution GEMMs (core/kernels/gemm_*.c: every
 * set this CPU runs, AVX-512, AVX2 + FMA and plain C) against a float64
 * triple loop written here, on shapes that hit every tile width and the
 * row/column tails: values, activation, code bits, a row stride wider than
 * N (Concat slices) that must stay untouched outside the result, and the
 * packing layout itself.  The AVX2 set must give the AVX-512 set's floats
 * and bits exactly (both chain fused multiply-adds over k from 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernels/gemm_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 987654321u;
static float rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0);
}

static void test_pack_layout(void **state)
{
    (void)state;
    const int m = 11, k = 5; /* two panels, the second with 5 zero rows */
    float w[11 * 5];
    for (int i = 0; i < m * k; i++)
        w[i] = (float)(i + 1);
    assert_int_equal(core_gemm_packed_floats(m, k), 16 * 5);
    float packed[16 * 5];
    core_gemm_pack(w, m, k, packed);
    for (int panel = 0; panel < 2; panel++)
        for (int p = 0; p < k; p++)
            for (int i = 0; i < CORE_GEMM_MR; i++) {
                int row = panel * CORE_GEMM_MR + i;
                float want = row < m ? w[row * k + p] : 0.0f;
                assert_true(packed[(panel * k + p) * CORE_GEMM_MR + i] == want);
            }
}

/* One product: M x K times K x N with row strides ldb >= N, ldc >= N, by
 * kernel set @p isa; its result and bits are left in @p keep_c and
 * @p keep_bits when not NULL, or compared with them when @p compare. */
static void check_shape_with(core_gemm_isa isa, int m, int n, int k,
                             core_act act, float *keep_c, uint8_t *keep_bits,
                             int compare)
{
    const size_t ldb = (size_t)n + 3, ldc = (size_t)n + 5;
    float *w = malloc(sizeof(float) * (size_t)m * k);
    float *b = malloc(sizeof(float) * (size_t)k * ldb);
    float *bias = malloc(sizeof(float) * (size_t)m);
    float *packed = malloc(sizeof(float) * core_gemm_packed_floats(m, k));
    float *c = malloc(sizeof(float) * (size_t)m * ldc);
    size_t bit_bytes = ((size_t)m * n + 7) / 8 + 64; /* + zero padding */
    uint8_t *bits = calloc(bit_bytes, 1);
    assert_true(w && b && bias && packed && c && bits);
    for (size_t i = 0; i < (size_t)m * k; i++)
        w[i] = rnd();
    for (size_t i = 0; i < (size_t)k * ldb; i++)
        b[i] = rnd();
    for (int i = 0; i < m; i++)
        bias[i] = 0.5f * rnd();
    for (size_t i = 0; i < (size_t)m * ldc; i++)
        c[i] = 1234.5f; /* sentinel outside the N columns */
    core_gemm_pack(w, m, k, packed);
    core_gemm_out out = {c, ldc, bias, act, 0.25f, bits};
    core_gemm_run(isa, packed, m, n, k, b, ldb, &out);
    const double tol = 1e-5 * k;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double sum = 0.0;
            for (int p = 0; p < k; p++)
                sum += (double)w[(size_t)i * k + p] * b[(size_t)p * ldb + j];
            double pre = sum + bias[i];
            double want = act == CORE_ACT_NONE ? pre
                          : pre > 0 ? pre
                          : act == CORE_ACT_LEAKY ? 0.25 * pre : 0.0;
            float got = c[(size_t)i * ldc + j];
            if (fabs(got - want) > tol)
                fail_msg("set %d %dx%dx%d act %d: c[%d][%d] = %g, want %g",
                         (int)isa, m, n, k, (int)act, i, j, got, want);
            size_t u = (size_t)i * n + j;
            unsigned bit = (bits[u / 8] >> (u % 8)) & 1u;
            if (act == CORE_ACT_NONE)
                assert_int_equal(bit, 0);
            else if (fabs(pre) > tol) /* ties at 0 may go either way */
                assert_int_equal(bit, pre > 0);
            if (act == CORE_ACT_RELU) /* bit and stored value agree */
                assert_int_equal(bit, got > 0.0f);
        }
        for (size_t j = (size_t)n; j < ldc; j++)
            assert_true(c[(size_t)i * ldc + j] == 1234.5f);
    }
    for (size_t u = (size_t)m * n; u < bit_bytes * 8; u++)
        assert_int_equal((bits[u / 8] >> (u % 8)) & 1u, 0);
    if (compare) {
        assert_memory_equal(c, keep_c, sizeof(float) * (size_t)m * ldc);
        assert_memory_equal(bits, keep_bits, bit_bytes);
    } else if (keep_c) {
        memcpy(keep_c, c, sizeof(float) * (size_t)m * ldc);
        memcpy(keep_bits, bits, bit_bytes);
    }
    free(w);
    free(b);
    free(bias);
    free(packed);
    free(c);
    free(bits);
}

/* The shape with every set this CPU runs, on the same operands (the
 * generator restarts), the AVX2 result compared with the AVX-512 one. */
static void check_shape(int m, int n, int k, core_act act)
{
    const size_t ldc = (size_t)n + 5;
    float *c512 = malloc(sizeof(float) * (size_t)m * ldc);
    uint8_t *bits512 = malloc(((size_t)m * n + 7) / 8 + 64);
    assert_true(c512 && bits512);
    const uint32_t seed = rng;
    const int have512 = core_gemm_usable(CORE_GEMM_AVX512);
    if (have512)
        check_shape_with(CORE_GEMM_AVX512, m, n, k, act, c512, bits512, 0);
    rng = seed;
    if (core_gemm_usable(CORE_GEMM_AVX2))
        check_shape_with(CORE_GEMM_AVX2, m, n, k, act, c512, bits512,
                         have512);
    rng = seed;
    check_shape_with(CORE_GEMM_PLAIN, m, n, k, act, NULL, NULL, 0);
    free(c512);
    free(bits512);
}

static void test_usable(void **state)
{
    (void)state;
    /* This machine's CPU decides: a set must be usable exactly when the
     * CPU reports its features (the library then relies on it), and the
     * best set is the highest usable one. */
    __builtin_cpu_init();
    const int avx512 = __builtin_cpu_supports("avx512f") != 0;
    const int avx2 = __builtin_cpu_supports("avx2") &&
                     __builtin_cpu_supports("fma");
    assert_int_equal(core_gemm_avx512_usable() != 0, avx512);
    assert_int_equal(core_gemm_usable(CORE_GEMM_AVX512) != 0, avx512);
    assert_int_equal(core_gemm_usable(CORE_GEMM_AVX2) != 0, avx2);
    assert_true(core_gemm_usable(CORE_GEMM_PLAIN));
    assert_int_equal(core_gemm_best(CORE_GEMM_AVX512),
                     avx512 ? CORE_GEMM_AVX512
                     : avx2 ? CORE_GEMM_AVX2 : CORE_GEMM_PLAIN);
    assert_int_equal(core_gemm_best(CORE_GEMM_AVX2),
                     avx2 ? CORE_GEMM_AVX2 : CORE_GEMM_PLAIN);
    assert_int_equal(core_gemm_best(CORE_GEMM_PLAIN), CORE_GEMM_PLAIN);
}

static void test_shapes(void **state)
{
    (void)state;
    static const int ms[] = {1, 3, 4, 5, 7, 8, 9, 12, 24, 33};
    static const int ns[] = {1,  5,  7,  8,  9,  15, 16, 17, 23, 24, 25,
                             31, 32, 33, 47, 48, 49, 97, 196};
    static const int ks[] = {1, 3, 16, 27};
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
            for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
                check_shape(ms[a], ns[b], ks[c], (core_act)((a + b + c) % 3));
    /* larger ones: both loop orders (weights larger than columns) */
    check_shape(200, 20, 300, CORE_ACT_RELU);
    check_shape(40, 300, 150, CORE_ACT_RELU);
    /* C rows 512 floats or more apart and B over 32 KB, which the vector
     * sets fetch ahead: both loop orders, a last column block and panel cut
     * short, and a single panel (it fetches every block itself) */
    check_shape(20, 600, 40, CORE_ACT_RELU);
    check_shape(600, 520, 20, CORE_ACT_LEAKY);
    check_shape(5, 700, 30, CORE_ACT_NONE);
    /* narrow last column blocks (1 to 4 columns) over more than one group
     * of 8 panels, the last group cut short: both loop orders */
    check_shape(70, 49, 20, CORE_ACT_RELU);
    check_shape(150, 196, 40, CORE_ACT_LEAKY);
    check_shape(130, 98, 10, CORE_ACT_RELU);
    check_shape(131, 3, 12, CORE_ACT_LEAKY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_layout),
        cmocka_unit_test(test_usable),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
