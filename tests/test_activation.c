/* test_activation.c -- bias, ReLU / leaky ReLU and the code bits of
 * core/net/activation.c on every vector path this CPU has (plain C always,
 * AVX2 and AVX-512 where reported) against a one-unit-at-a-time reference
 * written here.  Plane sizes 1..200 put the 64-unit chunks at every bit
 * offset and leave tails of every length; inputs include exact zeros after
 * the bias (must give bit 0 and +0), negatives and NaN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/layers_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 20261128u;
static float rnd_value(void)
{
    rng = rng * 1664525u + 1013904223u;
    unsigned r = rng >> 20;
    if (r % 17 == 0)
        return -0.5f; /* cancels the bias 0.5 below: exactly 0 */
    if (r % 53 == 0)
        return NAN;
    return ((float)(r % 2001) - 1000.0f) / 250.0f;
}

static void check(size_t plane, core_act act, core_simd simd, int in_place)
{
    const int channels = 3;
    const float slope = 0.125f;
    const float bias[3] = {0.5f, -1.25f, 0.0f};
    const size_t n = (size_t)channels * plane;
    const size_t code_bytes = ((n + 63) / 64 + 1) * 8;
    float *src = malloc(sizeof(float) * n);
    float *dst = malloc(sizeof(float) * n);
    uint8_t *bits = calloc(code_bytes, 1);
    assert_true(src && dst && bits);
    for (size_t i = 0; i < n; i++)
        src[i] = rnd_value();
    float *out = dst;
    if (in_place) {
        memcpy(dst, src, sizeof(float) * n);
        core_act_apply(dst, dst, channels, plane, bias, act, slope, bits,
                       simd);
    } else {
        core_act_apply(dst, src, channels, plane, bias, act, slope, bits,
                       simd);
    }
    for (int c = 0; c < channels; c++)
        for (size_t i = 0; i < plane; i++) {
            size_t u = (size_t)c * plane + i;
            float pre = src[u] + bias[c];
            int on = pre > 0.0f;
            float want = on ? pre : (act == CORE_ACT_LEAKY ? pre * slope : 0.0f);
            int bit = (bits[u / 8] >> (u % 8)) & 1;
            int same = isnan(want) ? isnan(out[u])
                                   : memcmp(&want, &out[u], sizeof want) == 0;
            if (!same || bit != on)
                fail_msg("plane %zu act %d simd %d in-place %d unit %zu: "
                         "%g bit %d, want %g bit %d", plane, (int)act,
                         (int)simd, in_place, u, out[u], bit, want, on);
        }
    for (size_t u = n; u < code_bytes * 8; u++) /* nothing past the units */
        assert_int_equal((bits[u / 8] >> (u % 8)) & 1, 0);
    free(src);
    free(dst);
    free(bits);
}

static int levels(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return CORE_SIMD_AVX512;
    return __builtin_cpu_supports("avx2") ? CORE_SIMD_AVX2 : CORE_SIMD_NONE;
}

static void test_relu_bits_every_path(void **state)
{
    (void)state;
    for (int simd = CORE_SIMD_NONE; simd <= levels(); simd++)
        for (size_t plane = 1; plane <= 200; plane++)
            for (int in_place = 0; in_place < 2; in_place++) {
                check(plane, CORE_ACT_RELU, (core_simd)simd, in_place);
                check(plane, CORE_ACT_LEAKY, (core_simd)simd, in_place);
            }
}

/* SqueezeNet-sized planes (conv1: 113x113, fire: 55x55, conv10: 15x15). */
static void test_relu_bits_network_planes(void **state)
{
    (void)state;
    const size_t planes[] = {113 * 113, 55 * 55, 27 * 27, 15 * 15, 13 * 13};
    for (int simd = CORE_SIMD_NONE; simd <= levels(); simd++)
        for (size_t k = 0; k < sizeof planes / sizeof planes[0]; k++)
            check(planes[k], CORE_ACT_RELU, (core_simd)simd, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu_bits_every_path),
        cmocka_unit_test(test_relu_bits_network_planes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
