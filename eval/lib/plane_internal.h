/* plane_internal.h -- float64 image planes shared by the eval metrics and
 * distortions.  Not public. */
#ifndef MASO_EVAL_PLANE_INTERNAL_H
#define MASO_EVAL_PLANE_INTERNAL_H

#include "maso.h"

/* 1 when image is a usable RGB image: non-NULL pixels, sizes >= 1. */
int meval_image_ok(const maso_image *image);

/* Luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) of every pixel, in
 * 0..255, unrounded, into out[width * height]. */
void meval_plane_luma(const maso_image *image, double *out);

/* Area-average resampling of a w x h plane with c interleaved channels
 * to nw x nh: every output sample is the mean of the source area it
 * covers, fractional pixels weighted by their overlap.  Exact for
 * downscaling (no source pixel skipped); for upscaling it is a box filter
 * (mostly nearest-neighbour).  Returns 0 or ENOMEM. */
int meval_plane_area_resize(const double *src, int w, int h, int c,
                            double *dst, int nw, int nh);

#endif
