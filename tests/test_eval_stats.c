/* test_eval_stats.c -- correlations, the logistic fit, 2AFC and JND mAP
 * against values worked out by hand and brute-force references. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "maso.h"
#include "maso_eval.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

/* x = 1..5, y = 2 4 5 4 5 (ties in y).  By hand:
 *   Pearson: dx = -2 -1 0 1 2, dy = -2 0 1 0 1: sxy = 6, sxx = 10, syy = 6,
 *            r = 6 / sqrt(60) = 0.774596669241483.
 *   Spearman: ranks of y = 1 2.5 4.5 2.5 4.5 (mean 3), d = -2 -.5 1.5 -.5
 *            1.5: sxy = 4 + .5 + 0 - .5 + 3 = 7, syy = 9, rho = 7 /
 *            sqrt(90) = 0.737864787372622.
 *   Kendall: of the 10 pairs, 7 concordant, 1 discordant (3,4), 2 tied in
 *            y (2,4) and (3,5): tau-b = 6 / sqrt(10 * 8) = 0.670820393249937.
 */
static const double hx[] = {1, 2, 3, 4, 5};
static const double hy[] = {2, 4, 5, 4, 5};

static void test_hand_correlations(void **state)
{
    (void)state;
    double r;
    assert_int_equal(maso_eval_stats_pearson(hx, hy, 5, &r), 0);
    assert_close(r, 0.774596669241483, 1e-12);
    assert_int_equal(maso_eval_stats_spearman(hx, hy, 5, &r), 0);
    assert_close(r, 0.737864787372622, 1e-12);
    assert_int_equal(maso_eval_stats_kendall(hx, hy, 5, &r), 0);
    assert_close(r, 0.670820393249937, 1e-12);
}

/* Ties in both: x = 1 1 2 2 3, y = 1 2 1 2 3.  Pairs: (1,2),(3,4) tied in
 * x; (1,3),(2,4) tied in y; (2,3) discordant; the other 5 concordant.
 * tau-b = (5 - 1) / sqrt((10 - 2)(10 - 2)) = 0.5. */
static void test_kendall_joint_ties(void **state)
{
    (void)state;
    const double x[] = {1, 1, 2, 2, 3}, y[] = {1, 2, 1, 2, 3};
    double tau;
    assert_int_equal(maso_eval_stats_kendall(x, y, 5, &tau), 0);
    assert_close(tau, 0.5, 1e-15);
    /* a pair tied in both x and y: x = 1 1 2, y = 5 5 7: one joint tie,
     * (1,3) and (2,3) concordant: tau-b = 2 / sqrt(2 * 2) = 1 */
    const double x2[] = {1, 1, 2}, y2[] = {5, 5, 7};
    assert_int_equal(maso_eval_stats_kendall(x2, y2, 3, &tau), 0);
    assert_close(tau, 1.0, 1e-15);
}

/* Tau-b by definition, over all pairs: an O(n^2) reference. */
static double kendall_brute(const double *x, const double *y, size_t n)
{
    double c = 0, d = 0, tx = 0, ty = 0, n0 = n * (n - 1) / 2.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = (x[i] - x[j]) * (y[i] - y[j]);
            if (x[i] == x[j])
                tx++;
            if (y[i] == y[j])
                ty++;
            if (s > 0)
                c++;
            else if (s < 0)
                d++;
        }
    return (c - d) / sqrt((n0 - tx) * (n0 - ty));
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return *s >> 33;
}

static void test_kendall_vs_brute_force(void **state)
{
    (void)state;
    uint64_t seed = 7;
    for (int round = 0; round < 4; round++) {
        size_t n = 300 + 97 * (size_t)round;
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            /* few distinct values: many ties of every kind */
            x[i] = (double)(lcg(&seed) % (5 + 10 * (unsigned)round));
            y[i] = x[i] * (round % 2 ? -1 : 1) + (double)(lcg(&seed) % 7);
        }
        double tau;
        assert_int_equal(maso_eval_stats_kendall(x, y, n, &tau), 0);
        assert_close(tau, kendall_brute(x, y, n), 1e-12);
        free(x);
        free(y);
    }
}

/* Without ties Spearman equals 1 - 6 sum d^2 / (n (n^2 - 1)). */
static void test_spearman_vs_rank_difference_formula(void **state)
{
    (void)state;
    enum { n = 200 };
    double x[n], y[n];
    uint64_t seed = 11;
    for (int i = 0; i < n; i++) {
        x[i] = i * 0.5 - 7.0; /* ranks i+1 */
        y[i] = (double)lcg(&seed) + i * 1e6;
    }
    /* ranks of y by counting: an independent O(n^2) ranking */
    double d2 = 0;
    for (int i = 0; i < n; i++) {
        int rank = 1;
        for (int j = 0; j < n; j++)
            rank += y[j] < y[i];
        d2 += (double)(rank - (i + 1)) * (rank - (i + 1));
    }
    double want = 1.0 - 6.0 * d2 / ((double)n * ((double)n * n - 1));
    double rho;
    assert_int_equal(maso_eval_stats_spearman(x, y, n, &rho), 0);
    assert_close(rho, want, 1e-12);
}

static void test_correlation_errors(void **state)
{
    (void)state;
    const double c[] = {3, 3, 3, 3, 3};
    const double bad[] = {1, NAN, 3, 4, 5};
    const double inf[] = {1, INFINITY, 3, 4, 5};
    double r;
    assert_int_equal(maso_eval_stats_pearson(hx, hy, 1, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_pearson(hx, NULL, 5, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_pearson(hx, hy, 5, NULL), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_pearson(hx, c, 5, &r), EDOM);
    assert_int_equal(maso_eval_stats_spearman(c, hy, 5, &r), EDOM);
    assert_int_equal(maso_eval_stats_kendall(hx, c, 5, &r), EDOM);
    assert_int_equal(maso_eval_stats_pearson(hx, bad, 5, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_spearman(bad, hy, 5, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_kendall(hx, bad, 5, &r), MASO_EINVAL_ARG);
    /* infinities: fine for ranks (inf is simply the largest), not Pearson */
    assert_int_equal(maso_eval_stats_pearson(hx, inf, 5, &r), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_spearman(hx, inf, 5, &r), 0);
    /* ranks of y 1 5 2 3 4: d = 0 -3 1 1 1, sum d^2 = 12,
     * rho = 1 - 6 * 12 / (5 * 24) = 0.4 */
    assert_close(r, 0.4, 1e-12);
    /* perfect agreement and disagreement */
    const double down[] = {9, 8, 7, 6, 5};
    assert_int_equal(maso_eval_stats_kendall(hx, down, 5, &r), 0);
    assert_close(r, -1.0, 1e-15);
    assert_int_equal(maso_eval_stats_spearman(hx, hx, 5, &r), 0);
    assert_close(r, 1.0, 1e-15);
}

/* ---- logistic fit ---------------------------------------------------- */

static void fit_and_check(const double truth[5], int n_params)
{
    enum { n = 200 };
    double x[n], y[n], b[5];
    for (int i = 0; i < n; i++) {
        x[i] = i * 100.0 / (n - 1);
        y[i] = maso_eval_logistic(truth, x[i]);
    }
    assert_int_equal(maso_eval_logistic_fit(x, y, n, n_params, b), 0);
    for (int k = 0; k < 5; k++)
        assert_close(b[k], truth[k], 1e-5 * (fabs(truth[k]) + 1e-3));
    double plcc;
    assert_int_equal(maso_eval_stats_plcc(x, y, n, n_params, &plcc, NULL), 0);
    assert_close(plcc, 1.0, 1e-10);
}

static void test_logistic_recovers_parameters(void **state)
{
    (void)state;
    /* a rising sigmoid on a slope, centred at 40 */
    const double five[5] = {3.0, 0.15, 40.0, 0.02, 1.0};
    fit_and_check(five, 5);
    /* a falling sigmoid (DMOS-like), 4 parameters: b[3] = 0 */
    const double four[5] = {-2.0, 0.1, 60.0, 0.0, 5.0};
    fit_and_check(four, 4);
    /* a steep one off-centre */
    const double steep[5] = {80.0, 0.5, 22.0, 0.0, 50.0};
    fit_and_check(steep, 4);
}

/* On noisy, monotone but non-linear data the logistic PLCC beats the raw
 * Pearson r, and the fit is close to the truth. */
static void test_plcc_noisy(void **state)
{
    (void)state;
    enum { n = 2000 };
    static double x[n], y[n];
    const double truth[5] = {4.0, 8.0, 0.6, 0.0, 3.0};
    uint64_t seed = 3;
    for (int i = 0; i < n; i++) {
        x[i] = (double)lcg(&seed) / 2147483648.0; /* [0, 1) */
        double u = ((double)lcg(&seed) / 2147483648.0 - 0.5) * 0.2;
        y[i] = maso_eval_logistic(truth, x[i]) + u;
    }
    double plcc, r, b[5];
    assert_int_equal(maso_eval_stats_plcc(x, y, n, 4, &plcc, b), 0);
    assert_int_equal(maso_eval_stats_pearson(x, y, n, &r), 0);
    assert_true(plcc > r + 0.01);
    assert_true(plcc > 0.99);
    assert_close(b[2], truth[2], 0.02);
    assert_close(b[1], truth[1], 0.5);
}

static void test_logistic_errors(void **state)
{
    (void)state;
    const double c[] = {3, 3, 3, 3, 3};
    double b[5], p;
    assert_int_equal(maso_eval_logistic_fit(hx, hy, 5, 3, b), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_logistic_fit(hx, hy, 4, 5, b), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_logistic_fit(hx, hy, 5, 5, NULL),
                     MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_logistic_fit(c, hy, 5, 4, b), EDOM);
    assert_int_equal(maso_eval_stats_plcc(hx, c, 5, 4, &p, b), EDOM);
}

/* ---- 2AFC ------------------------------------------------------------ */

/* Triplets (d0, d1, judge): (.1,.2,.25) picks p0: 1 - .25 = .75;
 * (.5,.4,.9) picks p1: .9; (.3,.3,.6) tie: .5; (.2,.9,1) picks p0 against
 * everyone: 0.  Mean 2.15 / 4 = 0.5375. */
static void test_2afc_hand(void **state)
{
    (void)state;
    const double d0[] = {0.1, 0.5, 0.3, 0.2}, d1[] = {0.2, 0.4, 0.3, 0.9};
    const double judge[] = {0.25, 0.9, 0.6, 1.0};
    double s;
    assert_int_equal(maso_eval_stats_2afc(d0, d1, judge, 4, &s), 0);
    assert_close(s, 0.5375, 1e-15);
    const double bad[] = {0.25, 1.5, 0.6, 1.0};
    assert_int_equal(maso_eval_stats_2afc(d0, d1, bad, 4, &s), MASO_EINVAL_ARG);
    assert_int_equal(maso_eval_stats_2afc(d0, d1, judge, 0, &s),
                     MASO_EINVAL_ARG);
}

/* ---- JND mAP --------------------------------------------------------- */

static void test_jnd_hand(void **state)
{
    (void)state;
    double ap;
    /* Sorted by distance: same = 1, 1, .5, 0 (total 2.5).
     * k=1: P 1, R .4;  k=2: P 1, R .8;  k=3: P 2.5/3, R 1;  k=4: P .625,
     * R 1.  Envelope 1 1 .8333 .625; area .4*1 + .4*1 + .2*(2.5/3) = 29/30.
     * Given in shuffled order. */
    const double d[] = {0.4, 0.1, 0.3, 0.2}, same[] = {0, 1, 0.5, 1};
    assert_int_equal(maso_eval_stats_jnd_map(d, same, 4, &ap), 0);
    assert_close(ap, 29.0 / 30.0, 1e-15);

    /* same = 1, 0, 1 by distance: P 1, .5, 2/3 at R .5, .5, 1.  The
     * envelope lifts the middle point to 2/3, but recall does not move
     * there: area .5*1 + .5*(2/3) = 5/6. */
    const double d2[] = {0.9, 0.5, 0.7}, same2[] = {1, 1, 0};
    assert_int_equal(maso_eval_stats_jnd_map(d2, same2, 3, &ap), 0);
    assert_close(ap, 5.0 / 6.0, 1e-15);

    /* same = 0, 1, 1 by distance: P 0, .5, 2/3 at R 0, .5, 1.  Here the
     * envelope matters: the rise to R .5 is credited with the later 2/3,
     * not .5: area .5*(2/3) + .5*(2/3) = 2/3 (without it: 7/12). */
    const double d5[] = {3, 1, 2}, same5[] = {1, 0, 1};
    assert_int_equal(maso_eval_stats_jnd_map(d5, same5, 3, &ap), 0);
    assert_close(ap, 2.0 / 3.0, 1e-15);

    /* the only positive comes last: P 0 at R 0, then .5 at R 1: AP .5 */
    const double d3[] = {1, 2}, same3[] = {0, 1};
    assert_int_equal(maso_eval_stats_jnd_map(d3, same3, 2, &ap), 0);
    assert_close(ap, 0.5, 1e-15);

    /* ties keep the input order (stable): with equal distances the
     * positive listed first is ranked first: AP 1 */
    const double d4[] = {1, 1}, same4[] = {1, 0};
    assert_int_equal(maso_eval_stats_jnd_map(d4, same4, 2, &ap), 0);
    assert_close(ap, 1.0, 1e-15);

    const double none[] = {0, 0};
    assert_int_equal(maso_eval_stats_jnd_map(d3, none, 2, &ap), EDOM);
    const double bad[] = {0, -0.1};
    assert_int_equal(maso_eval_stats_jnd_map(d3, bad, 2, &ap), MASO_EINVAL_ARG);
    const double nan[] = {NAN, 1};
    assert_int_equal(maso_eval_stats_jnd_map(nan, same3, 2, &ap),
                     MASO_EINVAL_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_correlations),
        cmocka_unit_test(test_kendall_joint_ties),
        cmocka_unit_test(test_kendall_vs_brute_force),
        cmocka_unit_test(test_spearman_vs_rank_difference_formula),
        cmocka_unit_test(test_correlation_errors),
        cmocka_unit_test(test_logistic_recovers_parameters),
        cmocka_unit_test(test_plcc_noisy),
        cmocka_unit_test(test_logistic_errors),
        cmocka_unit_test(test_2afc_hand),
        cmocka_unit_test(test_jnd_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
