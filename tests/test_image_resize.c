/*
 * test_image_resize.c -- maso_image_resize() against hand-computed values
 * and a brute-force reference: for every output pixel, a direct 2-D sum of
 * the triangle filter over all source pixels, in double precision, with no
 * weight tables and no separation into passes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image_fixtures.h"
#include "maso.h"

static uint32_t rng_state = 521288629u;
static uint32_t rnd(void) { return fx_rand(&rng_state); }

static maso_image random_image(int w, int h)
{
    maso_image im = {w, h, malloc((size_t)w * h * 3)};
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        im.pixels[i] = (unsigned char)rnd();
    return im;
}

/* Weight of source pixel j for an output pixel whose footprint is centred
 * at continuous coordinate u (pixel j covers [j, j+1)), radius r. */
static double tri(double j, double u, double r)
{
    double t = fabs(j + 0.5 - u) / r;
    return t < 1.0 ? 1.0 - t : 0.0;
}

static void reference(const maso_image *src, int w, int h, double *out)
{
    double sx = (double)src->width / w, sy = (double)src->height / h;
    double rx = sx > 1 ? sx : 1, ry = sy > 1 ? sy : 1;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double acc[3] = {0, 0, 0}, wsum = 0;
            double ux = (x + 0.5) * sx, uy = (y + 0.5) * sy;
            for (int j = 0; j < src->height; j++)
                for (int i = 0; i < src->width; i++) {
                    double wt = tri(i, ux, rx) * tri(j, uy, ry);
                    const unsigned char *p =
                        src->pixels + ((size_t)j * src->width + i) * 3;
                    if (wt == 0)
                        continue;
                    wsum += wt;
                    for (int c = 0; c < 3; c++)
                        acc[c] += wt * p[c];
                }
            for (int c = 0; c < 3; c++)
                out[((size_t)y * w + x) * 3 + c] = acc[c] / wsum;
        }
}

static void test_against_reference(void **state)
{
    static const int sizes[][4] = {
        {37, 23, 11, 7},   {200, 150, 57, 43}, {50, 40, 100, 90},
        {13, 1, 5, 1},     {1, 1, 7, 3},       {64, 64, 32, 32},
        {30, 45, 31, 44},  {100, 7, 9, 20},    {77, 61, 76, 13},
    };
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        maso_image src = random_image(sizes[k][0], sizes[k][1]), dst;
        int w = sizes[k][2], h = sizes[k][3];
        double *ref = malloc(sizeof *ref * (size_t)w * h * 3);

        assert_int_equal(maso_image_resize(&src, w, h, &dst), 0);
        assert_int_equal(dst.width, w);
        assert_int_equal(dst.height, h);
        reference(&src, w, h, ref);
        for (size_t i = 0; i < (size_t)w * h * 3; i++) {
            double d = fabs(dst.pixels[i] - ref[i]);
            if (d > 1.0)
                fail_msg("%dx%d->%dx%d sample %zu: %d vs %.3f", src.width,
                         src.height, w, h, i, dst.pixels[i], ref[i]);
        }
        free(ref);
        maso_image_free(&dst);
        maso_image_free(&src);
    }
}

static void test_constant(void **state)
{
    static const int sizes[][2] = {{227, 227}, {1, 1}, {500, 3}, {33, 90}};
    maso_image src = {123, 77, malloc(123 * 77 * 3)};
    (void)state;
    for (int i = 0; i < 123 * 77; i++) {
        src.pixels[3 * i] = 17;
        src.pixels[3 * i + 1] = 128;
        src.pixels[3 * i + 2] = 255;
    }
    for (size_t k = 0; k < 4; k++) {
        maso_image dst;
        assert_int_equal(maso_image_resize(&src, sizes[k][0], sizes[k][1],
                                           &dst), 0);
        for (int i = 0; i < dst.width * dst.height; i++) {
            assert_int_equal(dst.pixels[3 * i], 17);
            assert_int_equal(dst.pixels[3 * i + 1], 128);
            assert_int_equal(dst.pixels[3 * i + 2], 255);
        }
        maso_image_free(&dst);
    }
    maso_image_free(&src);
}

/* Halving a row: the triangle of radius 2 centred between source pixels
 * 2i and 2i+1 weighs 2i-1 .. 2i+2 as 1,3,3,1 (/8); at the borders the
 * missing tap is dropped (/7).  The height is kept (weight 1 on the same
 * row). */
static void test_halve_by_hand(void **state)
{
    static const unsigned char p[8] = {0, 255, 0, 255, 100, 50, 200, 0};
    const double want[4] = {
        (3 * 0 + 3 * 255 + 1 * 0) / 7.0,          /* 109.3 */
        (255 + 3 * 0 + 3 * 255 + 100) / 8.0,      /* 140   */
        (255 + 3 * 100 + 3 * 50 + 200) / 8.0,     /* 113.1 */
        (50 + 3 * 200 + 3 * 0) / 7.0,             /* 92.9  */
    };
    maso_image src = {8, 2, malloc(8 * 2 * 3)}, dst;
    (void)state;

    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 8; x++)
            for (int c = 0; c < 3; c++)
                src.pixels[(y * 8 + x) * 3 + c] = p[x];
    assert_int_equal(maso_image_resize(&src, 4, 2, &dst), 0);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            for (int c = 0; c < 3; c++)
                assert_true(fabs(dst.pixels[(y * 4 + x) * 3 + c] - want[x]) <= 1.0);
    maso_image_free(&dst);

    /* 2-D: a 4x4 checkerboard of 0/255 (255 where x+y is odd).  Per axis
     * output 0 weighs source 0,1,2 as 3,3,1 (/7) and output 1 weighs 1,2,3
     * as 1,3,3 (/7).  Output (0,0): P(x odd) = P(y odd) = 3/7, so the
     * weight on 255 is 2*(3/7)(4/7) = 24/49; output (1,0): P(x odd) = 4/7,
     * P(y odd) = 3/7, giving (4/7)(4/7) + (3/7)(3/7) = 25/49. */
    const double cbwant[4] = {255 * 24 / 49.0, 255 * 25 / 49.0,
                              255 * 25 / 49.0, 255 * 24 / 49.0};
    maso_image cb = {4, 4, malloc(4 * 4 * 3)};
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            memset(cb.pixels + (y * 4 + x) * 3, (x + y) % 2 ? 255 : 0, 3);
    assert_int_equal(maso_image_resize(&cb, 2, 2, &dst), 0);
    for (int i = 0; i < 12; i++)
        assert_true(fabs(dst.pixels[i] - cbwant[i / 3]) <= 1.0);
    maso_image_free(&dst);
    maso_image_free(&cb);
    maso_image_free(&src);
}

/* Same size is the identity (weight 1 on the same pixel). */
static void test_identity(void **state)
{
    maso_image src = random_image(31, 17), dst;
    (void)state;
    assert_int_equal(maso_image_resize(&src, 31, 17, &dst), 0);
    assert_memory_equal(src.pixels, dst.pixels, 31 * 17 * 3);
    maso_image_free(&dst);
    maso_image_free(&src);
}

static void test_bad_args(void **state)
{
    maso_image src = random_image(4, 4), dst, empty = {0, 0, NULL};
    (void)state;
    assert_int_equal(maso_image_resize(NULL, 2, 2, &dst), MASO_EINVAL_ARG);
    assert_int_equal(maso_image_resize(&src, 0, 2, &dst), MASO_EINVAL_ARG);
    assert_int_equal(maso_image_resize(&src, 2, -1, &dst), MASO_EINVAL_ARG);
    assert_null(dst.pixels);
    assert_int_equal(maso_image_resize(&empty, 2, 2, &dst), MASO_EINVAL_ARG);
    assert_int_equal(maso_image_resize(&src, 2, 2, NULL), MASO_EINVAL_ARG);
    maso_image_free(&src);
    maso_image_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_halve_by_hand),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
