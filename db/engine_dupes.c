/* engine_dupes.c -- near-duplicate groups of the engine's stores (see
 * maso_engine.h for the policy): all pairs, each image's summary
 * candidates, or the pairs that share a band key; and the banding record
 * by record, for a job that exchanges the keys of its parts (MPI ranks). */
#include "engine_internal.h"

int maso_engine_duplicates(maso_engine *engine, double max_distance,
                           const maso_engine_params *params,
                           maso_search_groups *groups)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    engine->errmsg[0] = 0;
    if (!engine->n)
        return engine_fail(engine, MASO_EINVAL_ARG, "no stores open");
    maso_engine_params defaults;
    maso_engine_params_init(&defaults);
    const maso_engine_params *o = params ? params : &defaults;
    size_t bands = maso_engine_dupe_bands(engine, max_distance, o);
    if (bands) {
        int rc = maso_search_duplicates(engine->search, engine->segs,
                                        engine->n_segs, max_distance, bands,
                                        groups);
        return rc ? engine_fail(engine, rc, "%s",
                                maso_search_errmsg(engine->search)) : 0;
    }
    size_t candidates;
    if (o->exact)
        candidates = 0;
    else if (o->candidates >= 0)
        candidates = (size_t)o->candidates;
    else
        candidates = engine->count <= MASO_ENGINE_DUPES_EXACT_MAX
                         ? 0 : MASO_ENGINE_DUPES_CANDIDATES;
    int rc = maso_search_group(engine->search, engine->segs, engine->n_segs,
                               max_distance, candidates, groups, NULL);
    if (rc)
        return engine_fail(engine, rc, "%s",
                           maso_search_errmsg(engine->search));
    return 0;
}

size_t maso_engine_dupe_bands(const maso_engine *engine, double max_distance,
                              const maso_engine_params *params)
{
    if (!params || params->bands == 0)
        return 0;
    return params->bands > 0
               ? (size_t)params->bands
               : maso_search_bands(engine->search, max_distance);
}

int maso_engine_dupe_keys(maso_engine *engine, const uint8_t *summary,
                          size_t bands, uint64_t *keys)
{
    engine->errmsg[0] = 0;
    int rc = maso_search_band_keys(engine->search, summary, bands, keys);
    return rc ? engine_fail(engine, rc, "%s",
                            maso_search_errmsg(engine->search)) : 0;
}

int maso_engine_dupe_candidate(const maso_engine *engine,
                               const uint8_t *summary_a,
                               const uint8_t *summary_b, size_t bands)
{
    return maso_search_band_pair(engine->search, summary_a, summary_b, bands);
}

double maso_engine_dupe_pair(const maso_engine *engine,
                             const uint8_t *sketch_a,
                             const uint8_t *summary_a,
                             const uint8_t *sketch_b,
                             const uint8_t *summary_b, size_t bands)
{
    if (!maso_engine_dupe_candidate(engine, summary_a, summary_b, bands))
        return -1;
    return maso_search_distance(engine->search, sketch_a, sketch_b);
}
