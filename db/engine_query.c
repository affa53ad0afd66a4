/* engine_query.c -- ranked matches of a query over the engine's stores
 * (see maso_engine.h for the policy): exact or coarse sketch scan, the
 * full-code rerank or full-code scan, several probes merged by their
 * smallest distance, the query itself left out; the summary stage alone
 * (maso_engine_candidates) for engines that agree on one cut. */
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
    if (!e)
        return MASO_SEARCH_CANDIDATES_DEFAULT;
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

/* Hits the sketch stage keeps: k, the query itself in every store, and
 * with a full-code rerank at least RERANK_FACTOR * k and RERANK_MIN. */
static size_t sketch_cap(const maso_engine_params *p, size_t n_stores,
                         int rerank)
{
    int excluding = p->exclude_id != UINT64_MAX || p->exclude_path;
    size_t cap = p->k + (excluding ? n_stores : 0);
    if (rerank && !p->exact) {
        if (cap < MASO_ENGINE_RERANK_FACTOR * p->k)
            cap = MASO_ENGINE_RERANK_FACTOR * p->k;
        if (cap < MASO_ENGINE_RERANK_MIN)
            cap = MASO_ENGINE_RERANK_MIN;
    }
    return cap;
}

size_t maso_engine_rerank_candidates(const maso_engine_params *params,
                                     size_t n_stores)
{
    return sketch_cap(params, n_stores, 1);
}

size_t maso_engine_summary_candidates(const maso_engine *engine,
                                      const maso_engine_params *params,
                                      uint64_t count, size_t n_stores,
                                      int rerank)
{
    size_t c;
    if (params->exact)
        return 0;
    if (params->candidates >= 0)
        c = (size_t)params->candidates;
    else
        c = count <= MASO_ENGINE_EXACT_SCAN_MAX
                ? 0 : engine_auto_candidates(engine);
    size_t cap = sketch_cap(params, n_stores, rerank);
    return c && c < cap ? cap : c;
}

static void probe_sketches(const maso_engine_probe *probes, size_t n,
                           const uint8_t **sketches)
{
    for (size_t p = 0; p < n; p++)
        sketches[p] = probes[p].sketch;
}

/* The sketch stage over the caller's candidates. */
static int rank_chosen(maso_engine *e, const uint8_t *const *sketches,
                       size_t n_probes, const maso_engine_params *o,
                       const maso_search_params *sp, size_t *n)
{
    uint64_t *pos = malloc((o->n_chosen ? o->n_chosen : 1) * sizeof *pos);
    if (!pos)
        return engine_fail(e, ENOMEM, "out of memory for %zu candidates",
                           o->n_chosen);
    for (size_t i = 0; i < o->n_chosen; i++)
        pos[i] = o->chosen[i].position;
    int rc = maso_search_rank_positions(e->search, e->segs, e->n_segs,
                                        sketches, n_probes, pos, o->n_chosen,
                                        sp, e->hits, n);
    free(pos);
    return rc ? engine_fail(e, rc, "%s", maso_search_errmsg(e->search)) : 0;
}

/* The sketch stage over all probes at once: the best @p cap into e->hits. */
static int sketch_stage(maso_engine *e, const maso_engine_probe *probes,
                        size_t n_probes, const maso_engine_params *o,
                        int rerank, size_t cap, size_t *n)
{
    maso_search_params sp;
    maso_search_params_init(&sp);
    sp.k = cap;
    sp.threshold = o->threshold;
    if (rerank && o->threshold >= 0)
        sp.threshold = o->threshold + MASO_ENGINE_SKETCH_MARGIN;
    sp.candidates = maso_engine_summary_candidates(e, o, e->count, e->n, rerank);
    const uint8_t *sketches[MASO_ENGINE_PROBES_MAX];
    probe_sketches(probes, n_probes, sketches);
    if (o->chosen) {
        int rc = rank_chosen(e, sketches, n_probes, o, &sp, n);
        if (rc)
            return rc;
    } else {
        if (sp.candidates == 0) /* the exact scan reads every sketch */
            maso_engine_prefetch(e);
        int rc = maso_search_query_probes(e->search, e->segs, e->n_segs,
                                          sketches, n_probes, &sp, e->hits, n);
        if (rc)
            return engine_fail(e, rc, "%s", maso_search_errmsg(e->search));
    }
    return 0;
}

/* The sketch search, then the full-code rerank when there are codes, of
 * the sketch stage's best or of the caller's (o->rerank). */
static int sketch_search(maso_engine *e, const maso_engine_probe *probes,
                         size_t n_probes, const maso_engine_params *o,
                         int rerank, size_t cap, size_t *n)
{
    if (rerank && o->rerank) {
        int rc = engine_reserve_hits(e, o->n_rerank ? o->n_rerank : 1);
        if (rc)
            return rc;
        for (size_t i = 0; i < o->n_rerank; i++)
            e->hits[i] = (maso_search_hit){ o->rerank[i], 0 };
        *n = o->n_rerank;
    } else {
        int rc = sketch_stage(e, probes, n_probes, o, rerank, cap, n);
        if (rc || !rerank)
            return rc;
    }
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
    size_t cap = sketch_cap(params, e->n, rerank);
    int rc = engine_reserve_hits(e, cap);
    size_t n = 0;
    if (!rc)
        rc = params->exact && rerank && !params->chosen
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

int maso_engine_sketch_hits(maso_engine *engine,
                            const maso_engine_probe *probes, size_t n_probes,
                            const maso_engine_params *params, size_t cap,
                            maso_engine_match *hits, size_t *n_hits)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    maso_engine *e = engine;
    e->errmsg[0] = 0;
    if (!hits || !n_hits || !params || !probes || n_probes == 0 ||
        n_probes > MASO_ENGINE_PROBES_MAX || cap == 0 || !e->n)
        return engine_fail(e, MASO_EINVAL_ARG, "sketch hits need stores, 1 "
                           "to %d probes and room for >= 1",
                           MASO_ENGINE_PROBES_MAX);
    *n_hits = 0;
    for (size_t p = 0; p < n_probes; p++)
        if (!probes[p].sketch)
            return engine_fail(e, MASO_EINVAL_ARG, "probe %zu has no sketch",
                               p);
    size_t n = 0;
    int rc = engine_reserve_hits(e, cap);
    if (!rc)
        rc = sketch_stage(e, probes, n_probes, params, e->full_codes, cap, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        hits[i] = (maso_engine_match){
            e->hits[i].id, e->hits[i].distance,
            nearest_probe(e, probes, n_probes, 0, e->hits[i].id) };
    *n_hits = n;
    return 0;
}

int maso_engine_candidates(maso_engine *engine,
                           const maso_engine_probe *probes, size_t n_probes,
                           size_t wanted, maso_engine_candidate *out,
                           size_t *n_out)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    maso_engine *e = engine;
    e->errmsg[0] = 0;
    if (!probes || !out || !n_out || n_probes == 0 ||
        n_probes > MASO_ENGINE_PROBES_MAX || wanted == 0 || !e->n)
        return engine_fail(e, MASO_EINVAL_ARG, "candidates need stores, "
                           "1 to %d probes and room for >= 1",
                           MASO_ENGINE_PROBES_MAX);
    *n_out = 0;
    const uint8_t *sketches[MASO_ENGINE_PROBES_MAX];
    probe_sketches(probes, n_probes, sketches);
    maso_search_hit *best = malloc(wanted * sizeof *best);
    if (!best)
        return engine_fail(e, ENOMEM, "out of memory for %zu candidates",
                           wanted);
    size_t n = 0;
    int rc = maso_search_summary_best(e->search, e->segs, e->n_segs,
                                      sketches, n_probes, wanted, best, &n);
    if (rc) {
        free(best);
        return engine_fail(e, rc, "%s", maso_search_errmsg(e->search));
    }
    /* The store of a position: stores take consecutive positions. */
    for (size_t i = 0; i < n; i++) {
        uint64_t at = 0, p = best[i].id;
        size_t s = 0;
        while (s + 1 < e->n && p >= at + maso_store_view_count(e->views[s]))
            at += maso_store_view_count(e->views[s++]);
        out[i] = (maso_engine_candidate){ (uint32_t)best[i].distance,
                                          (uint32_t)s, p };
    }
    *n_out = n;
    free(best);
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
