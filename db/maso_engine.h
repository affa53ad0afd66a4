/*
 * maso_engine.h -- the search engine over a set of stores: "which stored
 * images look like this one?" and "which stored images are near-duplicates
 * of each other?", answered the same way by maso-query, an MPI rank
 * searching its shards, or any program linking the libraries.
 *
 * An engine opens any number of stores (maso_store.h) read-only, each an
 * ordinary store or one shard of a sharded collection, and searches them
 * as one.  It owns the search policy:
 *  - below MASO_ENGINE_EXACT_SCAN_MAX sketches every sketch is compared
 *    (exact scan); above it the summary scan picks
 *    MASO_SEARCH_CANDIDATES_DEFAULT candidates that are then ranked with
 *    the exact sketch distance (maso_search.h);
 *  - when every store keeps full codes, the best sketch candidates (at
 *    least MASO_ENGINE_RERANK_MIN, or MASO_ENGINE_RERANK_FACTOR * k) are
 *    re-ranked with the exact full-code distance, and --exact compares the
 *    query's full code with every stored one;
 *  - results of all stores are merged into one ranking.
 *
 * Ids.  Store i of the set is given the view tag i: every id the engine
 * reports or accepts is a *tagged id*, maso_store_id_tag(i, local id) (see
 * maso_store.h); maso_store_id_tag_of() and maso_store_id_local() take it
 * apart.  Tagged ids are stable for one engine only (they depend on the
 * position of the store in the list given to maso_engine_open()).
 *
 * Conventions are those of core/maso.h: opaque handle, int status (0, a
 * negative MASO_* code or a positive errno), a message per handle
 * (maso_engine_errmsg), no printing, no global state.
 *
 * Thread safety: one engine per thread.  Two engines may search the same
 * stores at once only through different processes or, within one process,
 * different stores (LMDB allows one handle per store per process); an MPI
 * rank typically opens an engine over its own shards.  A query runs on up
 * to maso_engine_set_threads() threads that it creates and joins.
 *
 * Lifetime: the engine keeps a read snapshot of every store from
 * maso_engine_open() to maso_engine_destroy(): records committed meanwhile
 * by a writer are not seen, and pointers the engine hands out (paths,
 * sketches, codes) stay valid until the engine is destroyed.
 */
#ifndef MASO_ENGINE_H
#define MASO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"
#include "maso_search.h"
#include "maso_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Up to this many sketches the automatic policy scans exactly (a few
 *  ms); above it the summary scan picks candidates first. */
#define MASO_ENGINE_EXACT_SCAN_MAX ((uint64_t)4 * MASO_SEARCH_CANDIDATES_DEFAULT)

/** With full codes, at least this many sketch candidates (and at least
 *  MASO_ENGINE_RERANK_FACTOR * k) are re-ranked with the full-code
 *  distance: the sketch distance's error (sd <= 0.5/sqrt(m) per layer, far
 *  less for the mean over 29 layers) can swap close neighbours, rarely by
 *  more than a few places. */
#define MASO_ENGINE_RERANK_MIN 100
#define MASO_ENGINE_RERANK_FACTOR 5

/** Slack added to the threshold of the sketch stage before a full-code
 *  rerank: more than 3 sd of the worst single-layer estimate (384
 *  samples). */
#define MASO_ENGINE_SKETCH_MARGIN 0.1

/** --duplicates compares all pairs up to this many images (about 2 s on
 *  two cores of the development machine, bench_dupes); above, each image's
 *  MASO_ENGINE_DUPES_CANDIDATES nearest by the summary distance are
 *  verified. */
#define MASO_ENGINE_DUPES_EXACT_MAX ((uint64_t)5000)
#define MASO_ENGINE_DUPES_CANDIDATES 64
/** The same limit when orientation sketches are compared: a pair costs up
 *  to 16 distances instead of one, so all pairs of 1,250 images cost what
 *  all pairs of 5,000 cost without them. */
#define MASO_ENGINE_DUPES_ORIENT_EXACT_MAX ((uint64_t)1250)

typedef struct maso_engine maso_engine;

/** Create an engine with no stores.  Errors: ENOMEM (*engine NULL). */
int maso_engine_create(maso_engine **engine);

/** Release the engine, its views and stores (NULL allowed). */
void maso_engine_destroy(maso_engine *engine);

/** The message of the last failure, "" after a success; owned by the
 *  engine, valid until its next call. */
const char *maso_engine_errmsg(const maso_engine *engine);

/**
 * Open the @p n_stores stores at @p paths read-only (1..65536 of them, once
 * per engine) and take a read snapshot of each.  @p expected is the
 * identity of the model the caller codes queries with (maso_store_open()
 * compares it); NULL, for searches of stored sketches only, accepts the
 * first store's model and requires it of the others.  The stores must
 * moreover share one sketch (seed and sample counts), else their sketches
 * are not comparable.  The paths are copied.
 * Errors: MASO_EINVAL_ARG, MASO_EMISMATCH (another model or sketch: the
 * message names the store), ENOENT, MASO_EDATA and the other errors of
 * maso_store_open(), ENOMEM.  After a failure the engine has no stores.
 */
int maso_engine_open(maso_engine *engine, const char *const *paths,
                     size_t n_stores, const maso_store_identity *expected);

/** Use layer weights (n_layers non-negative values of the code layout, at
 *  least one positive, copied) or NULL for equal weights, for both the
 *  sketch and the full-code distance.  After maso_engine_open().
 *  Errors: MASO_EINVAL_ARG. */
int maso_engine_set_weights(maso_engine *engine, const double *weights);

/** Search on @p threads threads (1..256, default 1).  After open.
 *  Errors: MASO_EINVAL_ARG. */
int maso_engine_set_threads(maso_engine *engine, int threads);

/** Number of stores, and sketches (OK records) in all of them. */
size_t maso_engine_stores(const maso_engine *engine);
uint64_t maso_engine_count(const maso_engine *engine);

/** The path of store @p index as given to maso_engine_open() (owned by
 *  the engine), or NULL when out of range. */
const char *maso_engine_store_path(const maso_engine *engine, size_t index);

/** The open store @p index (owned by the engine), or NULL. */
maso_store *maso_engine_store(maso_engine *engine, size_t index);

/** The stores' sketch (all are equal; owned by the engine). */
const maso_sketch *maso_engine_sketch(const maso_engine *engine);

/** The code layout of the stores (owned by the engine); returns its
 *  number of layers. */
size_t maso_engine_layers(const maso_engine *engine,
                          const maso_code_layer **layers);

/** 1 when every store keeps full codes: results are then full-code
 *  distances, else sketch distances. */
int maso_engine_full_codes(const maso_engine *engine);

/** The sketch segments of all stores, store 0 first (owned by the engine),
 *  for callers that drive libmaso_search themselves; returns their
 *  number. */
size_t maso_engine_segments(const maso_engine *engine,
                            const maso_search_segment **segments);

/** The search handle configured for the stores (weights and threads as
 *  set on the engine; owned by the engine). */
maso_search *maso_engine_search_handle(maso_engine *engine);

/**
 * The record of tagged id @p id: @p record gets pointers owned by the
 * engine (valid until it is destroyed; do not free them) and *store (when
 * not NULL) the index of its store.  MASO_ENOTFOUND when absent.
 */
int maso_engine_record(maso_engine *engine, uint64_t id,
                       maso_store_record *record, size_t *store);

/** The stored sketch / full code of tagged id @p id, in place (owned by
 *  the engine), or NULL when absent. */
const uint8_t *maso_engine_sketch_of(maso_engine *engine, uint64_t id);
const uint8_t *maso_engine_code_of(maso_engine *engine, uint64_t id);

/**
 * The tagged id of the OK record of @p path in the first store that has it
 * (the path as given, then resolved with realpath(): stores key records by
 * absolute path).  MASO_ENOTFOUND; MASO_EDATA when the path is stored but
 * could not be coded (the message gives the reason).
 */
int maso_engine_find_path(maso_engine *engine, const char *path,
                          uint64_t *id);

/** A query: the sketch of an image (maso_sketch_apply() with the engine's
 *  sketch) and, when the caller has it, its full code (NULL otherwise: the
 *  full-code stages are then skipped).  Borrowed for the call. */
typedef struct maso_engine_probe {
    const uint8_t *sketch;
    const uint8_t *code;
} maso_engine_probe;

/** Parameters of maso_engine_query().  Initialise with
 *  maso_engine_params_init(). */
typedef struct maso_engine_params {
    /** Matches wanted, >= 1 (default 10). */
    size_t k;
    /** Only matches with distance <= threshold; negative: none (default). */
    double threshold;
    /** 1: exact distance everywhere (full-code scan when the stores keep
     *  full codes, else exact sketch scan).  Default 0. */
    int exact;
    /** Summary-scan candidates reranked exactly: 0 exact sketch scan,
     *  negative automatic (default: exact up to
     *  MASO_ENGINE_EXACT_SCAN_MAX sketches, else
     *  MASO_SEARCH_CANDIDATES_DEFAULT).  Ignored with exact. */
    long candidates;
    /** A record left out of the results (the query itself): a tagged id,
     *  or UINT64_MAX for none (default). */
    uint64_t exclude_id;
    /** Records with this path are left out too (NULL: none, default). */
    const char *exclude_path;
    /** maso_engine_duplicates(): 1 compares the images as they are, not
     *  their stored orientation sketches.  Default 0. */
    int no_orient;
} maso_engine_params;

void maso_engine_params_init(maso_engine_params *params);

/** One match: tagged id, distance (in [0, 1], the minimum over the probes
 *  of a query) and the index of the probe that gave it (the first on
 *  ties). */
typedef struct maso_engine_match {
    uint64_t id;
    double distance;
    size_t probe;
} maso_engine_match;

/** A query has at most this many probes. */
#define MASO_ENGINE_PROBES_MAX 16

/**
 * The stored images nearest to a query given as @p n_probes probes (1 to
 * MASO_ENGINE_PROBES_MAX, e.g. the orientations of one image: a record's
 * distance is its smallest distance to any probe; every stage reads the
 * stores once for all probes, maso_search_query_probes()).  The full-code
 * stages run when the stores keep full codes and every probe has one.  @p matches has room for params->k;
 * *n_matches receives how many were found, sorted by distance, ties by id.
 * Errors: MASO_EINVAL_ARG, MASO_EDATA (a record lacks its full code),
 * ENOMEM, and the errors of maso_search_query().
 */
int maso_engine_query(maso_engine *engine, const maso_engine_probe *probes,
                      size_t n_probes, const maso_engine_params *params,
                      maso_engine_match *matches, size_t *n_matches);

/**
 * Per-layer distances (n_layers entries into @p per_layer) of the match
 * @p id to the probe, by the measure the query used: full codes when the
 * engine has them and the probe has a code, else sketches.  Returns the
 * weighted distance, or a negative value when @p id is absent.
 */
double maso_engine_explain(maso_engine *engine, const maso_engine_probe *probe,
                           uint64_t id, double *per_layer);

/**
 * Near-duplicate groups of all stores: the connected components of the
 * pairs at sketch distance <= @p max_distance (in [0, 1]) under the
 * engine's weights, components of one image left out.  Groups hold tagged
 * ids (see maso_search_groups; release with maso_search_groups_free()).
 * The distance of a pair is maso_engine_pair_distance(): orientation-
 * invariant for images whose stores keep orientation sketches (unless
 * params->no_orient).
 * @p params (NULL: defaults): only exact, candidates and no_orient are read.
 *  - exact, or candidates 0: every pair is compared (maso_search_group()
 *    with 0 candidates): the groups of an all-pairs computation;
 *  - candidates N > 0: each image's N nearest by the summary distance are
 *    compared exactly;
 *  - automatic (default): all pairs up to MASO_ENGINE_DUPES_EXACT_MAX
 *    images (MASO_ENGINE_DUPES_ORIENT_EXACT_MAX with orientation
 *    sketches), else MASO_ENGINE_DUPES_CANDIDATES candidates.
 * Errors: those of maso_search_group_variants(), ENOMEM, MASO_EDATA (a
 * damaged orientation value).
 */
int maso_engine_duplicates(maso_engine *engine, double max_distance,
                           const maso_engine_params *params,
                           maso_search_groups *groups);

/** The orientation sketches of tagged id @p id (MASO_STORE_ORIENTS
 *  sketches one after the other, maso_store.h), in place (owned by the
 *  engine), or NULL when its store keeps none for it. */
const uint8_t *maso_engine_orients_of(maso_engine *engine, uint64_t id);

/**
 * The distance of two stored images as maso_engine_duplicates() measures
 * it: with @p orient and orientation sketches, the smallest sketch
 * distance over their 4 x 4 orientation pairs
 * (maso_search_distance_variants()); else the sketch distance as they
 * are.  Negative when an id is absent.
 */
double maso_engine_pair_distance(maso_engine *engine, uint64_t a, uint64_t b,
                                 int orient);

/** Of the last maso_engine_duplicates() call, the number of images
 *  compared as they are only because their store keeps no orientation
 *  sketches for them (0 with params->no_orient). */
uint64_t maso_engine_duplicates_unoriented(const maso_engine *engine);

#ifdef __cplusplus
}
#endif
#endif /* MASO_ENGINE_H */
