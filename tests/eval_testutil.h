/* eval_testutil.h -- helpers for the eval tests: Kodak images read
 * without maso's decoder (png_testutil.h), and a way to run the reference
 * Python. */
#ifndef MASO_EVAL_TESTUTIL_H
#define MASO_EVAL_TESTUTIL_H

#include <stddef.h>

#include "maso.h"

/* Load /work/shared/images/kodak/<name> via MASO_SHARED_DIR; fails the
 * test when missing. */
void eval_test_kodak(const char *name, maso_image *img);

/* Run `/usr/bin/python3 -c script` and return its stdout (malloc'ed) or
 * fail the test with a message naming what is missing. */
char *eval_test_python(const char *script);

/* Write size bytes to path; fails the test on error. */
void eval_test_write(const char *path, const void *data, size_t size);

#endif
