/* synth_codes.h -- synthetic SqueezeNet-shaped sketches for the benchmarks.
 *
 * Layout shaped like SqueezeNet v1.1's 29 coded layers (26 ReLU, 3 max-pool
 * with 3x3 windows), sampled like the default sketch (core/include/maso.h):
 * MASO_SKETCH_RELU_SAMPLES per ReLU layer, MASO_SKETCH_MAXPOOL_SAMPLES
 * nibbles per max-pool layer (2048 and 640: 26 * 256 + 3 * 320 = 7616 bytes
 * per sketch).  Per-layer densities come from the golden codes.tsv
 * files.  Records are clustered: a few thousand prototypes with skewed
 * popularity (the biggest clusters hold tens of thousands of records, so
 * ranking inside a cluster matters), each record a prototype with units
 * resampled at a record-specific rate.
 *
 * Shared by bench_search and bench_faiss so both scan the very same bytes.
 * Everything is deterministic: the same calls in the same order give the
 * same records and queries.  Benchmark code: failures are reported on
 * stderr.
 */
#ifndef SYNTH_CODES_H
#define SYNTH_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNTH_LAYERS 29
#define SYNTH_RATE_LEVELS 16

typedef struct synth_codes {
    maso_code_layer layout[SYNTH_LAYERS];
    double density[SYNTH_LAYERS];
    size_t record_bytes;
    /* random word pools: values per layer (its density), resample masks
     * per rate level ([0] bits, [1] nibbles) */
    uint64_t *value_pool[SYNTH_LAYERS];
    uint64_t *mask_pool[2][SYNTH_RATE_LEVELS];
    uint8_t *protos;    /* n_protos records of record_bytes */
    size_t n_protos;
    uint64_t rng;       /* drives prototypes, then queries */
} synth_codes;

/* Zero @p c and read the layout and densities from the golden codes under
 * @p shared_dir.  Returns 0, or -1 (message on stderr). */
int synth_codes_load(synth_codes *c, const char *shared_dir);

/* Build the word pools and @p n_protos prototypes.  Returns 0 or -1. */
int synth_codes_prepare(synth_codes *c, size_t n_protos);

/* Write records [0, n) at base + i*stride, on 2 threads. */
void synth_codes_fill(const synth_codes *c, uint8_t *base, size_t stride,
                      size_t n);

/* Write the next query (record_bytes bytes): a prototype drawn like the
 * records, its units resampled at rate level 2 (about 6%). */
void synth_codes_query(synth_codes *c, uint8_t *out);

/* Release what load/prepare allocated. */
void synth_codes_free(synth_codes *c);

#ifdef __cplusplus
}
#endif
#endif
