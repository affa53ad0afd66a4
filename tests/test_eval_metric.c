/* test_eval_metric.c -- the metric interface and its built-in metrics give
 * the values of the direct functions; a user-defined metric plugs in. */
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

static void test_builtins_match_direct_functions(void **state)
{
    (void)state;
    maso_image a, b;
    eval_test_kodak("kodim07.png", &a);
    assert_int_equal(maso_eval_distort(&a, MASO_EVAL_DISTORT_NOISE, 2, 5, &b),
                     0);
    double want[4];
    uint64_t ha, hb;
    assert_int_equal(maso_eval_mse(&a, &b, &want[0]), 0);
    assert_int_equal(maso_eval_psnr(&a, &b, &want[1]), 0);
    assert_int_equal(maso_eval_ssim(&a, &b, &want[2]), 0);
    assert_int_equal(maso_eval_dhash(&a, &ha), 0);
    assert_int_equal(maso_eval_dhash(&b, &hb), 0);
    want[3] = maso_eval_dhash_distance(ha, hb);
    const char *names[4] = {"l2", "psnr", "ssim", "dhash"};
    const int higher[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        const maso_eval_metric *m = maso_eval_metric_find(names[i]);
        assert_non_null(m);
        assert_ptr_equal(m, maso_eval_metric_builtin((size_t)i));
        assert_int_equal(m->higher_is_better, higher[i]);
        double v;
        assert_int_equal(maso_eval_metric_compare(m, &a, &b, &v), 0);
        assert_true(v == want[i]);
        /* a more distorted image is less alike for every metric */
        maso_image c;
        assert_int_equal(
            maso_eval_distort(&a, MASO_EVAL_DISTORT_NOISE, 5, 5, &c), 0);
        double w;
        assert_int_equal(maso_eval_metric_compare(m, &a, &c, &w), 0);
        if (i != 3) /* dhash may saturate; the others must move */
            assert_true(maso_eval_metric_dissimilarity(m, w) >
                        maso_eval_metric_dissimilarity(m, v));
        free(c.pixels);
    }
    assert_null(maso_eval_metric_builtin(4));
    assert_null(maso_eval_metric_find("lpips"));
    assert_null(maso_eval_metric_find(NULL));

    /* size mismatch: prepare works, distance refuses */
    const maso_eval_metric *ssim = maso_eval_metric_find("ssim");
    maso_image small = { 20, 20, a.pixels };
    double v;
    assert_int_equal(maso_eval_metric_compare(ssim, &a, &small, &v),
                     MASO_EINVAL_ARG);
    assert_int_equal(
        maso_eval_metric_compare(maso_eval_metric_find("l2"), &a, &small, &v),
        MASO_EINVAL_ARG);
    free(a.pixels);
    free(b.pixels);
}

/* A user metric: mean luma difference, with a scale in `user`. */
static int mean_prepare(const maso_eval_metric *m, const maso_image *img,
                        void **state)
{
    (void)m;
    double *s = malloc(sizeof *s);
    if (s == NULL)
        return 12;
    size_t n = (size_t)img->width * img->height * 3;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += img->pixels[i];
    *s = sum / (double)n;
    *state = s;
    return 0;
}

static int mean_distance(const maso_eval_metric *m, const void *a,
                         const void *b, double *v)
{
    *v = *(const double *)m->user *
         fabs(*(const double *)a - *(const double *)b);
    return 0;
}

static void mean_release(const maso_eval_metric *m, void *state)
{
    (void)m;
    free(state);
}

static void test_user_metric(void **state)
{
    (void)state;
    double scale = 2.0;
    maso_eval_metric mine = { "mean", 0, mean_prepare, mean_distance,
                         mean_release, &scale };
    unsigned char p1[3] = {10, 20, 30}, p2[3] = {20, 30, 40};
    maso_image a = { 1, 1, p1 }, b = { 1, 1, p2 };
    double v;
    assert_int_equal(maso_eval_metric_compare(&mine, &a, &b, &v), 0);
    assert_true(v == 20.0);
    assert_int_equal(maso_eval_metric_compare(NULL, &a, &b, &v),
                     MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_match_direct_functions),
        cmocka_unit_test(test_user_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
