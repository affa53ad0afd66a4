/* eval_testutil.h -- helpers for the eval tests: a PNG reader that does
 * not depend on maso's decoder, and a way to run the reference Python. */
#ifndef MASO_EVAL_TESTUTIL_H
#define MASO_EVAL_TESTUTIL_H

#include <stddef.h>

#include "maso.h"

/* Read an 8-bit RGB (or RGBA, alpha dropped) PNG with libpng into img
 * (pixels malloc'ed; free(img->pixels)).  Returns 0 or -1. */
int eval_test_read_png(const char *path, maso_image *img);

/* Load /work/shared/images/kodak/<name> via MASO_SHARED_DIR; fails the
 * test when missing. */
void eval_test_kodak(const char *name, maso_image *img);

/* Run `/usr/bin/python3 -c script` and return its stdout (malloc'ed) or
 * fail the test with a message naming what is missing. */
char *eval_test_python(const char *script);

/* Write size bytes to path; fails the test on error. */
void eval_test_write(const char *path, const void *data, size_t size);

#endif
