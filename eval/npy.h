/*
 * npy.h -- reading a vector of numbers from a NumPy .npy file.
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
#ifndef MASO_EVAL_NPY_H
#define MASO_EVAL_NPY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A reader: holds the values of the last file read and its error text.
 *  Not thread-safe; use one per thread. */
typedef struct maso_npy maso_npy;

/** Create a reader.  MASO_SUCCESS, MASO_EINVAL_ARG or ENOMEM. */
int maso_npy_create(maso_npy **npy);
/** Release a reader and its values (NULL allowed). */
void maso_npy_destroy(maso_npy *npy);

/**
 * Read the .npy file at @p path, replacing the reader's values.
 * Errors: MASO_EDATA (the content is not an accepted .npy: see above),
 * the errno of fopen()/fread() (e.g. ENOENT), ENOMEM, MASO_EINVAL_ARG.
 * maso_npy_errmsg() then names the file and the cause.
 */
int maso_npy_load_file(maso_npy *npy, const char *path);

/** Parse .npy bytes held in memory; @p name appears in messages only. */
int maso_npy_load_memory(maso_npy *npy, const void *data, size_t size,
                         const char *name);

/** The values read by the last successful load, as doubles, and their
 *  number in *count.  Owned by the reader; valid until its next load or
 *  destroy.  NULL with *count 0 before any successful load. */
const double *maso_npy_values(const maso_npy *npy, size_t *count);

/** The message of the last failure ("" after a success).  Owned by the
 *  reader; valid until its next call. */
const char *maso_npy_errmsg(const maso_npy *npy);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_NPY_H */
