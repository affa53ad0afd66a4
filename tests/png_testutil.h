/* png_testutil.h -- 8-bit RGB PNG files through libpng's simplified API,
 * independent of maso's own decoder: for tests and the fixture makers
 * (make_eval_fixtures, make_query_variants). */
#ifndef PNG_TESTUTIL_H
#define PNG_TESTUTIL_H

#include "maso.h"

/* Read the PNG at @p path as 8-bit RGB (alpha removed by libpng,
 * 16-bit reduced) into @p img (pixels malloc'ed: free(img->pixels)
 * or maso_image_free()).  Returns 0, or -1 with @p img untouched. */
int png_test_read(const char *path, maso_image *img);

/* Write @p img to @p path as an 8-bit RGB PNG; @p fast trades file size
 * for speed (scratch files).  Returns 0 or -1. */
int png_test_write(const char *path, const maso_image *img, int fast);

#endif
