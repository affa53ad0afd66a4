/* test_eval_image.c -- SSIM against scikit-image, MSE/PSNR and dhash
 * against hand-worked values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maso_eval.h"
#include "eval_testutil.h"
#include "maso.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

/* A w x h window of img starting at (x0, y0), copied. */
static maso_image crop_copy(const maso_image *img, int x0, int y0, int w,
                            int h)
{
    maso_image out = { w, h, malloc((size_t)w * h * 3) };
    assert_non_null(out.pixels);
    for (int y = 0; y < h; y++)
        memcpy(out.pixels + (size_t)y * w * 3,
               img->pixels + ((size_t)(y0 + y) * img->width + x0) * 3,
               (size_t)w * 3);
    return out;
}

/* ---- SSIM vs scikit-image -------------------------------------------- */

typedef struct ssim_case {
    maso_image a, b;
} ssim_case;

static void write_raw(int k, char which, const maso_image *img)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ssim_%d%c.raw", MASO_TEST_TMPDIR, k,
             which);
    eval_test_write(path, img->pixels, (size_t)img->width * img->height * 3);
}

static void test_ssim_matches_skimage(void **state)
{
    (void)state;
    enum { NCASE = 6 };
    ssim_case c[NCASE];
    maso_image kodak;
    eval_test_kodak("kodim05.png", &kodak);
    uint64_t seed = 5;

    /* 0: a Kodak crop against its noisy version (seeded distortion) */
    c[0].a = crop_copy(&kodak, 100, 50, 160, 120);
    assert_int_equal(maso_eval_distort(&c[0].a, MASO_EVAL_DISTORT_NOISE, 3, 1,
                                       &c[0].b), 0);
    /* 1: the same crop blurred */
    c[1].a = crop_copy(&kodak, 100, 50, 160, 120);
    assert_int_equal(maso_eval_distort(&c[1].a, MASO_EVAL_DISTORT_BLUR, 2, 1,
                                       &c[1].b), 0);
    /* 2: odd size, independent random images */
    /* 3: the smallest size, 11 x 11 (a single window) */
    /* 4: 12 x 37, random with strong correlation */
    int sizes[3][2] = {{37, 23}, {11, 11}, {12, 37}};
    for (int k = 2; k < 5; k++) {
        int w = sizes[k - 2][0], h = sizes[k - 2][1];
        c[k].a = (maso_image){ w, h, malloc((size_t)w * h * 3) };
        c[k].b = (maso_image){ w, h, malloc((size_t)w * h * 3) };
        for (int i = 0; i < w * h * 3; i++) {
            int v = (int)(lcg(&seed) % 256);
            c[k].a.pixels[i] = (unsigned char)v;
            int u = k == 4 ? v + (int)(lcg(&seed) % 41) - 20
                           : (int)(lcg(&seed) % 256);
            c[k].b.pixels[i] = (unsigned char)(u < 0 ? 0 : u > 255 ? 255 : u);
        }
    }
    /* 5: identical images: exactly 1 */
    c[5].a = crop_copy(&kodak, 0, 0, 64, 48);
    c[5].b = crop_copy(&kodak, 0, 0, 64, 48);

    char script[4096];
    int len = snprintf(script, sizeof script,
        "import numpy as np\n"
        "from skimage.metrics import structural_similarity as S\n"
        "d = '%s'\n"
        "def luma(k, c, w, h):\n"
        "    x = np.fromfile('%%s/ssim_%%d%%s.raw' %% (d, k, c), np.uint8)\n"
        "    x = x.reshape(h, w, 3).astype(np.float64)\n"
        "    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]\n"
        "for k, w, h in [",
        MASO_TEST_TMPDIR);
    for (int k = 0; k < NCASE; k++) {
        write_raw(k, 'a', &c[k].a);
        write_raw(k, 'b', &c[k].b);
        len += snprintf(script + len, sizeof script - (size_t)len,
                        "(%d, %d, %d), ", k, c[k].a.width, c[k].a.height);
    }
    snprintf(script + len, sizeof script - (size_t)len,
             "]:\n"
             "    print('%%.15f' %% S(luma(k, 'a', w, h), luma(k, 'b', w, h),"
             " gaussian_weights=True, sigma=1.5,"
             " use_sample_covariance=False, data_range=255))\n");
    char *out = eval_test_python(script);
    char *p = out;
    for (int k = 0; k < NCASE; k++) {
        char *end;
        double want = strtod(p, &end);
        if (end == p)
            fail_msg("unexpected reference output: %s", out);
        p = end;
        double got;
        assert_int_equal(maso_eval_ssim(&c[k].a, &c[k].b, &got), 0);
        if (!(fabs(got - want) <= 1e-4))
            fail_msg("case %d (%dx%d): SSIM %.10f, scikit-image %.10f", k,
                     c[k].a.width, c[k].a.height, got, want);
        /* in fact it agrees to rounding; a looser 1e-4 is the contract */
        assert_true(fabs(got - want) <= 1e-9);
        free(c[k].a.pixels);
        free(c[k].b.pixels);
    }
    free(out);
    free(kodak.pixels);
}

static void test_ssim_errors(void **state)
{
    (void)state;
    unsigned char px[12 * 12 * 3] = {0};
    maso_image a = { 12, 12, px }, b = { 12, 11, px }, s = { 10, 12, px };
    double v;
    assert_int_equal(maso_eval_ssim(&a, &b, &v), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_ssim(&s, &s, &v), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_ssim(&a, NULL, &v), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_ssim(&a, &a, NULL), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_ssim(&a, &a, &v), 0);
    assert_true(v == 1.0); /* flat and equal: (C1 C2) / (C1 C2) */
}

/* ---- MSE / PSNR ------------------------------------------------------ */

/* Two 2 x 1 images differing by (3, 4, 0) and (0, 0, 5): squared errors
 * 9 + 16 + 25 = 50 over 6 samples; PSNR = 10 log10(255^2 * 6 / 50) =
 * 10 log10(7803) = 38.9226160691553 dB. */
static void test_psnr_hand(void **state)
{
    (void)state;
    unsigned char pa[6] = {10, 20, 30, 40, 50, 60};
    unsigned char pb[6] = {13, 16, 30, 40, 50, 65};
    maso_image a = { 2, 1, pa }, b = { 2, 1, pb }, c = { 1, 2, pb };
    double v;
    assert_int_equal(maso_eval_mse(&a, &b, &v), 0);
    assert_true(fabs(v - 50.0 / 6.0) < 1e-15);
    assert_int_equal(maso_eval_psnr(&a, &b, &v), 0);
    assert_true(fabs(v - 38.9226160691553) < 1e-12);
    assert_int_equal(maso_eval_psnr(&a, &a, &v), 0);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(maso_eval_psnr(&a, &c, &v), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_mse(NULL, &a, &v), MASO_EINVAL_ARG);
}

/* ---- dhash ----------------------------------------------------------- */

static void test_dhash_patterns(void **state)
{
    (void)state;
    /* 9 x 8: the thumbnail is the image itself.  Row r is brighter to the
     * right except at column r (where it drops): bit 8r + c is set for
     * every c != r, i.e. the hash is ~(the diagonal bits). */
    unsigned char px[9 * 8 * 3];
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 9; c++) {
            int v = 10 * c + (c > r ? -100 : 0) + 120;
            for (int k = 0; k < 3; k++)
                px[(r * 9 + c) * 3 + k] = (unsigned char)v;
        }
    maso_image img = { 9, 8, px };
    uint64_t h, diag = 0;
    for (int r = 0; r < 8; r++)
        diag |= (uint64_t)1 << (9 * r);
    assert_int_equal(maso_eval_dhash(&img, &h), 0);
    assert_true(h == ~diag);

    /* a 90 x 40 horizontal ramp, brighter to the right: all ones; the
     * mirrored ramp: all zeros; their distance is 64/64 */
    unsigned char *ramp = malloc(90 * 40 * 3), *back = malloc(90 * 40 * 3);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 90; x++)
            for (int k = 0; k < 3; k++) {
                ramp[(y * 90 + x) * 3 + k] = (unsigned char)(2 * x + y);
                back[(y * 90 + x) * 3 + k] = (unsigned char)(2 * (89 - x));
            }
    maso_image r1 = { 90, 40, ramp }, r2 = { 90, 40, back };
    uint64_t h1, h2;
    assert_int_equal(maso_eval_dhash(&r1, &h1), 0);
    assert_int_equal(maso_eval_dhash(&r2, &h2), 0);
    assert_true(h1 == UINT64_MAX);
    assert_true(h2 == 0);
    assert_true(maso_eval_dhash_distance(h1, h2) == 1.0);
    assert_true(maso_eval_dhash_distance(h1, h1) == 0.0);
    assert_true(maso_eval_dhash_distance(0x5, 0x3) == 2.0 / 64);
    free(ramp);
    free(back);
    assert_int_equal(maso_eval_dhash(NULL, &h), MASO_EINVAL_ARG);
}

/* A Kodak image and its mild distortions keep nearly the same hash; an
 * unrelated image does not. */
static void test_dhash_robust(void **state)
{
    (void)state;
    maso_image a, other, d;
    eval_test_kodak("kodim01.png", &a);
    eval_test_kodak("kodim23.png", &other);
    uint64_t ha, hd, ho;
    assert_int_equal(maso_eval_dhash(&a, &ha), 0);
    assert_int_equal(maso_eval_dhash(&other, &ho), 0);
    assert_true(maso_eval_dhash_distance(ha, ho) > 0.2);
    const maso_eval_distortion mild[] = { MASO_EVAL_DISTORT_BLUR,
                                          MASO_EVAL_DISTORT_JPEG,
                                          MASO_EVAL_DISTORT_RESAMPLE,
                                          MASO_EVAL_DISTORT_BRIGHTNESS };
    for (size_t i = 0; i < sizeof mild / sizeof mild[0]; i++) {
        assert_int_equal(maso_eval_distort(&a, mild[i], 1, 9, &d), 0);
        assert_int_equal(maso_eval_dhash(&d, &hd), 0);
        if (!(maso_eval_dhash_distance(ha, hd) <= 4.0 / 64))
            fail_msg("%s: dhash distance %g",
                     maso_eval_distortion_name(mild[i]),
                     maso_eval_dhash_distance(ha, hd));
        free(d.pixels);
    }
    free(a.pixels);
    free(other.pixels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssim_matches_skimage),
        cmocka_unit_test(test_ssim_errors),
        cmocka_unit_test(test_psnr_hand),
        cmocka_unit_test(test_dhash_patterns),
        cmocka_unit_test(test_dhash_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
