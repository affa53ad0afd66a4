/* engine_query.c -- ranked matches of a query over the engine's stores
 * (see maso_engine.h for the policy): exact or coarse sketch scan, the
 * full-code rerank or full-code scan, several probes merged by their
 * smallest distance, the query itself left out. */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The automatic number of summary candidates: MASO_SEARCH_CANDIDATES_DEFAULT
 * (measured with every layer weighted) scaled by the share of summary bits
 * the weights mask out, so that weights on a few layers (the default late
 * layers: 13 of 29) keep the coarse stage's recall; the rerank reads only
 * the weighted layers, so its bytes stay about those of the default. */
static size_t engine_auto_candidates(const maso_engine *e)
{
    size_t bits = maso_search_summary_bytes(e->search) * 8;
    size_t weighted = maso_search_summary_weighted_bits(e->search);
    if (!weighted || weighted >= bits)
        return MASO_SEARCH_CANDIDATES_DEFAULT;
    return (size_t)((double)MASO_SEARCH_CANDIDATES_DEFAULT * (double)bits /
                    (double)weighted + 0.5);
}

void maso_engine_params_init(maso_engine_params *params)
{
    memset(params, 0, sizeof *params);
    params->k = 10;
    params->threshold = -1;
    params->candidates = -1;
    params->exclude_id = UINT64_MAX;
}

double engine_code_distance(const maso_engine *e, const uint8_t *a,
                            const uint8_t *b, double *per_layer)
{
    return maso_code_distance(e->layers, e->n_layers, e->weights, a, b,
                              per_layer);
}

int engine_reserve_hits(maso_engine *e, size_t n)
{
    if (n <= e->cap)
        return 0;
    maso_search_hit *h = realloc(e->hits, n * sizeof *h);
    if (!h)
        return engine_fail(e, ENOMEM, "out of memory for %zu hits", n);
    e->hits = h;
    e->cap = n;
    return 0;
}

static int hit_cmp(const void *a, const void *b)
{
    const maso_search_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Insert @p h into the sorted hits[0..*n) of at most @p cap. */
static void keep_best(maso_search_hit *hits, size_t cap, size_t *n,
                      maso_search_hit h)
{
    if (*n == cap && hit_cmp(&h, &hits[*n - 1]) >= 0)
        return;
    size_t i = *n < cap ? (*n)++ : *n - 1;
    while (i > 0 && hit_cmp(&h, &hits[i - 1]) < 0) {
        hits[i] = hits[i - 1];
        i--;
    }
    hits[i] = h;
}

static int no_code(maso_engine *e, uint64_t id)
{
    return engine_fail(e, MASO_EDATA, "record %llu of %s has no full code",
                       (unsigned long long)maso_store_id_local(id),
                       e->paths[maso_store_id_tag_of(id) < e->n
                                    ? maso_store_id_tag_of(id) : 0]);
}

/* A probe set's full-code distance to @p stored: the smallest. */
static double codes_distance(const maso_engine *e,
                             const maso_engine_probe *probes, size_t n,
                             const uint8_t *stored, size_t *which)
{
    double best = 2;
    for (size_t p = 0; p < n; p++) {
        double d = engine_code_distance(e, probes[p].code, stored, NULL);
        if (d < best) {
            best = d;
            if (which)
                *which = p;
        }
    }
    return best;
}

/* Every stored full code against the probes': the best @p cap hits. */
static int full_scan(maso_engine *e, const maso_engine_probe *probes,
                     size_t n_probes, double threshold, size_t cap, size_t *n)
{
    uint64_t pos = 0;
    *n = 0;
    for (size_t s = 0; s < e->n_segs; s++) {
        for (size_t i = 0; i < e->segs[s].count; i++, pos++) {
            uint64_t id = e->segs[s].ids ? e->segs[s].ids[i] : pos;
            const uint8_t *stored = maso_engine_code_of(e, id);
            if (!stored)
                return no_code(e, id);
            double d = codes_distance(e, probes, n_probes, stored, NULL);
            if (threshold < 0 || d <= threshold)
                keep_best(e->hits, cap, n, (maso_search_hit){ id, d });
        }
    }
    return 0;
}

/* The sketch search over all probes at once, then the full-code rerank
 * when there are codes. */
static int sketch_search(maso_engine *e, const maso_engine_probe *probes,
                         size_t n_probes, const maso_engine_params *o,
                         int rerank, size_t cap, size_t *n)
{
    maso_search_params sp;
    maso_search_params_init(&sp);
    sp.k = cap;
    sp.threshold = o->threshold;
    if (rerank && o->threshold >= 0)
        sp.threshold = o->threshold + MASO_ENGINE_SKETCH_MARGIN;
    if (o->exact)
        sp.candidates = 0;
    else if (o->candidates >= 0)
        sp.candidates = (size_t)o->candidates;
    else
        sp.candidates = e->count <= MASO_ENGINE_EXACT_SCAN_MAX
                            ? 0 : engine_auto_candidates(e);
    if (sp.candidates && sp.candidates < sp.k)
        sp.candidates = sp.k;
    const uint8_t *sketches[MASO_ENGINE_PROBES_MAX];
    for (size_t p = 0; p < n_probes; p++)
        sketches[p] = probes[p].sketch;
    int rc = maso_search_query_probes(e->search, e->segs, e->n_segs,
                                      sketches, n_probes, &sp, e->hits, n);
    if (rc)
        return engine_fail(e, rc, "%s", maso_search_errmsg(e->search));
    if (!rerank)
        return 0;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        const uint8_t *code = maso_engine_code_of(e, e->hits[i].id);
        if (!code)
            return no_code(e, e->hits[i].id);
        double d = codes_distance(e, probes, n_probes, code, NULL);
        if (o->threshold < 0 || d <= o->threshold)
            e->hits[kept++] = (maso_search_hit){ e->hits[i].id, d };
    }
    qsort(e->hits, kept, sizeof *e->hits, hit_cmp);
    *n = kept;
    return 0;
}

static int excluded(maso_engine *e, const maso_engine_params *o, uint64_t id)
{
    if (id == o->exclude_id)
        return 1;
    if (!o->exclude_path)
        return 0;
    maso_store_record r;
    return maso_engine_record(e, id, &r, NULL) == 0 &&
           !strcmp(r.path, o->exclude_path);
}

/* The probe nearest to match @p id (the first on ties), by the measure
 * of the query. */
static size_t nearest_probe(maso_engine *e, const maso_engine_probe *probes,
                            size_t n_probes, int rerank, uint64_t id)
{
    size_t which = 0;
    if (n_probes == 1)
        return 0;
    if (rerank) {
        codes_distance(e, probes, n_probes, maso_engine_code_of(e, id),
                       &which);
        return which;
    }
    const uint8_t *sketch = maso_engine_sketch_of(e, id);
    double best = 2;
    for (size_t p = 0; p < n_probes; p++) {
        double d = maso_search_distance(e->search, probes[p].sketch, sketch);
        if (d < best) {
            best = d;
            which = p;
        }
    }
    return which;
}

int maso_engine_query(maso_engine *engine, const maso_engine_probe *probes,
                      size_t n_probes, const maso_engine_params *params,
                      maso_engine_match *matches, size_t *n_matches)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    maso_engine *e = engine;
    e->errmsg[0] = 0;
    if (!n_matches || !matches || !params || !probes || n_probes == 0 ||
        params->k == 0)
        return engine_fail(e, MASO_EINVAL_ARG, "a query needs probes, k >= 1 "
                           "and room for the matches");
    *n_matches = 0;
    if (n_probes > MASO_ENGINE_PROBES_MAX)
        return engine_fail(e, MASO_EINVAL_ARG, "%zu probes: at most %d",
                           n_probes, MASO_ENGINE_PROBES_MAX);
    if (!e->n)
        return engine_fail(e, MASO_EINVAL_ARG, "no stores open");
    int rerank = e->full_codes;
    for (size_t p = 0; p < n_probes; p++) {
        if (!probes[p].sketch)
            return engine_fail(e, MASO_EINVAL_ARG, "probe %zu has no sketch",
                               p);
        rerank &= probes[p].code != NULL;
    }
    /* The query itself may be in every store once. */
    int excluding = params->exclude_id != UINT64_MAX || params->exclude_path;
    size_t cap = params->k + (excluding ? e->n : 0);
    if (rerank && !params->exact) {
        if (cap < MASO_ENGINE_RERANK_FACTOR * params->k)
            cap = MASO_ENGINE_RERANK_FACTOR * params->k;
        if (cap < MASO_ENGINE_RERANK_MIN)
            cap = MASO_ENGINE_RERANK_MIN;
    }
    int rc = engine_reserve_hits(e, cap);
    size_t n = 0;
    if (!rc)
        rc = params->exact && rerank
                 ? full_scan(e, probes, n_probes, params->threshold, cap, &n)
                 : sketch_search(e, probes, n_probes, params, rerank, cap,
                                 &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && *n_matches < params->k; i++)
        if (!excluded(e, params, e->hits[i].id))
            matches[(*n_matches)++] = (maso_engine_match){
                e->hits[i].id, e->hits[i].distance,
                nearest_probe(e, probes, n_probes, rerank, e->hits[i].id) };
    return 0;
}

double maso_engine_explain(maso_engine *engine, const maso_engine_probe *probe,
                           uint64_t id, double *per_layer)
{
    maso_engine *e = engine;
    if (e->full_codes && probe->code) {
        const uint8_t *code = maso_engine_code_of(e, id);
        return code ? engine_code_distance(e, probe->code, code, per_layer)
                    : -1;
    }
    const uint8_t *sketch = maso_engine_sketch_of(e, id);
    if (!sketch)
        return -1;
    return maso_code_distance(e->sketch_layers, e->n_layers, e->weights,
                              probe->sketch, sketch, per_layer);
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
    size_t candidates;
    if (o->exact)
        candidates = 0;
    else if (o->candidates >= 0)
        candidates = (size_t)o->candidates;
    else
        candidates = 0; /* automatic: chosen below */
    const uint8_t **orients = NULL;
    maso_search_variants var = { 0, NULL };
    engine->unoriented = 0;
    if (!o->no_orient) {
        int rc = engine_orient_variants(engine, &orients);
        if (rc)
            return rc;
        if (engine->unoriented < engine->count)
            var = (maso_search_variants){ MASO_STORE_ORIENTS, orients };
    }
    uint64_t exact_max = var.n ? MASO_ENGINE_DUPES_ORIENT_EXACT_MAX
                               : MASO_ENGINE_DUPES_EXACT_MAX;
    if (!o->exact && o->candidates < 0)
        candidates = engine->count <= exact_max
                         ? 0 : MASO_ENGINE_DUPES_CANDIDATES;
    int rc = maso_search_group_variants(engine->search, engine->segs,
                                        engine->n_segs, &var, max_distance,
                                        candidates, groups, NULL);
    free(orients);
    if (rc)
        return engine_fail(engine, rc, "%s",
                           maso_search_errmsg(engine->search));
    return 0;
}
