/*
 * maso_eval.h -- the public interface of libmaso_eval, the building blocks
 * of maso-eval: the statistics of perceptual benchmarks, readers for their
 * files (.npy vectors, scored pair lists), classic image metrics (MSE,
 * PSNR, SSIM, dhash), graded distortions and copy edits, non-negative
 * weight fits and the metric interface.
 *
 * Conventions are those of maso.h (status codes, maso_strerror(), a
 * message per handle, ownership of every pointer stated, no printing, no
 * exit(), no global mutable state), with the library's own prefix:
 * names are maso_eval_<object>_<verb>, constants MASO_EVAL_*.  This is the
 * library's only public header; eval/lib/include is its only exported
 * include folder.
 */
#ifndef MASO_EVAL_H
#define MASO_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Statistics of perceptual benchmarks                                      */
/* ------------------------------------------------------------------------ */

/*
 * The statistics of perceptual benchmarks.
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

/** Pearson's linear correlation coefficient of (x, y); n >= 2. */
int maso_eval_stats_pearson(const double *x, const double *y, size_t n,
                            double *r);

/**
 * Spearman's rank correlation (SRCC): Pearson's r of the ranks, where tied
 * values share the mean of the ranks they span (so ties need no special
 * formula).  n >= 2.
 */
int maso_eval_stats_spearman(const double *x, const double *y, size_t n,
                             double *rho);

/**
 * Kendall's tau-b (KRCC), which corrects for ties in either variable:
 *   (concordant - discordant) / sqrt((n0 - tx) * (n0 - ty))
 * with n0 = n(n-1)/2 and tx, ty the numbers of pairs tied in x, in y.
 * O(n log n) (Knight's merge-sort method).  n >= 2.
 */
int maso_eval_stats_kendall(const double *x, const double *y, size_t n,
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
double maso_eval_logistic(const double b[5], double x);

/**
 * Least-squares fit of maso_eval_logistic() to (x, y) by Levenberg-
 * Marquardt, with @p n_params 4 or 5 (see above) and n >= n_params.
 * The data are standardised first (zero mean, unit deviation) so that the
 * starting points below do not depend on the units; several starts (the
 * sigmoid centred at the median and at the quartiles of x, with two
 * slopes, its sign taken from the Spearman sign) are run and the lowest
 * residual kept.  @p b receives the 5 parameters in the units of x and y
 * (b[3] = 0 for n_params 4), canonicalised to b[1] >= 0 since (b[0], b[1])
 * and (-b[0], -b[1]) describe the same curve.  EDOM when x or y is constant.
 */
int maso_eval_logistic_fit(const double *x, const double *y, size_t n,
                           int n_params, double b[5]);

/**
 * PLCC as IQA papers report it: fit the logistic (n_params 4 or 5) of
 * metric values @p x to human scores @p y, then Pearson's r between f(x)
 * and y.  @p b, when not NULL, receives the fitted parameters.
 */
int maso_eval_stats_plcc(const double *x, const double *y, size_t n,
                         int n_params, double *plcc, double b[5]);

/**
 * The 2AFC score of the LPIPS paper.  Triplet i has distances d0[i]
 * (reference to p0) and d1[i] (reference to p1) and judge[i] in [0, 1],
 * the fraction of people who found p1 closer.  The metric "votes" for the
 * patch it finds closer and is credited with the fraction of people who
 * agreed: 1 - judge when d0 < d1, judge when d1 < d0, 1/2 on a tie.  The
 * score is the mean credit over the n >= 1 triplets.
 */
int maso_eval_stats_2afc(const double *d0, const double *d1,
                         const double *judge, size_t n, double *score);

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
int maso_eval_stats_jnd_map(const double *d, const double *same, size_t n,
                            double *map);

/* ------------------------------------------------------------------------ */
/* NumPy .npy vectors                                                       */
/* ------------------------------------------------------------------------ */

/*
 * Reading a vector of numbers from a NumPy .npy file.
 *
 * The LPIPS benchmark ships its human judgments as .npy files (one value
 * per patch pair or triplet).  This reader accepts format versions 1.0,
 * 2.0 and 3.0, dtypes '<f4' and '<f8' (little-endian float32 / float64),
 * and shapes (N,) or (N, 1), in C or Fortran order (the same bytes for
 * these shapes).  Everything else is refused with a message that says what
 * was found and what is accepted: bad magic, an unknown version, a
 * big-endian or non-float dtype, another shape, a malformed header, a file
 * shorter or longer than the header promises, a NaN or infinite value.
 */

/** A reader: holds the values of the last file read and its error text.
 *  Not thread-safe; use one per thread. */
typedef struct maso_eval_npy maso_eval_npy;

/** Create a reader.  MASO_SUCCESS, MASO_EINVAL_ARG or ENOMEM. */
int maso_eval_npy_create(maso_eval_npy **npy);
/** Release a reader and its values (NULL allowed). */
void maso_eval_npy_destroy(maso_eval_npy *npy);

/**
 * Read the .npy file at @p path, replacing the reader's values.
 * Errors: MASO_EDATA (the content is not an accepted .npy: see above),
 * the errno of fopen()/fread() (e.g. ENOENT), ENOMEM, MASO_EINVAL_ARG.
 * maso_eval_npy_errmsg() then names the file and the cause.
 */
int maso_eval_npy_load_file(maso_eval_npy *npy, const char *path);

/** Parse .npy bytes held in memory; @p name appears in messages only. */
int maso_eval_npy_load_memory(maso_eval_npy *npy, const void *data, size_t size,
                              const char *name);

/** The values read by the last successful load, as doubles, and their
 *  number in *count.  Owned by the reader; valid until its next load or
 *  destroy.  NULL with *count 0 before any successful load. */
const double *maso_eval_npy_values(const maso_eval_npy *npy, size_t *count);

/** The message of the last failure ("" after a success).  Owned by the
 *  reader; valid until its next call. */
const char *maso_eval_npy_errmsg(const maso_eval_npy *npy);

/* ------------------------------------------------------------------------ */
/* Scored pair lists (CSV)                                                  */
/* ------------------------------------------------------------------------ */

/*
 * A list of scored image pairs read from a CSV file.
 *
 * The format of maso-eval's correlation benchmarks (TID2013, KADID-10k...
 * converted to one table): a header row naming at least the columns
 * `reference`, `distorted` and `score` (any order, case-insensitive, other
 * columns ignored), then one row per pair.  Fields follow RFC 4180: they
 * may be enclosed in double quotes, and a quoted field may hold commas,
 * line breaks and doubled quotes ("").  Lines end in LF or CRLF; a UTF-8
 * byte-order mark and blank lines are ignored; unquoted fields are trimmed
 * of spaces and tabs.  Relative paths are taken relative to the folder of
 * the CSV file, absolute ones are kept.  The score must be a finite
 * number.  Errors name the file and the line.
 */

/** One pair.  Strings are owned by the list that returned it. */
typedef struct maso_eval_pair {
    const char *reference; /**< path of the reference image */
    const char *distorted; /**< path of the distorted image */
    double score;          /**< the human score (MOS, DMOS...) */
    size_t line;           /**< line of the CSV where the row starts */
} maso_eval_pair;

/** A list of pairs and the message of its last failure.  Not
 *  thread-safe; use one per thread. */
typedef struct maso_eval_pairs maso_eval_pairs;

/** Create an empty list.  MASO_SUCCESS, MASO_EINVAL_ARG or ENOMEM. */
int maso_eval_pairs_create(maso_eval_pairs **pairs);
/** Release a list and every string it owns (NULL allowed). */
void maso_eval_pairs_destroy(maso_eval_pairs *pairs);

/**
 * Read the CSV at @p path, replacing the list's content.  Errors:
 * MASO_EDATA (no header, a missing column, a row with too few fields, an
 * unterminated quote, an empty path, a score that is not a finite number,
 * no rows at all), the errno of fopen()/fread(), ENOMEM, MASO_EINVAL_ARG.
 * maso_eval_pairs_errmsg() then reads "<path>:<line>: <cause>".
 */
int maso_eval_pairs_load_csv(maso_eval_pairs *pairs, const char *path);

/** Number of pairs read by the last successful load. */
size_t maso_eval_pairs_count(const maso_eval_pairs *pairs);

/** Pair @p i (< maso_eval_pairs_count()), or NULL.  Owned by the list; valid
 *  until its next load or destroy. */
const maso_eval_pair *maso_eval_pairs_get(const maso_eval_pairs *pairs,
                                          size_t i);

/** The message of the last failure ("" after a success).  Owned by the
 *  list; valid until its next call. */
const char *maso_eval_pairs_errmsg(const maso_eval_pairs *pairs);

/* ------------------------------------------------------------------------ */
/* MSE and PSNR                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Pixel-wise differences: mean squared error and PSNR.
 *
 * MSE = mean over every pixel and all three channels of (a - b)^2, with
 * 8-bit values 0..255 (the "L2" baseline of maso-eval); PSNR = 10 log10
 * (255^2 / MSE) in dB, +infinity for identical images.
 */

/** MSE of @p a and @p b (same size) into *mse.  Errors: MASO_EINVAL_ARG.
 *  Thread-safe, no allocation. */
int maso_eval_mse(const maso_image *a, const maso_image *b, double *mse);

/** PSNR in dB of @p a and @p b into *psnr (+INFINITY when equal).
 *  Errors: MASO_EINVAL_ARG. */
int maso_eval_psnr(const maso_image *a, const maso_image *b, double *psnr);

/** PSNR in dB for a given MSE, peak 255 (+INFINITY for 0). */
double maso_eval_psnr_from_mse(double mse);

/* ------------------------------------------------------------------------ */
/* SSIM                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The structural similarity index (Wang, Bovik, Sheikh and
 * Simoncelli, IEEE TIP 2004).
 *
 * Definition, chosen to equal scikit-image's
 *   structural_similarity(Y1, Y2, gaussian_weights=True, sigma=1.5,
 *                         use_sample_covariance=False, data_range=255)
 * on float64 luma planes:
 *  - Y = 0.299 R + 0.587 G + 0.114 B, unrounded, in 0..255 (L = 255);
 *  - local statistics with an 11 x 11 Gaussian window, sigma 1.5 (the
 *    1-D weights exp(-k^2 / (2 sigma^2)), k = -5..5, normalised to sum 1;
 *    scipy's gaussian_filter with truncate 3.5 has this radius of 5);
 *  - population (co)variances: var = E[x^2] - E[x]^2;
 *  - C1 = (0.01 L)^2, C2 = (0.03 L)^2;
 *  - SSIM map = (2 mx my + C1)(2 cxy + C2) / ((mx^2 + my^2 + C1)(vx + vy + C2));
 *  - the mean over the map cropped by (11 - 1) / 2 = 5 pixels on every
 *    side.  scikit-image filters with 'reflect' borders but then crops
 *    exactly the pixels whose window reaches the border, so only windows
 *    lying wholly inside the image count: we compute just those.
 * Both images must have the same size, at least 11 x 11.
 */

/** Side of the SSIM window: images must be at least this large. */
#define MASO_EVAL_SSIM_WINDOW 11

/**
 * Mean SSIM of the luma of @p a and @p b into *ssim (1 for identical
 * images, lower when they differ).  Errors: MASO_EINVAL_ARG (NULL, sizes
 * differ or below 11 x 11), ENOMEM.  Thread-safe.
 */
int maso_eval_ssim(const maso_image *a, const maso_image *b, double *ssim);

/**
 * The same on two luma planes of @p width x @p height values (e.g. from
 * maso_eval_luma()), for callers that keep planes around.
 */
int maso_eval_ssim_planes(const double *a, const double *b, int width,
                          int height, double *ssim);

/**
 * The luma plane of @p image, as SSIM uses it: a malloc'ed array of
 * width * height doubles into *plane, owned by the caller (free()).
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_eval_luma(const maso_image *image, double **plane);

/* ------------------------------------------------------------------------ */
/* Difference hash                                                          */
/* ------------------------------------------------------------------------ */

/*
 * The 64-bit difference hash, a classic near-duplicate baseline.
 *
 * The luma (0.299 R + 0.587 G + 0.114 B) is shrunk to 9 x 8 by area
 * averaging; bit 8 r + c (r, c = 0..7) is 1 when the sample right of
 * (r, c) is brighter than (r, c): a hash of the horizontal gradient signs,
 * insensitive to scaling, mild blur and global brightness.
 */

/** The difference hash of @p image into *hash.  Errors: MASO_EINVAL_ARG,
 *  ENOMEM.  Thread-safe. */
int maso_eval_dhash(const maso_image *image, uint64_t *hash);

/** Hamming distance of two hashes / 64: a value in [0, 1]. */
double maso_eval_dhash_distance(uint64_t a, uint64_t b);

/* ------------------------------------------------------------------------ */
/* Graded distortions and copy edits                                        */
/* ------------------------------------------------------------------------ */

/*
 * Graded synthetic distortions for self-supervised benchmarks.
 *
 * Eight families, each at levels 1 (mild) to 5 (strong).  The output
 * depends only on (image, family, level, seed): the same call gives the
 * same bytes on every run and every thread.  Families that need random
 * choices draw them from a generator seeded with (seed, family), and the
 * choices do not depend on the level, so the five levels of one seed are
 * the same distortion at growing strength.
 *
 *   family      parameter at levels 1..5              random choice
 *   blur        Gaussian sigma 0.5, 1, 1.5, 2.5, 4 px  -
 *               (separable, radius ceil(3 sigma), mirrored borders)
 *   noise       additive Gaussian, sd 4, 8, 14, 22, 34 the noise
 *               (per sample, out of 255; then rounded and clipped)
 *   jpeg        TurboJPEG quality 70, 45, 25, 12, 5    -
 *               (4:2:0 chroma, compressed and decoded back)
 *   resample    shrink by 1.5, 2, 3, 4, 6 (area mean,   -
 *               8-bit), then bilinear back to full size
 *   crop        keep 97, 94, 90, 84, 75 % of each side, where the window
 *               and stretch it back (bilinear)         lies
 *   brightness  contrast x0.9, 0.8, 0.7, 0.6, 0.5       brighter or
 *               around 128, brightness +-6, 12, 20,    darker
 *               30, 45
 *   color       add a per-channel offset of norm 8, 16, the direction
 *               28, 42, 60 whose channels sum to 0 (a   (hue of the cast)
 *               colour cast that keeps the mean level)
 *   rotate      1, 2, 4, 7, 10 degrees about the        clockwise or
 *               centre, bilinear, edges extended       counter-clockwise
 */

typedef enum maso_eval_distortion {
    MASO_EVAL_DISTORT_BLUR = 0,
    MASO_EVAL_DISTORT_NOISE,
    MASO_EVAL_DISTORT_JPEG,
    MASO_EVAL_DISTORT_RESAMPLE,
    MASO_EVAL_DISTORT_CROP,
    MASO_EVAL_DISTORT_BRIGHTNESS,
    MASO_EVAL_DISTORT_COLOR,
    MASO_EVAL_DISTORT_ROTATE,
    MASO_EVAL_DISTORT_COUNT /**< number of families */
} maso_eval_distortion;

/** Levels run from 1 to this. */
#define MASO_EVAL_DISTORT_LEVELS 5

/** The family's name in the table above ("blur"...), or NULL when
 *  @p kind is out of range.  Static storage. */
const char *maso_eval_distortion_name(maso_eval_distortion kind);

/** The family called @p name into *kind.  MASO_SUCCESS or
 *  MASO_ENOTFOUND (MASO_EINVAL_ARG for NULL). */
int maso_eval_distortion_from_name(const char *name,
                                   maso_eval_distortion *kind);

/** The main parameter of the table above (sigma, quality, factor, kept
 *  fraction, contrast, offset norm, degrees) for a family and level, or
 *  NaN when either is out of range. */
double maso_eval_distortion_parameter(maso_eval_distortion kind, int level);

/**
 * Distort @p src into @p dst (same size; dst->pixels malloc'ed and owned
 * by the caller: release it with maso_image_free() or free()).  On
 * failure @p dst is left empty.  Errors: MASO_EINVAL_ARG (bad image,
 * family or level), ENOMEM, MASO_ECORRUPT (TurboJPEG failed to compress
 * or decode).  Thread-safe: TurboJPEG handles are made per call.
 */
int maso_eval_distort(const maso_image *src, maso_eval_distortion kind,
                      int level, uint64_t seed, maso_image *dst);

/**
 * The edits of copy detection (maso-eval copydetect, in the style of
 * ISC2021/DISC21): what people do to a photo they copy.  Unlike the graded
 * families above the output may change size.
 *
 *   edit       what                                   random choice
 *   jpeg20     TurboJPEG quality 20, 4:2:0             -
 *   half       half width and height (area mean)      -
 *   crop10     the central 90 % of each side           -
 *   crop25     the central 75 % of each side           -
 *   bright25   values x1.25, clipped                   -
 *   blur3      Gaussian, sigma 3 px                    -
 *   grey       luma (BT.601) in all three channels     -
 *   mirror     left-right                              -
 *   rot90      a quarter turn                          clockwise or not
 *   rot5       5 degrees about the centre, bilinear,   clockwise or not
 *              edges extended
 *   border10   a black border of 10 % of each side     -
 *              on every side
 *   left70     the left 70 % of the width              -
 */
typedef enum maso_eval_copy_edit {
    MASO_EVAL_EDIT_JPEG20 = 0,
    MASO_EVAL_EDIT_HALF,
    MASO_EVAL_EDIT_CROP10,
    MASO_EVAL_EDIT_CROP25,
    MASO_EVAL_EDIT_BRIGHT25,
    MASO_EVAL_EDIT_BLUR3,
    MASO_EVAL_EDIT_GREY,
    MASO_EVAL_EDIT_MIRROR,
    MASO_EVAL_EDIT_ROT90,
    MASO_EVAL_EDIT_ROT5,
    MASO_EVAL_EDIT_BORDER10,
    MASO_EVAL_EDIT_LEFT70,
    MASO_EVAL_EDIT_COUNT /**< number of edits */
} maso_eval_copy_edit;

/** The edit's name in the table above, or NULL when out of range. */
const char *maso_eval_copy_edit_name(maso_eval_copy_edit edit);

/**
 * Apply @p edit to @p src into @p dst (dst->pixels malloc'ed, owned by
 * the caller).  Deterministic from (image, edit, seed).  On failure @p dst
 * is left empty.  Errors: MASO_EINVAL_ARG, ENOMEM, MASO_ECORRUPT
 * (TurboJPEG).  Thread-safe.
 */
int maso_eval_copy_edit_apply(const maso_image *src, maso_eval_copy_edit edit,
                              uint64_t seed, maso_image *dst);

/** Write @p image to @p path as a JPEG of @p quality (TurboJPEG, 4:4:4),
 *  through a temporary file renamed into place.  Errors: MASO_EINVAL_ARG,
 *  ENOMEM, MASO_ECORRUPT (TurboJPEG), the errno of writing. */
int maso_eval_write_jpeg(const maso_image *image, const char *path,
                         int quality);

/* ------------------------------------------------------------------------ */
/* The metric interface                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The interface every image metric of maso-eval implements.
 *
 * A metric compares two images in two steps, so that a benchmark that
 * compares one image with many prepares it once: prepare() turns an image
 * into a state (a copy, a luma plane, a hash, a spline code...), and
 * distance() compares two states.  Built in: "l2" (MSE over RGB), "psnr",
 * "ssim" (see SSIM above) and "dhash" (see the difference hash).  To add one, fill in a
 * maso_eval_metric with your functions; @p user carries whatever they need (a
 * model, a forward context...).
 */

typedef struct maso_eval_metric maso_eval_metric;

struct maso_eval_metric {
    /** Short name, e.g. "ssim"; static storage. */
    const char *name;
    /** 1 when the value grows as the images become more alike (PSNR,
     *  SSIM: similarities), 0 when it is a distance (L2, dhash). */
    int higher_is_better;
    /** Build the state of @p image into *state, owned by the caller and
     *  released with release().  Returns 0 or a maso status. */
    int (*prepare)(const maso_eval_metric *metric, const maso_image *image,
                   void **state);
    /** Compare two states from prepare() into *value.  Returns 0 or a
     *  maso status (e.g. MASO_EINVAL_ARG when the sizes differ for a
     *  metric that needs equal sizes).  Must not modify the states, so
     *  that threads may share them. */
    int (*distance)(const maso_eval_metric *metric, const void *a,
                    const void *b, double *value);
    /** Release a state (NULL allowed). */
    void (*release)(const maso_eval_metric *metric, void *state);
    /** For the metric's own use; NULL for the built-in ones. */
    void *user;
};

/** The built-in metric called @p name, or NULL.  Static storage. */
const maso_eval_metric *maso_eval_metric_find(const char *name);

/** The @p i-th built-in metric (0, 1, ...), NULL past the last one. */
const maso_eval_metric *maso_eval_metric_builtin(size_t i);

/** @p value turned into a dissimilarity (larger = less alike), as 2AFC and
 *  JND scoring expect: -value for higher_is_better metrics. */
double maso_eval_metric_dissimilarity(const maso_eval_metric *metric,
                                      double value);

/** Convenience: prepare both images, compare, release.  Returns 0 or the
 *  first failing status. */
int maso_eval_metric_compare(const maso_eval_metric *metric,
                             const maso_image *a, const maso_image *b,
                             double *value);

/* ------------------------------------------------------------------------ */
/* Non-negative weight fits                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Non-negative per-feature weights fitted to human judgments,
 * for calibrating the layer weights of a distance (maso-eval fit).
 *
 * Data: n rows of k features, row-major in x (n * k doubles).  Both fits
 * keep every weight >= 0 (a distance must not shrink when a layer differs
 * more) by projected gradient descent with a backtracking step, starting
 * from all ones, and stop when the loss no longer decreases (or after
 * MASO_EVAL_FIT_ITERATIONS steps).  They return MASO_SUCCESS, MASO_EINVAL_ARG
 * (NULL, n < 2, k == 0, a non-finite value, a target outside its range)
 * or ENOMEM.  Thread-safe, no state.
 */

#define MASO_EVAL_FIT_ITERATIONS 5000

/**
 * Logistic regression without intercept on soft labels h[i] in [0, 1]:
 * minimise the mean cross-entropy of h against sigmoid(x_i . w) over
 * w >= 0.  For 2AFC, x_i = d0 - d1 per layer and h = judge (the fraction
 * who found p1 closer): no intercept, since swapping p0 and p1 negates x
 * and turns h into 1 - h.  @p loss, when not NULL, receives the final
 * mean cross-entropy.
 */
int maso_eval_fit_logistic(const double *x, const double *h, size_t n, size_t k,
                           double *w, double *loss);

/**
 * Least squares with a free intercept: minimise the mean of
 * (y_i - b - x_i . w)^2 over w >= 0 and any b.  @p intercept, when not
 * NULL, receives b; @p loss the final mean squared residual.
 */
int maso_eval_fit_least_squares(const double *x, const double *y, size_t n,
                                size_t k, double *w, double *intercept,
                                double *loss);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_H */
