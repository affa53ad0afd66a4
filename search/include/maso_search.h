/*
 * maso_search.h -- nearest neighbours and near-duplicates over sketches.
 *
 * The store keeps one fixed-size record per image: a *sketch*, a sampled
 * spline code laid out by its own maso_code_layer table (core/include/maso.h: RELU
 * sections are bits, MAXPOOL sections 4-bit nibbles, sections 64-byte
 * aligned and zero-padded).  libmaso_search compares a query sketch with
 * every stored sketch, in place, without copying, and never touches LMDB or
 * the network: the caller hands it *segments* (pointers into memory maps).
 *
 * The distance between two sketches is the spline-code distance of
 * maso_code_distance(): per layer the fraction of differing units, then a
 * weighted mean over layers (equal weights unless set).
 *
 * Two search modes:
 *  - exact: every record is compared (memory-bandwidth bound, split over
 *    threads);
 *  - coarse + rerank: a small *summary* per record (default 512 bits, a
 *    fixed sample of the sketch's bits, see maso_search_summarize()) is
 *    scanned first with popcount; the best `candidates` records are then
 *    ranked with the exact distance.  The store keeps the summaries in their
 *    own contiguous blocks, next to the sketches.
 * and near-duplicate grouping (maso_search_duplicates()) that never compares
 * all pairs.
 *
 * What the store provides (per block of records written together):
 *  - the sketches, one per stride bytes (stride = record bytes rounded up
 *    to 64; 7616 bytes for SqueezeNet's 29 layers with the default
 *    sketch), in one contiguous run that the memory map exposes 8-byte
 *    aligned or better;
 *  - the ids of those records, a uint64_t array in the same order;
 *  - the summaries, maso_search_summary_bytes() each (64 by default),
 *    packed contiguously in the same order, computed at insert time with
 *    maso_search_summarize() and stored with MASO_SEARCH_SUMMARY_VERSION
 *    and the summary size (recompute when either changes).  Summaries are
 *    ~1% of the sketches: keeping them in their own blocks means a coarse
 *    query reads 64 MB for 1M records instead of 7.6 GB.
 *  Each such block is one maso_search_segment; any number of blocks or
 *  stores are searched together.
 *
 * Conventions are those of core/include/maso.h: functions return 0, a negative
 * MASO_* code or a positive errno; the handle keeps a detailed message for
 * maso_search_errmsg().
 *
 * Thread safety: a maso_search handle is configured by one thread; once
 * configured, maso_search_query() and maso_search_duplicates() write only
 * the handle's error message, so concurrent queries need one handle each
 * (handles are cheap: a copy of the layout table).  Internally a query runs
 * on up to `threads` POSIX threads that it creates and joins.
 */
#ifndef MASO_SEARCH_H
#define MASO_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the summary definition (bit choice and packing).  The store
 *  records it with the summaries and recomputes them when it changes. */
#define MASO_SEARCH_SUMMARY_VERSION 1

/** Default and allowed summary sizes, in bits (multiples of 64). */
#define MASO_SEARCH_SUMMARY_BITS_DEFAULT 512
#define MASO_SEARCH_SUMMARY_BITS_MAX 4096

/**
 * A run of records the engine reads in place.
 *
 * Record i starts at base + i*stride and holds at least
 * maso_search_record_bytes() bytes laid out by the sketch table.  stride is
 * a multiple of 64; base needs only 8-byte alignment (records are read with
 * unaligned loads).  ids[i] names record i in results; ids may be NULL, then
 * record i of segment s is named by its position counted over all segments
 * (segment 0 first).  summaries, when not NULL, holds count summaries of
 * maso_search_summary_bytes() bytes each, packed one after the other
 * (8-byte aligned): summaries + i*summary_bytes belongs to record i.  The
 * coarse stage needs the summaries of every segment.
 *
 * The memory belongs to the caller and must stay valid and unchanged for
 * the duration of each call that receives it.
 */
typedef struct maso_search_segment {
    const uint8_t *base;
    size_t stride;
    size_t count;
    const uint64_t *ids;
    const uint8_t *summaries;
} maso_search_segment;

/** One result: a record id and its distance to the query, in [0, 1]. */
typedef struct maso_search_hit {
    uint64_t id;
    double distance;
} maso_search_hit;

/** Parameters of one query.  Initialise with maso_search_params_init(). */
typedef struct maso_search_params {
    /** Number of results wanted, >= 1.  Fewer are returned when fewer
     *  records (within the threshold) exist.  Default 10. */
    size_t k;
    /** Keep only records with distance <= threshold; a negative value
     *  means no threshold.  Default -1. */
    double threshold;
    /** 0: exact scan of all records.  Otherwise the number of candidates
     *  the summary scan keeps for exact reranking (>= k).  Default 0. */
    size_t candidates;
} maso_search_params;

/** Fill @p params with the defaults documented in maso_search_params. */
void maso_search_params_init(maso_search_params *params);

/** The recommended number of candidates for the coarse stage: the value
 *  measured to give recall@10 >= 0.99 on the benchmark (bench_search.c). */
#define MASO_SEARCH_CANDIDATES_DEFAULT 4000

/** A search engine configured for one sketch layout. */
typedef struct maso_search maso_search;

/**
 * Create an engine for sketches laid out by @p layers (@p n_layers entries,
 * copied; layer names are not kept).  Every section must be 64-byte
 * aligned, a multiple of 64 bytes, large enough for its units, and MAXPOOL
 * sections must use 4 or 8 bits per unit.  Equal weights, 1 thread, a
 * summary of MASO_SEARCH_SUMMARY_BITS_DEFAULT bits.
 * Errors: MASO_EINVAL_ARG (with no handle: @p *search is set to NULL and
 * nothing else can carry the message), ENOMEM.
 */
int maso_search_create(const maso_code_layer *layers, size_t n_layers,
                       maso_search **search);

/** Release @p search (NULL allowed). */
void maso_search_destroy(maso_search *search);

/** The message of the last failure on @p search, "" after a success.
 *  Owned by the handle; valid until its next call. */
const char *maso_search_errmsg(const maso_search *search);

/** Size in bytes of one sketch (end of the last section); the smallest
 *  allowed stride is this rounded up to 64. */
size_t maso_search_record_bytes(const maso_search *search);

/**
 * Set the layer weights: @p weights holds n_layers non-negative finite
 * values (zero leaves a layer out, at least one must be positive), or is
 * NULL for equal weights.  Weights do not change summaries: layers with
 * weight zero are masked out of the summary comparison, other weights are
 * approximated there by the sample (exact after reranking).
 * Errors: MASO_EINVAL_ARG.
 */
int maso_search_set_weights(maso_search *search, const double *weights);

/** Run queries on @p threads threads (1..256).  Errors: MASO_EINVAL_ARG. */
int maso_search_set_threads(maso_search *search, int threads);

/**
 * Choose the summary size, @p bits a multiple of 64 in
 * [64, MASO_SEARCH_SUMMARY_BITS_MAX].  Summaries made with another size
 * are not comparable.  Errors: MASO_EINVAL_ARG.
 */
int maso_search_set_summary_bits(maso_search *search, size_t bits);

/**
 * Use the distance kernels called @p name: "fused" (a whole-sketch loop in
 * AVX-512 with VPOPCNTDQ that keeps the counts of each group of layers
 * with one factor in vector lanes: the default where the CPU has it), or
 * the name of a libmaso kernel set (maso_kernels_get():
 * "avx512-vpopcntdq", "avx512bw", "avx2", "scalar"), called once per run of
 * layers (the default elsewhere: maso_kernels_best()).  All give the same
 * counts and sum them in the same order: the same distances to the bit;
 * tests compare them.
 * Errors: MASO_ENOTFOUND (unknown, or not supported by this CPU).
 */
int maso_search_set_kernels(maso_search *search, const char *name);

/** The name of the kernels in use (static storage). */
const char *maso_search_kernels(const maso_search *search);

/** Size in bytes of one summary (summary bits / 8). */
size_t maso_search_summary_bytes(const maso_search *search);

/** How many summary bits belong to layers of non-zero weight (the others
 *  are masked out of the summary distance): with fewer, the summary
 *  ranks candidates less well, and a caller may keep more of them (the
 *  exact distance then reads only the weighted layers too). */
size_t maso_search_summary_weighted_bits(const maso_search *search);

/**
 * Write the summary of sketch @p record to @p summary
 * (maso_search_summary_bytes() bytes).
 *
 * The summary is a fixed sample of the sketch: bit j is one unit of one
 * layer, the layers taking turns so that each gets the same share of the
 * bits (its weight in the default distance) and the units of a layer
 * spread evenly over it, at an offset drawn from a fixed generator; for a
 * MAXPOOL unit the bit is the parity of the winner's index, so two
 * different winners differ there with probability ~1/2.  The sample
 * depends only on the layout and the summary size (and
 * MASO_SEARCH_SUMMARY_VERSION), never on the data or the weights, so the
 * store can compute it once per record.  The expected summary Hamming
 * distance between two sketches is at most bits * (their equal-weight
 * distance).
 * Errors: MASO_EINVAL_ARG.
 */
int maso_search_summarize(const maso_search *search, const uint8_t *record,
                          uint8_t *summary);

/** The exact distance between sketches @p a and @p b with the current
 *  weights (the value queries report). */
double maso_search_distance(const maso_search *search, const uint8_t *a,
                            const uint8_t *b);

/**
 * Find the records nearest to the sketch @p query over @p n_segments
 * segments, as if they formed one store.
 *
 * Results go to @p hits (room for params->k entries, owned by the caller),
 * sorted by distance, ties by id (a distance is sum over groups of layers
 * with one factor of factor * differing units, in a fixed order: two
 * records with the same counts per group tie exactly, whatever the
 * kernels; two that are equal in exact arithmetic but differ in their
 * counts per group may differ in the last bit); *n_hits receives their
 * number (<= k).
 * With params->candidates > 0 the summaries of all segments are scanned
 * first (@p query_summary is the query's summary, or NULL to compute it)
 * and only the best candidates are ranked exactly: results are exact
 * distances but may miss a true neighbour (recall measured by
 * bench_search).  Empty segments are allowed.
 * Errors: MASO_EINVAL_ARG (k == 0, candidates < k, a bad segment, missing
 * summaries in coarse mode), ENOMEM, or the error of pthread_create().
 */
int maso_search_query(maso_search *search,
                      const maso_search_segment *segments, size_t n_segments,
                      const uint8_t *query, const uint8_t *query_summary,
                      const maso_search_params *params, maso_search_hit *hits,
                      size_t *n_hits);

/**
 * maso_search_query() for a query given as @p n_probes sketches (1 to 16,
 * e.g. the orientations of one image): a record's distance is its
 * smallest distance to any probe.  The records are read once for all
 * probes (the exact scan and the summary scan cost about one probe's
 * memory traffic); summaries of the probes are computed here.  Errors as
 * maso_search_query(), MASO_EINVAL_ARG for a NULL probe or a count out of
 * range.
 */
int maso_search_query_probes(maso_search *search,
                             const maso_search_segment *segments,
                             size_t n_segments, const uint8_t *const *probes,
                             size_t n_probes,
                             const maso_search_params *params,
                             maso_search_hit *hits, size_t *n_hits);

/**
 * The two stages of a coarse query, apart, for a search split over several
 * processes (MPI ranks, each holding some of the segments) that must pick
 * the candidates one process would pick over all of them.
 *
 * maso_search_summary_best(): the summary stage of
 * maso_search_query_probes() alone: the @p candidates (>= 1) best records
 * by summary distance (the smallest over the @p n_probes probes, a whole
 * number of differing summary bits in [0, summary bits]), ties by
 * position, into @p best (room for @p candidates, owned by the caller),
 * sorted; best[i].id is the record's *position*, its index counted over
 * all segments (segment 0 first), not its id, and best[i].distance its
 * summary distance.  maso_search_query_probes() with params->candidates
 * = C reranks exactly these C records.
 *
 * maso_search_rank_positions(): the exact stage alone: the records at
 * @p positions (any subset, e.g. those of maso_search_summary_best() that
 * fall within an agreed cut) ranked by their exact distance to the probes,
 * params->k best within params->threshold into @p hits as
 * maso_search_query() gives them (params->candidates is ignored).
 *
 * Errors: MASO_EINVAL_ARG (a position out of range, k == 0, 0 candidates,
 * missing summaries), ENOMEM, or the error of pthread_create().
 */
int maso_search_summary_best(maso_search *search,
                             const maso_search_segment *segments,
                             size_t n_segments, const uint8_t *const *probes,
                             size_t n_probes, size_t candidates,
                             maso_search_hit *best, size_t *n_best);

int maso_search_rank_positions(maso_search *search,
                               const maso_search_segment *segments,
                               size_t n_segments,
                               const uint8_t *const *probes, size_t n_probes,
                               const uint64_t *positions, size_t n_positions,
                               const maso_search_params *params,
                               maso_search_hit *hits, size_t *n_hits);

/**
 * The global cut of a split summary stage.  @p histogram[d] (@p n_bins =
 * summary bits + 1 entries) counts, over all parts, the records at summary
 * distance d among each part's maso_search_summary_best() (with the same
 * @p candidates): the best @p candidates of the whole collection are among
 * them.  *distance receives the summary distance of the last of those and
 * *take how many records at exactly that distance are candidates (those
 * first in the whole collection's order): records nearer than *distance
 * all are.  When the histogram counts fewer than @p candidates records,
 * every one is a candidate.  Errors: MASO_EINVAL_ARG.
 */
int maso_search_summary_cut(const uint64_t *histogram, size_t n_bins,
                            uint64_t candidates, uint32_t *distance,
                            uint64_t *take);

/**
 * Near-duplicate groups: the connected components of the graph whose edges
 * join records at distance <= max_distance, components of one record left
 * out.
 *
 * Members are listed in ids[offsets[g] .. offsets[g+1]-1], in increasing
 * order of their position in the segments; max_distance[g] is the largest
 * distance between two members of group g (exact, all pairs of the group
 * are compared) for groups of up to MASO_SEARCH_GROUP_DIAMETER_MAX
 * members; of a larger group (all pairs would cost more than finding it)
 * the largest distance of a member to its first member, at least half the
 * diameter.  Groups are ordered by their first member.
 */
#define MASO_SEARCH_GROUP_DIAMETER_MAX 256

typedef struct maso_search_groups {
    size_t n_groups;
    size_t *offsets;      /**< n_groups + 1 entries */
    uint64_t *ids;        /**< offsets[n_groups] entries */
    double *max_distance; /**< n_groups entries */
} maso_search_groups;

/** Release the arrays of @p groups (NULL allowed) and zero it. */
void maso_search_groups_free(maso_search_groups *groups);

/**
 * Group near-duplicates within @p max_distance (in [0, 1)) without
 * comparing all pairs.
 *
 * Candidate pairs come from the summaries (required for every segment):
 * they are cut into @p bands chunks (bands divides the summary bits into
 * chunks of 8..64 bits; 0 chooses automatically) and two records become a
 * candidate pair when one chunk is exactly equal; every candidate pair is
 * then verified with the exact distance.  Bound relied on: two records
 * whose (masked) summaries differ in fewer than `bands` bits share a chunk
 * (pigeonhole), so they are always found.  Summary distance is a sample:
 * for an equal-weight distance d its mean is at most bits*d, and the
 * automatic choice takes the smallest power of two bands >= l + 6*sqrt(l)
 * + 6 with l = bits * max_distance, so that a pair within max_distance is
 * missed with probability < 1e-6 (binomial tail), not never.  Candidate pairs whose summaries
 * differ in `bands` bits or more are dropped without computing their exact
 * distance (the bound promises nothing for them), and edges between
 * records already in one component are not verified again.
 *
 * On success fills @p groups (arrays owned by the caller, released with
 * maso_search_groups_free()).  Cost: sorting `bands` arrays of n entries,
 * plus one exact distance per colliding pair; records with identical
 * chunks of low entropy collide a lot (a chunk of 32 bits from sparse
 * layers), which is why chunks interleave all layers.
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_search_duplicates(maso_search *search,
                           const maso_search_segment *segments,
                           size_t n_segments, double max_distance,
                           size_t bands, maso_search_groups *groups);

/**
 * The banding of maso_search_duplicates(), record by record, for callers
 * that find the colliding pairs themselves (an MPI job exchanging the keys
 * of its ranks' records all-to-all).  The candidate pairs of
 * maso_search_duplicates() with @p bands are exactly the pairs of records
 * with an equal key in some band whose maso_search_band_pair() is 1; its
 * groups are the components of the candidate pairs within max_distance.
 *
 * maso_search_bands(): the automatic number of bands for @p max_distance
 * (what bands = 0 chooses).
 * maso_search_band_keys(): the @p bands keys of the record whose summary
 * is @p summary into keys[0 .. bands-1] (the masked chunk of each band, in
 * its low bits).  Errors: MASO_EINVAL_ARG (bands does not cut the summary
 * into chunks of 8..64 bits).
 * maso_search_band_pair(): 1 when the masked summaries @p a and @p b
 * differ in fewer than @p bands bits (the pairs the pigeonhole bound is
 * about; others are dropped without an exact distance), else 0.
 */
size_t maso_search_bands(const maso_search *search, double max_distance);
int maso_search_band_keys(maso_search *search, const uint8_t *summary,
                          size_t bands, uint64_t *keys);
int maso_search_band_pair(const maso_search *search, const uint8_t *a,
                          const uint8_t *b, size_t bands);

/**
 * Near-duplicate groups equal to the connected components of all pairs at
 * distance <= @p max_distance (in [0, 1]) under the current weights,
 * components of one record left out (same layout and order as
 * maso_search_duplicates()).
 *
 * @p candidates 0: every pair is compared with the exact distance (no
 * summaries needed): the groups are those of an all-pairs computation, at
 * any threshold.  Cost n^2/2 distances at most, on the handle's threads,
 * less inside clusters (a pair already joined is not compared).
 * @p candidates > 0: each record's @p candidates nearest others by the
 * summary distance weighted like the exact one (summaries required) are
 * compared exactly; a pair within max_distance is missed only when neither
 * record is among the other's candidates (its recall is measured by
 * bench_dupes).  Cost n^2 summary distances plus n * candidates exact ones.
 *
 * *verified (when not NULL) receives the number of exact distances
 * computed to find the groups (not counting max_distance).
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_search_group(maso_search *search,
                      const maso_search_segment *segments, size_t n_segments,
                      double max_distance, size_t candidates,
                      maso_search_groups *groups, uint64_t *verified);

/**
 * Other sketches of each record, for grouping that does not care how an
 * image is oriented: e.g. the sketches of the image mirrored and turned.
 * Record r (counted over all segments, segment 0 first) has up to @c n
 * variants at sketches[r * n + v] (v < n), each laid out like the
 * records; a NULL entry is a variant the record lacks.  The distance of
 * two records is then the smallest distance between any of their sketches
 * (the record's own and its variants: (1 + n)^2 pairs), the same whichever
 * record comes first.  Borrowed for the call.
 */
#define MASO_SEARCH_VARIANTS_MAX 7

typedef struct maso_search_variants {
    size_t n;
    const uint8_t *const *sketches;
} maso_search_variants;

/**
 * The distance of two records with variants (see maso_search_variants):
 * the smallest distance between a sketch of {@p a, @p a_variants[0..n-1]}
 * and one of {@p b, @p b_variants[0..n-1]}, NULL variants skipped;
 * @p a_variants / @p b_variants may be NULL (no variants).
 */
double maso_search_distance_variants(const maso_search *search,
                                     const uint8_t *a,
                                     const uint8_t *const *a_variants,
                                     const uint8_t *b,
                                     const uint8_t *const *b_variants,
                                     size_t n);

/**
 * maso_search_group() with the distance of maso_search_variants: the
 * connected components of all pairs whose smallest distance over their
 * sketches is <= @p max_distance.  @p variants NULL or with n 0 is
 * maso_search_group().  In candidate mode a record's candidates are the
 * others nearest by the smallest summary distance over the sketch pairs
 * (the variants' summaries are computed here).  Costs up to (1 + n)^2
 * times maso_search_group()'s distances.
 * Errors: those of maso_search_group(), MASO_EINVAL_ARG for n >
 * MASO_SEARCH_VARIANTS_MAX.
 */
int maso_search_group_variants(maso_search *search,
                               const maso_search_segment *segments,
                               size_t n_segments,
                               const maso_search_variants *variants,
                               double max_distance, size_t candidates,
                               maso_search_groups *groups,
                               uint64_t *verified);

/**
 * Records known by their summaries only, for the candidate stage of
 * maso_search_group_variants() run by the parts of a job that hold the
 * records (MPI ranks): @c count records with ids @c ids (smaller ids win
 * ties), their summaries one after the other (maso_search_summary_bytes()
 * each, 8-byte aligned), and @c n_variants (0 ..
 * MASO_SEARCH_VARIANTS_MAX) summaries of variants per record at
 * variants[r * n_variants + v] (maso_search_summarize() of the variant's
 * sketch; NULL: a variant the record lacks).  Borrowed for the call.
 */
typedef struct maso_search_summary_set {
    size_t count;
    const uint64_t *ids;
    const uint8_t *summaries;
    size_t n_variants;
    const uint8_t *const *variants;
} maso_search_summary_set;

/**
 * Merge the records of @p others into each query's candidates: for query
 * q of @p queries, nearest[q * candidates ..] holds n_nearest[q] (<=
 * @p candidates, 0 before the first call) hits (id, summary distance) in
 * no particular order; after the call they are the @p candidates best of
 * those and of @p others (a record with the query's own id left out), by
 * the summary distance and then the smaller id: exactly the candidates
 * maso_search_group_variants() gives a record when @p others, over all
 * calls, are every record of its collection with ids in its order and the
 * same variants.  @p queries and @p others have the same n_variants.
 * Errors: MASO_EINVAL_ARG, ENOMEM.
 */
int maso_search_nearest_merge(maso_search *search,
                              const maso_search_summary_set *queries,
                              const maso_search_summary_set *others,
                              size_t candidates, maso_search_hit *nearest,
                              size_t *n_nearest);

#ifdef __cplusplus
}
#endif
#endif /* MASO_SEARCH_H */
