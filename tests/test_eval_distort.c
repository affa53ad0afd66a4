/* test_eval_distort.c -- distortions are deterministic for a seed, differ
 * between seeds where they are random, and grow with the level. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maso_eval.h"
#include "eval_testutil.h"
#include "maso.h"

static maso_image kodak;

static int setup(void **state)
{
    (void)state;
    eval_test_kodak("kodim03.png", &kodak);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(kodak.pixels);
    return 0;
}

/* PSNR against the original falls strictly with the level, for every
 * family, and level 1 is already a real change. */
static void test_monotone_in_level(void **state)
{
    (void)state;
    for (int k = 0; k < MASO_EVAL_DISTORT_COUNT; k++) {
        double prev = INFINITY;
        for (int level = 1; level <= MASO_EVAL_DISTORT_LEVELS; level++) {
            maso_image d;
            assert_int_equal(maso_eval_distort(&kodak, (maso_eval_distortion)k,
                                               level, 42, &d), 0);
            assert_int_equal(d.width, kodak.width);
            assert_int_equal(d.height, kodak.height);
            double psnr;
            assert_int_equal(maso_eval_psnr(&kodak, &d, &psnr), 0);
            if (!(psnr < prev) || !(psnr < 60.0))
                fail_msg("%s level %d: PSNR %.3f dB after %.3f dB",
                         maso_eval_distortion_name((maso_eval_distortion)k),
                         level, psnr, prev);
            prev = psnr;
            free(d.pixels);
        }
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    /* a smaller crop keeps this quick: all families, two seeds */
    maso_image small = { 200, 150, malloc(200 * 150 * 3) };
    for (int y = 0; y < 150; y++)
        memcpy(small.pixels + (size_t)y * 600,
               kodak.pixels + ((size_t)(y + 100) * kodak.width + 300) * 3,
               600);
    for (int k = 0; k < MASO_EVAL_DISTORT_COUNT; k++) {
        maso_image a, b, c;
        assert_int_equal(maso_eval_distort(&small, (maso_eval_distortion)k, 3,
                                           1234, &a), 0);
        assert_int_equal(maso_eval_distort(&small, (maso_eval_distortion)k, 3,
                                           1234, &b), 0);
        assert_memory_equal(a.pixels, b.pixels, 200 * 150 * 3);
        /* the families with random choices change with the seed */
        int random = k == MASO_EVAL_DISTORT_NOISE ||
                     k == MASO_EVAL_DISTORT_CROP ||
                     k == MASO_EVAL_DISTORT_COLOR;
        if (random) {
            assert_int_equal(maso_eval_distort(&small, (maso_eval_distortion)k,
                                               3, 99, &c), 0);
            assert_true(memcmp(a.pixels, c.pixels, 200 * 150 * 3) != 0);
            free(c.pixels);
        }
        free(a.pixels);
        free(b.pixels);
    }
    free(small.pixels);
}

/* Rotation and brightness pick a direction from the seed: across seeds
 * both directions occur. */
static void test_seed_picks_direction(void **state)
{
    (void)state;
    maso_image tiny = { 16, 16, malloc(16 * 16 * 3) };
    for (int i = 0; i < 16 * 16 * 3; i++)
        tiny.pixels[i] = (unsigned char)(60 + (i * 7) % 120);
    int brighter = 0, darker = 0;
    for (uint64_t seed = 0; seed < 16; seed++) {
        maso_image d;
        assert_int_equal(maso_eval_distort(&tiny, MASO_EVAL_DISTORT_BRIGHTNESS,
                                           5, seed, &d), 0);
        long sum = 0;
        for (int i = 0; i < 16 * 16 * 3; i++)
            sum += (long)d.pixels[i] - tiny.pixels[i];
        brighter += sum > 0;
        darker += sum < 0;
        free(d.pixels);
    }
    assert_true(brighter > 0 && darker > 0);
    free(tiny.pixels);
}

/* Hand-checked point operations on a one-pixel image. */
static void test_point_operations(void **state)
{
    (void)state;
    unsigned char px[3] = {128, 28, 228};
    maso_image one = { 1, 1, px }, d;
    /* brightness level 5: (v - 128) * 0.5 + 128 +- 45 */
    assert_int_equal(maso_eval_distort(&one, MASO_EVAL_DISTORT_BRIGHTNESS, 5, 3,
                                       &d), 0);
    int off = d.pixels[0] - 128;
    assert_true(off == 45 || off == -45);
    assert_int_equal(d.pixels[1], 78 + off);
    assert_int_equal(d.pixels[2], 178 + off);
    free(d.pixels);
    /* colour level 2: offsets summing to ~0 with norm 16 */
    assert_int_equal(maso_eval_distort(&one, MASO_EVAL_DISTORT_COLOR, 2, 3, &d),
                     0);
    int o[3], sum = 0, n2 = 0;
    for (int c = 0; c < 3; c++) {
        o[c] = d.pixels[c] - px[c];
        sum += o[c];
        n2 += o[c] * o[c];
    }
    assert_true(abs(sum) <= 1);
    assert_true(fabs(sqrt(n2) - 16.0) <= 1.0);
    free(d.pixels);
    /* blur of a flat image is the same flat image, even with the kernel
     * much larger than the image (mirrored many times) */
    assert_int_equal(maso_eval_distort(&one, MASO_EVAL_DISTORT_BLUR, 5, 0, &d),
                     0);
    assert_memory_equal(d.pixels, px, 3);
    free(d.pixels);
}

static void test_names_and_errors(void **state)
{
    (void)state;
    maso_eval_distortion k;
    for (int i = 0; i < MASO_EVAL_DISTORT_COUNT; i++) {
        const char *name = maso_eval_distortion_name((maso_eval_distortion)i);
        assert_non_null(name);
        assert_int_equal(maso_eval_distortion_from_name(name, &k), 0);
        assert_int_equal(k, i);
        assert_false(
            isnan(maso_eval_distortion_parameter((maso_eval_distortion)i, 1)));
    }
    assert_null(maso_eval_distortion_name(MASO_EVAL_DISTORT_COUNT));
    assert_int_equal(maso_eval_distortion_from_name("smudge", &k),
                     MASO_ENOTFOUND);
    assert_true(maso_eval_distortion_parameter(MASO_EVAL_DISTORT_JPEG, 5) ==
                5.0);
    assert_true(
        isnan(maso_eval_distortion_parameter(MASO_EVAL_DISTORT_JPEG, 6)));

    maso_image d = { 7, 7, (unsigned char *)"x" };
    assert_int_equal(
        maso_eval_distort(&kodak, MASO_EVAL_DISTORT_BLUR, 0, 0, &d),
        MASO_EINVAL_ARG);
    assert_null(d.pixels); /* left empty on failure */
    assert_int_equal(
        maso_eval_distort(&kodak, MASO_EVAL_DISTORT_BLUR, 6, 0, &d),
        MASO_EINVAL_ARG);
    assert_int_equal(
        maso_eval_distort(&kodak, MASO_EVAL_DISTORT_COUNT, 1, 0, &d),
        MASO_EINVAL_ARG);
    maso_image empty = { 0, 0, NULL };
    assert_int_equal(maso_eval_distort(&empty, MASO_EVAL_DISTORT_NOISE, 1, 0,
                                       &d), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_distort(&kodak, MASO_EVAL_DISTORT_NOISE, 1, 0,
                                       NULL), MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotone_in_level),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_seed_picks_direction),
        cmocka_unit_test(test_point_operations),
        cmocka_unit_test(test_names_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
