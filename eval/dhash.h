/*
 * dhash.h -- the 64-bit difference hash, a classic near-duplicate baseline.
 *
 * The luma (0.299 R + 0.587 G + 0.114 B) is shrunk to 9 x 8 by area
 * averaging; bit 8 r + c (r, c = 0..7) is 1 when the sample right of
 * (r, c) is brighter than (r, c): a hash of the horizontal gradient signs,
 * insensitive to scaling, mild blur and global brightness.
 */
#ifndef MASO_EVAL_DHASH_H
#define MASO_EVAL_DHASH_H

#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The difference hash of @p image into *hash.  Errors: MASO_EINVAL_ARG,
 *  ENOMEM.  Thread-safe. */
int maso_image_dhash(const maso_image *image, uint64_t *hash);

/** Hamming distance of two hashes / 64: a value in [0, 1]. */
double maso_dhash_distance(uint64_t a, uint64_t b);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_DHASH_H */
