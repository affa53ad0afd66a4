/* test_pool.c -- 3x3 stride-2 max pooling (the plain C path of
 * core/net/pool.c, and its AVX2 and AVX-512 paths on CPUs that have them) against a brute-force reference
 * written here: every width from 3 to 41 (row tails of 1..16 windows),
 * heights with ceil-mode windows cut at the bottom and right, and inputs
 * with many ties and -inf inputs (first maximum in row-major order must
 * win), NaN inputs (skipped as the row-major scan skips them, unless one
 * starts a window), and padded windows; the AVX-512 path's block of inner
 * windows (SqueezeNet's 55- and 27-wide pools) and its edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "net/layers_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 424242u;
/* 0..4 (plenty of ties), -inf, and with @p nans, NaN about one in 8 */
static float rnd_small(int nans)
{
    rng = rng * 1664525u + 1013904223u;
    unsigned r = (rng >> 24) % (nans ? 8 : 6);
    return r == 5 ? -INFINITY : r > 5 ? NAN : (float)r;
}

static int out_size(int in, int pad, int ceil_mode)
{
    int span = in + 2 * pad - 3;
    return (ceil_mode ? (span + 1) / 2 : span / 2) + 1;
}

static void check_padded(int h, int w, int ceil_mode, int simd, int pad,
                         int nans)
{
    const int c = 3;
    core_pool_desc p = {.max = 1, .k = 3, .s = 2, .ceil_mode = ceil_mode,
                        .pad_l = pad, .pad_r = pad, .pad_t = pad,
                        .pad_b = pad, .simd = (core_simd)simd};
    core_shape in = {c, h, w};
    core_shape out = {c, out_size(h, pad, ceil_mode),
                      out_size(w, pad, ceil_mode)};
    size_t units = (size_t)c * out.h * out.w;
    float *src = malloc(sizeof(float) * (size_t)c * h * w);
    float *dst = malloc(sizeof(float) * units);
    uint8_t *code = calloc(units + 64, 1), *nibbles = calloc(units + 64, 1);
    assert_true(src && dst && code && nibbles);
    for (size_t i = 0; i < (size_t)c * h * w; i++)
        src[i] = rnd_small(nans);
    /* the same windows packed as nibbles (SqueezeNet's layout), then as
     * bytes, both checked against the reference below */
    core_pool_run(&p, in, src, out, dst, nibbles, 4);
    core_pool_run(&p, in, src, out, dst, code, 8);
    size_t u = 0;
    for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < out.h; oy++)
            for (int ox = 0; ox < out.w; ox++, u++) {
                float best = -FLT_MAX;
                unsigned arg = 0;
                int first = 1;
                for (int dy = 0; dy < 3; dy++)
                    for (int dx = 0; dx < 3; dx++) {
                        int y = 2 * oy + dy - pad, x = 2 * ox + dx - pad;
                        if (y < 0 || x < 0 || y >= h || x >= w)
                            continue;
                        float v = src[((size_t)ch * h + y) * w + x];
                        if (first || v > best) {
                            best = v;
                            arg = (unsigned)(dy * 3 + dx);
                            first = 0;
                        }
                    }
                int same = dst[u] == best || (isnan(dst[u]) && isnan(best));
                if (!same || code[u] != arg)
                    fail_msg("%dx%d ceil %d simd %d: window (%d,%d,%d): "
                             "%g/%u, want %g/%u", h, w, ceil_mode, simd, ch,
                             oy, ox, dst[u], code[u], best, arg);
                unsigned nib = (nibbles[u / 2] >> (u % 2 * 4)) & 15u;
                if (nib != arg)
                    fail_msg("%dx%d ceil %d simd %d: window (%d,%d,%d): "
                             "nibble %u, want %u", h, w, ceil_mode, simd, ch,
                             oy, ox, nib, arg);
            }
    for (size_t i = units; i < units + 64; i++)
        assert_int_equal(code[i], 0);
    if (units % 2)
        assert_int_equal(nibbles[units / 2] >> 4, 0);
    for (size_t i = (units + 1) / 2; i < units + 64; i++)
        assert_int_equal(nibbles[i], 0);
    free(nibbles);
    free(src);
    free(dst);
    free(code);
}

static void check(int h, int w, int ceil_mode, int simd)
{
    check_padded(h, w, ceil_mode, simd, 0, 0);
}

static void test_max3s2_shapes(void **state)
{
    (void)state;
    /* The plain C path everywhere, AVX2 and AVX-512 where the CPU has them. */
    __builtin_cpu_init();
    int top = __builtin_cpu_supports("avx512f") ? CORE_SIMD_AVX512
              : __builtin_cpu_supports("avx2") ? CORE_SIMD_AVX2
                                               : CORE_SIMD_NONE;
    for (int simd = CORE_SIMD_NONE; simd <= top; simd++) {
        for (int w = 3; w <= 41; w++)
            for (int h = 3; h <= 8; h++) {
                check(h, w, 1, simd);
                check(h, w, 0, simd);
            }
        check(113, 113, 1, simd); /* SqueezeNet's pool1 */
        check(55, 55, 1, simd);   /* pool3 */
        check(27, 27, 1, simd);   /* pool5 */
        for (int w = 3; w <= 70; w += 3)
            for (int h = 3; h <= 9; h += 2)
                for (int pad = 0; pad <= 1; pad++) {
                    check_padded(h, w, 1, simd, pad, 1);
                    check_padded(h, w, 0, simd, pad, pad);
                }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max3s2_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
