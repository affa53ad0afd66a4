/* test_winograd.c -- the Winograd F(2x2, 3x3) convolution
 * (core/net/winograd.c) against a direct float64 3x3 pad-1 convolution
 * written here, on odd and even sizes (partial 2x2 tiles at the right and
 * bottom), rows of more than 16 tiles (vector tails), several tile blocks,
 * channel counts off the 8-row panels, and every activation; the code bits
 * must match the sign of the reference pre-activation.  Every fp32 kernel
 * set this CPU runs (AVX-512, AVX2 + FMA, plain C) on the same data; the
 * AVX2 set must give the AVX-512 set's floats and bits exactly (the same
 * transforms and the same chains of fused multiply-adds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernels/gemm_internal.h"
#include "net/winograd_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 13579u;
static float rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / (double)(1u << 24) * 2.0 - 1.0);
}

static const core_gemm_isa sets[] = {CORE_GEMM_AVX512, CORE_GEMM_AVX2,
                                      CORE_GEMM_PLAIN};

static void check(int m, int c, int h, int w, core_act act)
{
    core_shape in = {c, h, w};
    const size_t plane = (size_t)h * w;
    float *wt = malloc(sizeof(float) * (size_t)m * c * 9);
    float *src = malloc(sizeof(float) * (size_t)c * plane);
    float *bias = malloc(sizeof(float) * (size_t)m);
    float *packed = malloc(sizeof(float) * core_winograd_packed_floats(m, c));
    float *ws = malloc(sizeof(float) * core_winograd_workspace(m, in));
    float *dst = malloc(sizeof(float) * ((size_t)m * plane + 16));
    size_t bit_bytes = ((size_t)m * plane + 7) / 8 + 64;
    uint8_t *bits = calloc(bit_bytes, 1);
    float *dst512 = malloc(sizeof(float) * (size_t)m * plane);
    uint8_t *bits512 = calloc(bit_bytes, 1);
    assert_true(wt && src && bias && packed && ws && dst && bits && dst512 &&
                bits512);
    for (size_t i = 0; i < (size_t)m * c * 9; i++)
        wt[i] = rnd();
    for (size_t i = 0; i < (size_t)c * plane; i++)
        src[i] = rnd();
    for (int i = 0; i < m; i++)
        bias[i] = 0.5f * rnd();
    core_winograd_pack(wt, m, c, packed);
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
    const core_gemm_isa isa = sets[s];
    if (!core_gemm_usable(isa))
        continue;
    for (size_t i = 0; i < (size_t)m * plane + 16; i++)
        dst[i] = 777.0f; /* sentinel after the output */
    memset(bits, 0, bit_bytes);
    core_gemm_out out = {dst, (size_t)w, bias, act, 0.125f, bits};
    core_winograd_run(isa, packed, m, in, src, &out, ws);
    const double tol = 1e-5 * 9 * c;
    for (int o = 0; o < m; o++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double pre = bias[o];
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = y + ky - 1, ix = x + kx - 1;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            pre += (double)wt[((size_t)o * c + ch) * 9 +
                                              ky * 3 + kx] *
                                   src[(size_t)ch * plane +
                                       (size_t)iy * w + ix];
                        }
                double want = act == CORE_ACT_NONE ? pre
                              : pre > 0 ? pre
                              : act == CORE_ACT_LEAKY ? 0.125 * pre : 0.0;
                size_t u = (size_t)o * plane + (size_t)y * w + x;
                if (fabs(dst[u] - want) > tol)
                    fail_msg("set %d m%d c%d %dx%d: out[%d][%d][%d] = %g, "
                             "want %g", (int)isa, m, c, h, w, o, y, x,
                             dst[u], want);
                unsigned bit = (bits[u / 8] >> (u % 8)) & 1u;
                if (act == CORE_ACT_NONE)
                    assert_int_equal(bit, 0);
                else if (fabs(pre) > tol)
                    assert_int_equal(bit, pre > 0);
            }
    for (size_t i = (size_t)m * plane; i < (size_t)m * plane + 16; i++)
        assert_true(dst[i] == 777.0f);
    for (size_t u = (size_t)m * plane; u < bit_bytes * 8; u++)
        assert_int_equal((bits[u / 8] >> (u % 8)) & 1u, 0);
    if (isa == CORE_GEMM_AVX512) {
        memcpy(dst512, dst, sizeof(float) * (size_t)m * plane);
        memcpy(bits512, bits, bit_bytes);
    } else if (isa == CORE_GEMM_AVX2 && core_gemm_usable(CORE_GEMM_AVX512)) {
        assert_memory_equal(dst, dst512, sizeof(float) * (size_t)m * plane);
        assert_memory_equal(bits, bits512, bit_bytes);
    }
    }
    free(dst512);
    free(bits512);
    free(wt);
    free(src);
    free(bias);
    free(packed);
    free(ws);
    free(dst);
    free(bits);
}

static void test_applies(void **state)
{
    (void)state;
    core_conv_desc c;
    memset(&c, 0, sizeof c);
    c.kw = c.kh = 3;
    c.sw = c.sh = c.dw = c.dh = 1;
    c.pad_l = c.pad_r = c.pad_t = c.pad_b = 1;
    assert_true(core_winograd_applies(&c));
    c.sw = 2;
    assert_false(core_winograd_applies(&c));
    c.sw = 1;
    c.pad_b = 0;
    assert_false(core_winograd_applies(&c));
    c.pad_b = 1;
    c.kw = 1;
    assert_false(core_winograd_applies(&c));
}

static void test_shapes(void **state)
{
    (void)state;
    static const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {3, 3}, {4, 5},
                                   {7, 7}, {14, 14}, {5, 33}, {9, 34},
                                   {13, 63}, {40, 3}, {56, 56}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        check(1 + (int)(i % 3) * 4, 1 + (int)i % 5, sizes[i][0], sizes[i][1],
              (core_act)(i % 3));
    check(24, 16, 14, 14, CORE_ACT_RELU);
    check(9, 20, 28, 28, CORE_ACT_RELU); /* several tile blocks */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_applies),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
