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
 * Conventions are those of core/include/maso.h: opaque handle, int status (0, a
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

/** Before a pass that reads every sketch of the stores (an exact scan,
 *  duplicate finding): ask the OS to read their pages ahead
 *  (maso_store_view_prefetch()), once per engine; stores open without
 *  read-ahead, which would make such a pass fault page by page.  Skipped
 *  when the sketches exceed half of physical memory (the first pages would
 *  leave the page cache before the pass reached them).  Only advice: no
 *  error.  maso_engine_query() and maso_engine_duplicates() call it
 *  themselves; callers that drive libmaso_search over
 *  maso_engine_segments() call it. */
void maso_engine_prefetch(maso_engine *engine);

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
    /** The summary stage's candidates, chosen by the caller: NULL (the
     *  default) lets the engine run its own; else the sketch stage ranks
     *  exactly these @p n_chosen candidates of maso_engine_candidates()
     *  (borrowed for the call; exact and candidates are then ignored), so
     *  that engines over parts of one collection (MPI ranks) can rank the
     *  candidates of a cut they agreed on. */
    const struct maso_engine_candidate *chosen;
    size_t n_chosen;
    /** With full codes (and not exact): the records whose full codes are
     *  re-ranked, chosen by the caller (tagged ids, borrowed for the
     *  call): NULL (default) lets the engine take its sketch stage's best
     *  (maso_engine_rerank_candidates() of them); else the sketch stage
     *  is skipped and exactly these @p n_rerank are re-ranked, so that
     *  engines over parts of one collection re-rank, between them, the
     *  sketch hits one process re-ranks (maso_engine_sketch_hits()). */
    const uint64_t *rerank;
    size_t n_rerank;
    /** maso_engine_duplicates(): 0 (default) the policy there; N > 0
     *  candidate pairs by N band keys of the summaries (pairs with an
     *  equal key in some band, maso_search_duplicates()); negative: the
     *  automatic number of bands for the threshold.  Then exact and
     *  candidates are not read. */
    long bands;
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
 * The number of summary-stage candidates maso_engine_query() keeps for
 * @p params over a collection of @p n_stores stores and @p count sketches
 * (0: no summary stage, an exact scan), when the full codes are re-ranked
 * (@p rerank: every store keeps them and the probes have theirs) or not.
 * An engine over part of a collection passes the whole collection's
 * figures to keep what one process over all of it keeps.  The automatic
 * number grows as the engine's layer weights leave summary bits out
 * (fewer weighted bits rank less sharply), so it depends on @p engine;
 * NULL (a part that holds no store) counts every bit, which never gives
 * more than an engine does: a job takes the largest of its parts'.
 */
size_t maso_engine_summary_candidates(const maso_engine *engine,
                                      const maso_engine_params *params,
                                      uint64_t count, size_t n_stores,
                                      int rerank);

/** The number of sketch hits maso_engine_query() re-ranks with full codes
 *  for @p params over a collection of @p n_stores stores (when the stores
 *  keep full codes and the probes have theirs, and not exact). */
size_t maso_engine_rerank_candidates(const maso_engine_params *params,
                                     size_t n_stores);

/**
 * The sketch stage of maso_engine_query() alone (the summary stage first
 * when params asks for one, or params->chosen): the @p cap best records by
 * sketch distance (the smallest over the probes), ties by id, into
 * @p hits (room for @p cap, owned by the caller; probe is the nearest
 * probe by sketch), sorted, *n_hits their number; within params->threshold
 * plus MASO_ENGINE_SKETCH_MARGIN when the stores keep full codes.
 * Errors: as maso_engine_query().
 */
int maso_engine_sketch_hits(maso_engine *engine,
                            const maso_engine_probe *probes, size_t n_probes,
                            const maso_engine_params *params, size_t cap,
                            maso_engine_match *hits, size_t *n_hits);

/** One candidate of the summary stage: its summary distance (differing
 *  summary bits, the smallest over the probes), the engine's index of its
 *  store and its position over the engine's segments (the store's records
 *  are positions maso_store_view_count() long, store 0 first). */
typedef struct maso_engine_candidate {
    uint32_t distance;
    uint32_t store;
    uint64_t position;
} maso_engine_candidate;

/**
 * The summary stage of a query alone: the @p wanted (>= 1) best records
 * by summary distance, ties by position (the order of the stores, then
 * their records), into @p out (room for @p wanted, owned by the caller),
 * sorted; *n_out receives how many (fewer when the stores hold fewer).
 * maso_engine_query() with params->chosen set to a subset of them ranks
 * that subset.  Summary distances are whole numbers in [0, bits], bits =
 * 8 * maso_search_summary_bytes(), which maso_search_summary_cut() turns
 * into one cut for several engines.
 * Errors: MASO_EINVAL_ARG, ENOMEM, those of maso_search_summary_best().
 */
int maso_engine_candidates(maso_engine *engine,
                           const maso_engine_probe *probes, size_t n_probes,
                           size_t wanted, maso_engine_candidate *out,
                           size_t *n_out);

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
 *    sketches), else MASO_ENGINE_DUPES_CANDIDATES candidates;
 *  - bands (params->bands != 0): the pairs that share a band key
 *    (maso_engine_dupe_keys()) and pass maso_engine_dupe_pair(), the
 *    images compared as they are (the band keys are those of the
 *    sketches, not of their orientations).
 * Errors: those of maso_search_group_variants() and
 * maso_search_duplicates(), ENOMEM, MASO_EDATA (a damaged orientation
 * value).
 */
int maso_engine_duplicates(maso_engine *engine, double max_distance,
                           const maso_engine_params *params,
                           maso_search_groups *groups);

/**
 * The banded candidates of maso_engine_duplicates() one record at a time,
 * for a job that exchanges the keys of its parts (MPI ranks: band keys
 * all-to-all) and must find exactly the groups one process finds.
 *
 * maso_engine_dupe_bands(): the number of bands maso_engine_duplicates()
 * uses for @p params at @p max_distance, 0 when @p params is not banded.
 * maso_engine_dupe_keys(): the keys of the record whose summary is
 * @p summary (from the engine's segments, maso_engine_segments(); or a
 * copy) into keys[0 .. bands-1]; two records are a candidate pair when
 * their keys are equal in some band.  Errors: MASO_EINVAL_ARG.
 * maso_engine_dupe_candidate(): 1 when two records with an equal key in
 * some band are a candidate pair by their summaries (they differ in fewer
 * bits than the bands promise to find), else 0: the test of
 * maso_engine_dupe_pair() before the distance, for a rank that holds the
 * summaries but not the sketches.
 * maso_engine_dupe_pair(): the distance of a candidate pair given by the
 * two records' sketches and summaries (copies may be 8-byte aligned; the
 * engine's weights), or -1 when the pair is dropped before its distance
 * (summaries too far apart for the bands' promise); the pair joins a
 * group when the distance is <= max_distance.
 */
size_t maso_engine_dupe_bands(const maso_engine *engine, double max_distance,
                              const maso_engine_params *params);
int maso_engine_dupe_keys(maso_engine *engine, const uint8_t *summary,
                          size_t bands, uint64_t *keys);
int maso_engine_dupe_candidate(const maso_engine *engine,
                               const uint8_t *summary_a,
                               const uint8_t *summary_b, size_t bands);
double maso_engine_dupe_pair(const maso_engine *engine,
                             const uint8_t *sketch_a,
                             const uint8_t *summary_a,
                             const uint8_t *sketch_b,
                             const uint8_t *summary_b, size_t bands);

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

/**
 * The candidates per image maso_engine_duplicates() compares for @p count
 * images (0: every pair), as @p params (exact, candidates) ask or by the
 * automatic limit, MASO_ENGINE_DUPES_ORIENT_EXACT_MAX when @p oriented
 * (orientation sketches compared), else MASO_ENGINE_DUPES_EXACT_MAX.  For
 * a job whose parts hold the images (MPI ranks), which decide on the
 * count of all of them.
 */
size_t maso_engine_dupe_candidates(const maso_engine_params *params,
                                   uint64_t count, int oriented);

/**
 * The orientation sketches of every record of the engine in the order of
 * its segments (maso_engine_segments()), as maso_engine_duplicates()
 * compares them: *sketches receives MASO_STORE_ORIENTS pointers per record
 * (into the stores' views, valid while the engine is open; NULL for a
 * record whose store keeps none), in an array the caller frees with
 * free(); *unoriented the number of records without them.  For a job
 * whose parts group the records together (MPI ranks).
 * Errors: ENOMEM, MASO_EDATA (a damaged orientation value).
 */
int maso_engine_orient_sketches(maso_engine *engine,
                                const uint8_t ***sketches,
                                uint64_t *unoriented);

/** Of the last maso_engine_duplicates() call, the number of images
 *  compared as they are only because their store keeps no orientation
 *  sketches for them (0 with params->no_orient). */
uint64_t maso_engine_duplicates_unoriented(const maso_engine *engine);

#ifdef __cplusplus
}
#endif
#endif /* MASO_ENGINE_H */
