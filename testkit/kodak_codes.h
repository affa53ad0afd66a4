/* kodak_codes.h -- full codes of the Kodak photos and of distorted copies,
 * and the rank agreement of sketch distances with full-code distances over
 * their pairs.  Shared by tests/test_sketch_fidelity.c (the assertion) and
 * bench/sketch_fidelity.c (the trade-off table for README).
 *
 * The set: the n_orig photos of a folder (sorted by name) first, then for
 * every distort_every-th photo a copy per family and level, made with
 * maso_eval_distort() (seed 1).  Pairs are ordered by (j, i) with i < j,
 * so the first n_orig*(n_orig-1)/2 pairs are the original-original ones. */
#ifndef MASO_KODAK_CODES_H
#define MASO_KODAK_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "maso_eval.h"
#include "maso.h"

typedef struct kodak_codes {
    size_t n;          /* codes held */
    size_t n_orig;     /* the first n_orig are the undistorted photos */
    size_t code_bytes; /* maso_model_code_bytes() */
    uint8_t *codes;    /* n * code_bytes, owned */
    int *source;       /* per code, the index of the photo it comes from */
} kodak_codes;

/* What to distort: families[n_families] at levels[n_levels] for photos
 * 0, every, 2*every... (every 0: none). */
typedef struct kodak_distortions {
    const maso_eval_distortion *families;
    size_t n_families;
    const int *levels;
    size_t n_levels;
    size_t every;
} kodak_distortions;

/* The names (not paths) of the .png/.jpg/.jpeg files of @p dir, sorted so
 * that a set does not depend on readdir's order; *count of them.  NULL
 * (count 0) when the folder cannot be read or holds none.  Release with
 * kodak_free_names(). */
char **kodak_list_images(const char *dir, size_t *count);
void kodak_free_names(char **names, size_t n);

/* Decode every .png/.jpg of @p dir (min size = the model's input), distort,
 * run @p model (two threads, a context each).  0, or -1 with a message in
 * @p err naming the file and the cause.  @p out is freed on failure. */
int kodak_codes_build(const maso_model *model, const char *dir,
                      const kodak_distortions *dist, kodak_codes *out,
                      char *err, size_t err_size);
void kodak_codes_free(kodak_codes *codes);

/* Number of pairs of n codes: n(n-1)/2. */
size_t kodak_pairs(size_t n);

/* Full-code distance (equal weights) of every pair into @p d
 * (kodak_pairs(n) doubles, pair order above). */
void kodak_full_distances(const maso_model *model, const kodak_codes *codes,
                          double *d);

/* The rank agreement of one sketch with the full distances @p full:
 * Spearman's rho over all pairs (*rho_all) and over the original-original
 * pairs (*rho_orig; requires n_orig >= 3), and the sketch size.  0, or a
 * MASO_* / errno status. */
int kodak_sketch_fidelity(const maso_model *model, const kodak_codes *codes,
                          const double *full,
                          const maso_sketch_params *params, double *rho_all,
                          double *rho_orig, size_t *sketch_bytes);

#endif
