/*
 * stats.h -- the statistics of perceptual benchmarks.
 *
 * Correlations between a metric's values and human scores (SRCC, KRCC,
 * PLCC after the VQEG logistic fit) and the two scores of the LPIPS paper
 * (Zhang et al., CVPR 2018): 2AFC agreement and JND mean average precision.
 *
 * Conventions: every function takes plain arrays of @p n doubles (never
 * modified, not kept), writes its result through the last pointer and
 * returns MASO_SUCCESS, MASO_EINVAL_ARG (NULL pointer, too few values, a
 * NaN, a value outside its documented range), EDOM (the statistic is
 * undefined for these values, e.g. a constant vector has no correlation)
 * or ENOMEM.  Rank statistics accept +-infinity (only the order matters);
 * Pearson and the logistic fit need finite values.  No state is kept: all
 * functions are thread-safe.
 */
#ifndef MASO_EVAL_STATS_H
#define MASO_EVAL_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pearson's linear correlation coefficient of (x, y); n >= 2. */
int maso_stats_pearson(const double *x, const double *y, size_t n,
                       double *r);

/**
 * Spearman's rank correlation (SRCC): Pearson's r of the ranks, where tied
 * values share the mean of the ranks they span (so ties need no special
 * formula).  n >= 2.
 */
int maso_stats_spearman(const double *x, const double *y, size_t n,
                        double *rho);

/**
 * Kendall's tau-b (KRCC), which corrects for ties in either variable:
 *   (concordant - discordant) / sqrt((n0 - tx) * (n0 - ty))
 * with n0 = n(n-1)/2 and tx, ty the numbers of pairs tied in x, in y.
 * O(n log n) (Knight's merge-sort method).  n >= 2.
 */
int maso_stats_kendall(const double *x, const double *y, size_t n,
                       double *tau);

/**
 * The logistic mapping of VQEG's FR-TV Phase II report, used before PLCC
 * so that a monotone but non-linear metric is not penalised:
 *
 *   f(x) = b[0] * (0.5 - 1 / (1 + exp(b[1] * (x - b[2])))) + b[3] * x + b[4]
 *
 * The 4-parameter variant fixes b[3] = 0 (a pure sigmoid: any scale, slope,
 * centre and offset, the same family as the (b1-b2)/(1+exp(-(x-b3)/b4))+b2
 * form of Sheikh et al.).
 */
double maso_logistic_eval(const double b[5], double x);

/**
 * Least-squares fit of maso_logistic_eval() to (x, y) by Levenberg-
 * Marquardt, with @p n_params 4 or 5 (see above) and n >= n_params.
 * The data are standardised first (zero mean, unit deviation) so that the
 * starting points below do not depend on the units; several starts (the
 * sigmoid centred at the median and at the quartiles of x, with two
 * slopes, its sign taken from the Spearman sign) are run and the lowest
 * residual kept.  @p b receives the 5 parameters in the units of x and y
 * (b[3] = 0 for n_params 4), canonicalised to b[1] >= 0 since (b[0], b[1])
 * and (-b[0], -b[1]) describe the same curve.  EDOM when x or y is constant.
 */
int maso_logistic_fit(const double *x, const double *y, size_t n,
                      int n_params, double b[5]);

/**
 * PLCC as IQA papers report it: fit the logistic (n_params 4 or 5) of
 * metric values @p x to human scores @p y, then Pearson's r between f(x)
 * and y.  @p b, when not NULL, receives the fitted parameters.
 */
int maso_stats_plcc(const double *x, const double *y, size_t n,
                    int n_params, double *plcc, double b[5]);

/**
 * The 2AFC score of the LPIPS paper.  Triplet i has distances d0[i]
 * (reference to p0) and d1[i] (reference to p1) and judge[i] in [0, 1],
 * the fraction of people who found p1 closer.  The metric "votes" for the
 * patch it finds closer and is credited with the fraction of people who
 * agreed: 1 - judge when d0 < d1, judge when d1 < d0, 1/2 on a tie.  The
 * score is the mean credit over the n >= 1 triplets.
 */
int maso_stats_2afc(const double *d0, const double *d1, const double *judge,
                    size_t n, double *score);

/**
 * The JND score of the LPIPS paper: average precision of finding the pairs
 * people judged identical by ranking the pairs by distance.
 *
 * Pair i has distance d[i] and same[i] in [0, 1], the fraction of people
 * who said the two patches were the same.  Pairs are sorted by ascending
 * distance (ties keep the input order: a stable sort, where LPIPS used
 * numpy's unstable default) and each pair counts as same[i] of a true
 * positive and 1 - same[i] of a false positive.  After the first k pairs,
 * precision = sum(same[0..k)) / k and recall = sum(same[0..k)) / sum(same).
 * AP is the PASCAL VOC (2010 onwards, "all points") area: precision is
 * first replaced by its running maximum from the right (the best precision
 * at this or any higher recall), then the area is the sum over the points
 * where recall rises of (rise in recall) x (that envelope precision), with
 * the curve starting at recall 0.  EDOM when sum(same) is 0.
 */
int maso_stats_jnd_map(const double *d, const double *same, size_t n,
                       double *map);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_STATS_H */
