/*
 * engine_dupes.c -- near-duplicate groups of the engine's stores (see
 * maso_engine.h for the policy): all pairs or each image's summary
 * candidates, over the orientation sketches each record may keep
 * (maso_store.h, MASO_STORE_ORIENTS) gathered in segment order for
 * maso_search_group_variants(); or the pairs that share a band key, and the
 * banding record by record, for a job that exchanges the keys of its parts
 * (MPI ranks); and the pair distance grouping uses, so that a program
 * reports the distance that joined two images.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const uint8_t *maso_engine_orients_of(maso_engine *engine, uint64_t id)
{
    maso_store_view *v = engine ? engine_view_of(engine, id, NULL) : NULL;
    const uint8_t *o = NULL;
    if (!v || maso_store_view_orients(v, id, &o) != 0)
        return NULL;
    return o;
}

/* Pointers to the MASO_STORE_ORIENTS sketches of @p o into @p out. */
static void split(const maso_engine *e, const uint8_t *o,
                  const uint8_t **out)
{
    size_t bytes = maso_sketch_bytes(maso_engine_sketch(e));
    for (size_t v = 0; v < MASO_STORE_ORIENTS; v++)
        out[v] = o ? o + v * bytes : NULL;
}

int maso_engine_orient_sketches(maso_engine *engine,
                                const uint8_t ***sketches,
                                uint64_t *unoriented)
{
    if (!engine || !sketches)
        return MASO_EINVAL_ARG;
    engine->errmsg[0] = 0;
    uint64_t last = engine->unoriented; /* the last duplicates call's */
    int rc = engine_orient_variants(engine, sketches);
    if (unoriented)
        *unoriented = rc ? 0 : engine->unoriented;
    engine->unoriented = last;
    return rc;
}

int engine_orient_variants(maso_engine *e, const uint8_t ***sketches)
{
    size_t n = 0;
    for (size_t s = 0; s < e->n_segs; s++)
        n += e->segs[s].count;
    const uint8_t **var = calloc((n ? n : 1) * MASO_STORE_ORIENTS,
                                 sizeof *var);
    *sketches = NULL;
    if (!var)
        return engine_fail(e, ENOMEM, "no memory for the orientations of "
                           "%zu images", n);
    e->unoriented = 0;
    for (size_t s = 0, r = 0; s < e->n_segs; s++) {
        const maso_search_segment *seg = &e->segs[s];
        for (size_t i = 0; i < seg->count; i++, r++) {
            maso_store_view *v = engine_view_of(e, seg->ids[i], NULL);
            const uint8_t *o = NULL;
            int rc = v ? maso_store_view_orients(v, seg->ids[i], &o)
                       : MASO_ENOTFOUND;
            if (rc == MASO_ENOTFOUND) {
                e->unoriented++;
                continue;
            }
            if (rc) {
                size_t tag = maso_store_id_tag_of(seg->ids[i]);
                engine_fail(e, rc, "%s", maso_store_errmsg(e->stores[tag]));
                free(var);
                return rc;
            }
            split(e, o, var + r * MASO_STORE_ORIENTS);
        }
    }
    *sketches = var;
    return 0;
}

double maso_engine_pair_distance(maso_engine *engine, uint64_t a, uint64_t b,
                                 int orient)
{
    const uint8_t *sa = maso_engine_sketch_of(engine, a);
    const uint8_t *sb = maso_engine_sketch_of(engine, b);
    if (!sa || !sb)
        return -1;
    const uint8_t *va[MASO_STORE_ORIENTS], *vb[MASO_STORE_ORIENTS];
    split(engine, orient ? maso_engine_orients_of(engine, a) : NULL, va);
    split(engine, orient ? maso_engine_orients_of(engine, b) : NULL, vb);
    return maso_search_distance_variants(engine->search, sa, va, sb, vb,
                                         MASO_STORE_ORIENTS);
}

uint64_t maso_engine_duplicates_unoriented(const maso_engine *engine)
{
    return engine ? engine->unoriented : 0;
}

int maso_engine_duplicates(maso_engine *engine, double max_distance,
                           const maso_engine_params *params,
                           maso_search_groups *groups)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    engine->errmsg[0] = 0;
    if (groups) /* empty on every failure */
        memset(groups, 0, sizeof *groups);
    if (!engine->n)
        return engine_fail(engine, MASO_EINVAL_ARG, "no stores open");
    maso_engine_params defaults;
    maso_engine_params_init(&defaults);
    const maso_engine_params *o = params ? params : &defaults;
    engine->unoriented = 0;
    size_t bands = maso_engine_dupe_bands(engine, max_distance, o);
    if (bands) { /* the band keys are the sketches': images as they are */
        int rc = maso_search_duplicates(engine->search, engine->segs,
                                        engine->n_segs, max_distance, bands,
                                        groups);
        return rc ? engine_fail(engine, rc, "%s",
                                maso_search_errmsg(engine->search)) : 0;
    }
    const uint8_t **orients = NULL;
    maso_search_variants var = { 0, NULL };
    if (!o->no_orient) {
        int rc = engine_orient_variants(engine, &orients);
        if (rc)
            return rc;
        if (engine->unoriented < engine->count)
            var = (maso_search_variants){ MASO_STORE_ORIENTS, orients };
    }
    size_t candidates = maso_engine_dupe_candidates(o, engine->count,
                                                    var.n != 0);
    maso_engine_prefetch(engine); /* every sketch is read, most more than once */
    int rc = maso_search_group_variants(engine->search, engine->segs,
                                        engine->n_segs, &var, max_distance,
                                        candidates, groups, NULL);
    free(orients);
    if (rc)
        return engine_fail(engine, rc, "%s",
                           maso_search_errmsg(engine->search));
    return 0;
}

size_t maso_engine_dupe_candidates(const maso_engine_params *params,
                                   uint64_t count, int oriented)
{
    uint64_t exact_max = oriented ? MASO_ENGINE_DUPES_ORIENT_EXACT_MAX
                                  : MASO_ENGINE_DUPES_EXACT_MAX;
    if (params->exact)
        return 0;
    if (params->candidates >= 0)
        return (size_t)params->candidates;
    return count <= exact_max ? 0 : MASO_ENGINE_DUPES_CANDIDATES;
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
