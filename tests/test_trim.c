/*
 * test_trim.c -- maso_image_trim_border against images built here with a
 * known interior: a black frame (with JPEG-like noise within the
 * tolerance) is cut exactly, a letterbox on two sides only, a frame of
 * another colour per side, a plain image at most MASO_TRIM_MAX_SHARE per
 * side, a textured photo-like image not at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maso.h"

static unsigned char texture(int x, int y, int c)
{
    return (unsigned char)((x * 37 + y * 91 + c * 53 + (x * y) % 29) & 255);
}

/* W x H: texture inside [l, W-r) x [t, H-b), else colour side[]. */
static maso_image framed(int W, int H, int l, int t, int r, int b,
                         const unsigned char side[4][3], int noise)
{
    maso_image im = { W, H, malloc((size_t)W * H * 3) };
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                unsigned char *p = im.pixels + ((size_t)y * W + x) * 3 + c;
                int s = y < t ? 0 : y >= H - b ? 1 : x < l ? 2 : x >= W - r ? 3 : -1;
                if (s < 0) {
                    *p = texture(x - l, y - t, c);
                } else {
                    int v = side[s][c] + (noise ? (x * 7 + y * 3 + c) % 9 - 4 : 0);
                    *p = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            }
    return im;
}

static void expect_interior(const maso_image *im, int w, int h)
{
    assert_int_equal(im->width, w);
    assert_int_equal(im->height, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(im->pixels[((size_t)y * w + x) * 3 + c],
                                 texture(x, y, c));
}

static void test_frames(void **state)
{
    (void)state;
    const unsigned char black[4][3] = {{4, 4, 4}, {4, 4, 4}, {4, 4, 4},
                                       {4, 4, 4}};
    const unsigned char window[4][3] = {{200, 200, 210}, {240, 240, 240},
                                        {90, 30, 30}, {90, 30, 30}};
    int trimmed = 0;
    maso_image a = framed(120, 80, 12, 8, 12, 8, black, 1);
    assert_int_equal(maso_image_trim_border(&a, MASO_TRIM_TOLERANCE,
                                            &trimmed), 0);
    assert_int_equal(trimmed, 1);
    expect_interior(&a, 96, 64);
    maso_image_free(&a);
    /* letterbox: bars on top and bottom only */
    maso_image b = framed(160, 90, 0, 11, 0, 11, black, 0);
    assert_int_equal(maso_image_trim_border(&b, MASO_TRIM_TOLERANCE, NULL), 0);
    expect_interior(&b, 160, 68);
    maso_image_free(&b);
    /* a window frame: title bar, status bar and sides of other colours */
    maso_image c = framed(100, 100, 3, 20, 5, 6, window, 0);
    assert_int_equal(maso_image_trim_border(&c, MASO_TRIM_TOLERANCE, NULL), 0);
    expect_interior(&c, 92, 74);
    maso_image_free(&c);
}

static void test_no_border(void **state)
{
    (void)state;
    const unsigned char none[4][3] = {{0}};
    int trimmed = 1;
    maso_image a = framed(64, 48, 0, 0, 0, 0, none, 0);
    assert_int_equal(maso_image_trim_border(&a, MASO_TRIM_TOLERANCE,
                                            &trimmed), 0);
    assert_int_equal(trimmed, 0);
    expect_interior(&a, 64, 48);
    maso_image_free(&a);
    /* a plain image keeps its middle: at most 35 % off each side */
    maso_image p = { 100, 60, malloc(100 * 60 * 3) };
    memset(p.pixels, 128, 100 * 60 * 3);
    assert_int_equal(maso_image_trim_border(&p, MASO_TRIM_TOLERANCE, NULL), 0);
    assert_int_equal(p.width, 100 - 2 * (int)(100 * MASO_TRIM_MAX_SHARE));
    assert_int_equal(p.height, 60 - 2 * (int)(60 * MASO_TRIM_MAX_SHARE));
    maso_image_free(&p);
    assert_int_equal(maso_image_trim_border(NULL, 12, NULL), MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_no_border),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
