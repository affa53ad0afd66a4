/*
 * sketch_internal.h -- the selection of a sketch's positions, exposed so
 * that tests can run each of its paths against a plain reference.
 * Internal to libmaso.
 */
#ifndef CORE_SKETCH_INTERNAL_H
#define CORE_SKETCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The paths of the selection: all give the same positions. */
typedef enum core_sketch_path {
    CORE_SKETCH_PATH_BEST = 0,   /* the fastest this CPU runs */
    CORE_SKETCH_PATH_SCALAR = 1, /* plain C */
    CORE_SKETCH_PATH_AVX512 = 2  /* 8 draws at a time (AVX-512F + DQ) */
} core_sketch_path;

/* Nonzero when this CPU runs CORE_SKETCH_PATH_AVX512. */
int core_sketch_avx512_usable(void);

/* Write the min(m, units) positions of layer @p layer (of @p units units)
 * for @p seed into @p out, sorted, with @p path (one this CPU runs). */
void core_sketch_select(uint64_t seed, size_t layer, size_t units, size_t m,
                        uint32_t *out, core_sketch_path path);

#endif /* CORE_SKETCH_INTERNAL_H */
