/*
 * distort.h -- graded synthetic distortions for self-supervised benchmarks.
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
#ifndef MASO_EVAL_DISTORT_H
#define MASO_EVAL_DISTORT_H

#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum maso_distortion {
    MASO_DISTORT_BLUR = 0,
    MASO_DISTORT_NOISE,
    MASO_DISTORT_JPEG,
    MASO_DISTORT_RESAMPLE,
    MASO_DISTORT_CROP,
    MASO_DISTORT_BRIGHTNESS,
    MASO_DISTORT_COLOR,
    MASO_DISTORT_ROTATE,
    MASO_DISTORT_COUNT /**< number of families */
} maso_distortion;

/** Levels run from 1 to this. */
#define MASO_DISTORT_LEVELS 5

/** The family's name in the table above ("blur"...), or NULL when
 *  @p kind is out of range.  Static storage. */
const char *maso_distortion_name(maso_distortion kind);

/** The family called @p name into *kind.  MASO_SUCCESS or
 *  MASO_ENOTFOUND (MASO_EINVAL_ARG for NULL). */
int maso_distortion_from_name(const char *name, maso_distortion *kind);

/** The main parameter of the table above (sigma, quality, factor, kept
 *  fraction, contrast, offset norm, degrees) for a family and level, or
 *  NaN when either is out of range. */
double maso_distortion_parameter(maso_distortion kind, int level);

/**
 * Distort @p src into @p dst (same size; dst->pixels malloc'ed and owned
 * by the caller: release it with maso_image_free() or free()).  On
 * failure @p dst is left empty.  Errors: MASO_EINVAL_ARG (bad image,
 * family or level), ENOMEM, MASO_ECORRUPT (TurboJPEG failed to compress
 * or decode).  Thread-safe: TurboJPEG handles are made per call.
 */
int maso_image_distort(const maso_image *src, maso_distortion kind,
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
typedef enum maso_copy_edit {
    MASO_EDIT_JPEG20 = 0,
    MASO_EDIT_HALF,
    MASO_EDIT_CROP10,
    MASO_EDIT_CROP25,
    MASO_EDIT_BRIGHT25,
    MASO_EDIT_BLUR3,
    MASO_EDIT_GREY,
    MASO_EDIT_MIRROR,
    MASO_EDIT_ROT90,
    MASO_EDIT_ROT5,
    MASO_EDIT_BORDER10,
    MASO_EDIT_LEFT70,
    MASO_EDIT_COUNT /**< number of edits */
} maso_copy_edit;

/** The edit's name in the table above, or NULL when out of range. */
const char *maso_copy_edit_name(maso_copy_edit edit);

/**
 * Apply @p edit to @p src into @p dst (dst->pixels malloc'ed, owned by
 * the caller).  Deterministic from (image, edit, seed).  On failure @p dst
 * is left empty.  Errors: MASO_EINVAL_ARG, ENOMEM, MASO_ECORRUPT
 * (TurboJPEG).  Thread-safe.
 */
int maso_image_copy_edit(const maso_image *src, maso_copy_edit edit,
                         uint64_t seed, maso_image *dst);

/** Write @p image to @p path as a JPEG of @p quality (TurboJPEG, 4:4:4),
 *  through a temporary file renamed into place.  Errors: MASO_EINVAL_ARG,
 *  ENOMEM, MASO_ECORRUPT (TurboJPEG), the errno of writing. */
int maso_image_write_jpeg(const maso_image *image, const char *path,
                          int quality);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_DISTORT_H */
