/* test_eval_fit.c -- the non-negative fits recover known weights:
 * least squares on exact linear data (with a feature whose unconstrained
 * weight would be negative, which must be clamped to 0 and the rest
 * refitted, checked against the closed form), and logistic regression on
 * soft labels that are exactly sigmoid(x . w), whose minimiser is w. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "maso_eval.h"
#include "maso.h"

/* Deterministic values in [-1, 1) (xorshift), independent of libc. */
static double next(unsigned *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)(*s % 20000u) / 10000.0 - 1.0;
}

static void test_least_squares_exact(void **state)
{
    (void)state;
    enum { N = 60, K = 3 };
    double x[N * K], y[N], w[K], b, loss;
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < K; j++)
            x[i * K + j] = next(&s);
        y[i] = 0.7 + 2.0 * x[i * K] + 0.5 * x[i * K + 2];
    }
    assert_int_equal(maso_eval_fit_least_squares(x, y, N, K, w, &b, &loss), 0);
    assert_true(fabs(w[0] - 2.0) < 1e-6 && fabs(w[1]) < 1e-6 &&
                fabs(w[2] - 0.5) < 1e-6);
    assert_true(fabs(b - 0.7) < 1e-6 && loss < 1e-10);
}

static void test_least_squares_clamps_negative(void **state)
{
    (void)state;
    /* y = x0 - x1 (uncorrelated features): the constrained optimum drops
     * x1 (w1 = 0) and fits y on x0 alone: w0 = cov(x0, y) / var(x0). */
    enum { N = 80, K = 2 };
    double x[N * K], y[N], w[K];
    unsigned s = 99;
    for (int i = 0; i < N; i++) {
        x[i * K] = next(&s);
        x[i * K + 1] = next(&s);
        y[i] = x[i * K] - x[i * K + 1];
    }
    double m0 = 0, my = 0, c = 0, v = 0;
    for (int i = 0; i < N; i++) {
        m0 += x[i * K] / N;
        my += y[i] / N;
    }
    for (int i = 0; i < N; i++) {
        c += (x[i * K] - m0) * (y[i] - my);
        v += (x[i * K] - m0) * (x[i * K] - m0);
    }
    assert_int_equal(maso_eval_fit_least_squares(x, y, N, K, w, NULL, NULL), 0);
    assert_true(w[1] == 0.0);
    assert_true(fabs(w[0] - c / v) < 1e-6);
}

static void test_logistic_recovers_weights(void **state)
{
    (void)state;
    enum { N = 200, K = 3 };
    const double truth[K] = { 3.0, 0.0, 1.5 };
    double x[N * K], h[N], w[K];
    unsigned s = 4242;
    for (int i = 0; i < N; i++) {
        double z = 0;
        for (int j = 0; j < K; j++) {
            x[i * K + j] = next(&s);
            z += truth[j] * x[i * K + j];
        }
        h[i] = 1.0 / (1.0 + exp(-z));
    }
    assert_int_equal(maso_eval_fit_logistic(x, h, N, K, w, NULL), 0);
    for (int j = 0; j < K; j++)
        if (fabs(w[j] - truth[j]) > 1e-3)
            fail_msg("w[%d] = %g, want %g", j, w[j], truth[j]);
}

static void test_logistic_keeps_weights_nonnegative(void **state)
{
    (void)state;
    /* Labels follow -x1: the best non-negative weight for x1 is 0. */
    enum { N = 50, K = 2 };
    double x[N * K], h[N], w[K];
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        x[i * K] = next(&s);
        x[i * K + 1] = next(&s);
        h[i] = 1.0 / (1.0 + exp(-(2.0 * x[i * K] - 2.0 * x[i * K + 1])));
    }
    assert_int_equal(maso_eval_fit_logistic(x, h, N, K, w, NULL), 0);
    assert_true(w[1] == 0.0 && w[0] > 1.0);
}

static void test_bad_input(void **state)
{
    (void)state;
    double x[4] = { 1, 2, 3, 4 }, y[2] = { 0.5, 0.5 }, w[2];
    assert_int_equal(maso_eval_fit_logistic(NULL, y, 2, 2, w, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_fit_logistic(x, y, 1, 2, w, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_fit_logistic(x, y, 2, 0, w, NULL),
                     MASO_EINVAL_ARG);
    y[1] = 1.5; /* not a fraction */
    assert_int_equal(maso_eval_fit_logistic(x, y, 2, 2, w, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_fit_least_squares(x, y, 2, 2, w, NULL, NULL), 0);
    x[3] = NAN;
    assert_int_equal(maso_eval_fit_least_squares(x, y, 2, 2, w, NULL, NULL),
                     MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_least_squares_exact),
        cmocka_unit_test(test_least_squares_clamps_negative),
        cmocka_unit_test(test_logistic_recovers_weights),
        cmocka_unit_test(test_logistic_keeps_weights_nonnegative),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
