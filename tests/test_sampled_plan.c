/* test_sampled_plan.c -- the sampled fp32 1x1 convolution of the vector
 * kernel sets (core/net/sampled_plan.c) against the whole convolution
 * (core_conv_run(), the GEMM), bit for bit, on a padded 1x1 layer of odd
 * sizes (more units per pixel than a group holds, border units, a last
 * pair with one group), with weights that are exact IEEE halves (the
 * AVX-512 set keeps them as halves) and weights that are not (floats),
 * all units and a subset.  The biases cancel the sum of one pixel per
 * channel exactly, as the GEMM's chain of fused multiply-adds gives it
 * (fmaf over k in order from 0): a sampled run that summed in any other
 * order would leave a few ulps there and set bits the whole run does not.
 * Each kernel set this CPU runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernels/gemm_internal.h"
#include "net/layers_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { M = 21, K = 37, H = 5, W = 7 };

static uint32_t rng = 24680u;
static float rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0);
}

static int bit(const uint8_t *bits, size_t i)
{
    return bits[i / 8] >> (i % 8) & 1;
}

/* The plan's bytes for these units, after checking its bits. */
static size_t check(core_gemm_isa isa, int halves, size_t every)
{
    const core_shape in = {K, H, W}, out = {M, H + 2, W + 2};
    const size_t plane = (size_t)H * W, oplane = (size_t)out.h * out.w;
    float *wt = malloc(sizeof(float) * M * K);
    float *packed = malloc(sizeof(float) * core_gemm_packed_floats(M, K));
    float *bias = malloc(sizeof(float) * M);
    float *src = malloc(sizeof(float) * K * plane);
    float *dst = malloc(sizeof(float) * M * oplane);
    const size_t bit_bytes = (M * oplane + 7) / 8 + 8;
    uint8_t *whole = calloc(bit_bytes, 1), *sampled = calloc(bit_bytes, 1);
    uint32_t *units = malloc(sizeof(uint32_t) * M * oplane);
    assert_true(wt && packed && bias && src && dst && whole && sampled &&
                units);
    for (size_t i = 0; i < (size_t)M * K; i++) /* k/256: exact halves */
        wt[i] = halves ? (float)(int)(rnd() * 256.0f) / 256.0f : rnd();
    for (size_t i = 0; i < (size_t)K * plane; i++)
        src[i] = i % 11 == 0 ? 0.0f : rnd();
    for (int m = 0; m < M; m++) { /* the chain's sum at pixel m % plane */
        float acc = 0.0f;
        for (int q = 0; q < K; q++)
            acc = fmaf(wt[m * K + q], src[(size_t)q * plane + m % plane], acc);
        bias[m] = m % 3 == 2 ? 0.25f * rnd() : -acc;
    }
    core_gemm_pack(wt, M, K, packed);
    core_conv_desc c;
    memset(&c, 0, sizeof c);
    c.num_output = M;
    c.kw = c.kh = c.dw = c.dh = c.sw = c.sh = 1;
    c.pad_l = c.pad_r = c.pad_t = c.pad_b = 1;
    c.act = CORE_ACT_RELU;
    c.weight_count = M * K;
    c.bias_term = 1;
    c.weight = wt;
    c.bias = bias;
    c.packed = packed;
    c.gemm = isa;
    c.simd = isa == CORE_GEMM_AVX512 ? CORE_SIMD_AVX512 : CORE_SIMD_AVX2;
    assert_true(core_conv_sampled_supported(&c, out));
    const size_t ws_floats = core_conv_workspace(&c, in, out) + 16;
    float *ws = malloc(sizeof(float) * ws_floats);
    assert_non_null(ws);
    core_conv_run(&c, in, src, out, dst, ws, whole);
    size_t n = 0;
    for (size_t u = 0; u < (size_t)M * oplane; u += every)
        units[n++] = (uint32_t)u;
    core_sample_plan *plan = NULL;
    assert_int_equal(core_sample_plan_create(&c, in, out, units, n, &plan), 0);
    assert_non_null(plan);
    core_conv_run_sampled(&c, in, src, out, ws, ws_floats * sizeof(float),
                          units, n, plan, sampled);
    for (size_t u = 0; u < (size_t)M * oplane; u++) {
        const int want = u % every == 0 ? bit(whole, u) : 0;
        if (bit(sampled, u) != want)
            fail_msg("isa %d, %s weights, every %zu: unit %zu (channel %zu, "
                     "pixel %zu): sampled bit %d, whole run %d", (int)isa,
                     halves ? "half" : "float", every, u, u / oplane,
                     u % oplane, bit(sampled, u), want);
    }
    /* the cancelled pixels: exactly 0, no bit */
    for (int m = 0; m < M; m++)
        if (m % 3 != 2) {
            const size_t p = (size_t)(m % plane);
            const size_t u = (size_t)m * oplane +
                             (p / W + 1) * (size_t)out.w + p % W + 1;
            assert_int_equal(bit(whole, u), 0);
        }
    const size_t bytes = core_sample_plan_bytes(plan);
    core_sample_plan_destroy(plan);
    free(ws);
    free(wt);
    free(packed);
    free(bias);
    free(src);
    free(dst);
    free(whole);
    free(sampled);
    free(units);
    return bytes;
}

static void test_sets(void **state)
{
    (void)state;
    const core_gemm_isa sets[] = {CORE_GEMM_AVX512, CORE_GEMM_AVX2};
    int ran = 0;
    for (size_t s = 0; s < 2; s++) {
        if (!core_gemm_usable(sets[s]))
            continue;
        ran++;
        for (size_t every = 1; every <= 3; every += 2) {
            const size_t half = check(sets[s], 1, every);
            const size_t full = check(sets[s], 0, every);
            /* AVX-512 keeps exact halves as halves, else floats */
            assert_int_equal(half * (sets[s] == CORE_GEMM_AVX512 ? 2 : 1),
                             full);
            assert_true(full > 0);
        }
    }
#if defined(__x86_64__)
    assert_true(ran > 0); /* every x86-64 CPU CI runs on has AVX2 */
#else
    (void)ran; /* no vector set: the plain C loop (test_network_int8) */
#endif
}

/* No plan for the plain C set or an int8 layer. */
static void test_no_plan(void **state)
{
    (void)state;
    core_conv_desc c;
    memset(&c, 0, sizeof c);
    float packed[8] = {0};
    int8_t q[4] = {0};
    const core_shape in = {1, 1, 1}, out = {1, 3, 3};
    const uint32_t units[1] = {4};
    c.num_output = 1;
    c.packed = packed;
    c.gemm = CORE_GEMM_PLAIN;
    core_sample_plan *plan = (core_sample_plan *)&c;
    assert_int_equal(core_sample_plan_create(&c, in, out, units, 1, &plan), 0);
    assert_null(plan);
    c.gemm = CORE_GEMM_AVX2;
    c.packed = NULL;
    c.qweight = q;
    plan = (core_sample_plan *)&c;
    assert_int_equal(core_sample_plan_create(&c, in, out, units, 1, &plan), 0);
    assert_null(plan);
    core_sample_plan_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_no_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
