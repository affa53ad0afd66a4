/* engine.c -- the engine's set of stores (see maso_engine.h): opening them
 * read-only with one sketch, one tagged view each, their segments
 * concatenated for one libmaso_search handle, and lookups by tagged id or
 * path. */
#include "engine_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int maso_engine_create(maso_engine **engine)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    *engine = calloc(1, sizeof **engine);
    return *engine ? 0 : ENOMEM;
}

/* Back to no stores. */
static void engine_close(maso_engine *e)
{
    maso_search_destroy(e->search);
    for (size_t i = 0; i < e->n; i++) {
        if (e->views)
            maso_store_view_end(e->views[i]);
        if (e->stores)
            maso_store_destroy(e->stores[i]);
        if (e->paths)
            free(e->paths[i]);
    }
    free(e->segs);
    free(e->views);
    free(e->stores);
    free(e->paths);
    free(e->weights);
    free(e->hits);
    memset(e, 0, sizeof *e);
}

void maso_engine_destroy(maso_engine *engine)
{
    if (!engine)
        return;
    engine_close(engine);
    free(engine);
}

const char *maso_engine_errmsg(const maso_engine *engine)
{
    return engine ? engine->errmsg : "no engine";
}

/* Two stores' sketches are comparable when they sample the same units. */
static int same_sketch(const maso_sketch *a, const maso_sketch *b)
{
    const maso_sketch_params *pa = maso_sketch_get_params(a);
    const maso_sketch_params *pb = maso_sketch_get_params(b);
    return pa->seed == pb->seed && pa->relu_samples == pb->relu_samples &&
           pa->maxpool_samples == pb->maxpool_samples &&
           maso_sketch_bytes(a) == maso_sketch_bytes(b);
}

static int open_one(maso_engine *e, size_t i,
                    const maso_store_identity *expected)
{
    const char *path = e->paths[i];
    int rc = maso_store_create(&e->stores[i]);
    if (rc)
        return engine_fail(e, rc, "%s: %s", path, maso_strerror(rc));
    maso_store *s = e->stores[i];
    /* without the caller's identity every store must have the first's */
    const maso_store_identity *want =
        expected ? expected
                 : i ? maso_store_get_identity(e->stores[0]) : NULL;
    rc = maso_store_open(s, path, MASO_STORE_RDONLY, want);
    if (rc == MASO_EMISMATCH)
        return engine_fail(e, rc, "%s: built with another model: %s", path,
                           maso_store_errmsg(s));
    if (rc)
        return engine_fail(e, rc, "%s: cannot open the store: %s", path,
                           maso_store_errmsg(s));
    if (i > 0 && !same_sketch(maso_store_sketch(s),
                              maso_store_sketch(e->stores[0])))
        return engine_fail(e, MASO_EMISMATCH, "%s: its sketches sample "
                           "other units than those of %s: the stores cannot "
                           "be searched together", path, e->paths[0]);
    rc = maso_store_view_begin(s, (unsigned)i, &e->views[i]);
    if (rc)
        return engine_fail(e, rc, "%s: cannot read the store: %s", path,
                           maso_store_errmsg(s));
    if (!maso_store_get_identity(s)->full_codes)
        e->full_codes = 0;
    e->count += maso_store_view_count(e->views[i]);
    return 0;
}

static int gather_segments(maso_engine *e)
{
    size_t total = 0;
    for (size_t i = 0; i < e->n; i++) {
        const maso_search_segment *segs;
        total += maso_store_view_segments(e->views[i], &segs);
    }
    e->segs = calloc(total ? total : 1, sizeof *e->segs);
    if (!e->segs)
        return engine_fail(e, ENOMEM, "out of memory");
    for (size_t i = 0; i < e->n; i++) {
        const maso_search_segment *segs;
        size_t n = maso_store_view_segments(e->views[i], &segs);
        if (n)
            memcpy(e->segs + e->n_segs, segs, n * sizeof *segs);
        e->n_segs += n;
    }
    return 0;
}

int maso_engine_open(maso_engine *engine, const char *const *paths,
                     size_t n_stores, const maso_store_identity *expected)
{
    if (!engine)
        return MASO_EINVAL_ARG;
    maso_engine *e = engine;
    e->errmsg[0] = 0;
    if (e->n)
        return engine_fail(e, MASO_EINVAL_ARG, "the engine is already open");
    if (!paths || n_stores == 0 || n_stores > 65536)
        return engine_fail(e, MASO_EINVAL_ARG, "between 1 and 65536 stores, "
                           "not %zu", n_stores);
    e->paths = calloc(n_stores, sizeof *e->paths);
    e->stores = calloc(n_stores, sizeof *e->stores);
    e->views = calloc(n_stores, sizeof *e->views);
    int rc = 0;
    if (!e->paths || !e->stores || !e->views)
        rc = engine_fail(e, ENOMEM, "out of memory");
    e->n = rc ? 0 : n_stores;
    e->full_codes = 1;
    for (size_t i = 0; i < e->n && !rc; i++)
        if (!paths[i] || !(e->paths[i] = strdup(paths[i])))
            rc = paths[i] ? engine_fail(e, ENOMEM, "out of memory")
                          : engine_fail(e, MASO_EINVAL_ARG, "store %zu has "
                                        "no path", i);
    for (size_t i = 0; i < e->n && !rc; i++)
        rc = open_one(e, i, expected);
    if (!rc)
        rc = gather_segments(e);
    if (!rc && (rc = maso_store_search_create(e->stores[0], &e->search)) != 0)
        engine_fail(e, rc, "%s: %s", e->paths[0],
                    maso_store_errmsg(e->stores[0]));
    if (rc) {
        char msg[sizeof e->errmsg];
        memcpy(msg, e->errmsg, sizeof msg);
        engine_close(e);
        memcpy(e->errmsg, msg, sizeof msg);
        return rc;
    }
    const maso_store_identity *id = maso_store_get_identity(e->stores[0]);
    e->layers = id->layers;
    e->n_layers = id->n_layers;
    maso_sketch_layers(maso_store_sketch(e->stores[0]), &e->sketch_layers);
    return 0;
}

void maso_engine_prefetch(maso_engine *e)
{
    if (!e || e->prefetched)
        return;
    e->prefetched = 1;
    /* Sketches that would fill more than half of memory are not asked for
     * at once: the first ones would leave the page cache before the pass
     * reached them, and be read twice. */
    uint64_t bytes = 0;
    for (size_t i = 0; i < e->n_segs; i++)
        bytes += (uint64_t)e->segs[i].count * e->segs[i].stride;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && bytes > (uint64_t)pages * (uint64_t)page / 2)
        return;
    for (size_t i = 0; i < e->n; i++)
        maso_store_view_prefetch(e->views[i]);
}

int maso_engine_set_weights(maso_engine *engine, const double *weights)
{
    if (!engine || !engine->n)
        return MASO_EINVAL_ARG;
    maso_engine *e = engine;
    e->errmsg[0] = 0;
    int rc = maso_search_set_weights(e->search, weights);
    if (rc)
        return engine_fail(e, rc, "%s", maso_search_errmsg(e->search));
    if (!weights) {
        free(e->weights);
        e->weights = NULL;
        return 0;
    }
    double *w = e->weights ? e->weights
                           : malloc(e->n_layers * sizeof *e->weights);
    if (!w)
        return engine_fail(e, ENOMEM, "out of memory");
    memcpy(w, weights, e->n_layers * sizeof *w);
    e->weights = w;
    return 0;
}

int maso_engine_set_threads(maso_engine *engine, int threads)
{
    if (!engine || !engine->n)
        return MASO_EINVAL_ARG;
    engine->errmsg[0] = 0;
    int rc = maso_search_set_threads(engine->search, threads);
    if (rc)
        return engine_fail(engine, rc, "%s",
                           maso_search_errmsg(engine->search));
    return 0;
}

size_t maso_engine_stores(const maso_engine *engine) { return engine->n; }
uint64_t maso_engine_count(const maso_engine *engine) { return engine->count; }
int maso_engine_full_codes(const maso_engine *engine)
{
    return engine->n && engine->full_codes;
}
maso_search *maso_engine_search_handle(maso_engine *engine)
{
    return engine->search;
}

const char *maso_engine_store_path(const maso_engine *engine, size_t index)
{
    return index < engine->n ? engine->paths[index] : NULL;
}

maso_store *maso_engine_store(maso_engine *engine, size_t index)
{
    return index < engine->n ? engine->stores[index] : NULL;
}

const maso_sketch *maso_engine_sketch(const maso_engine *engine)
{
    return engine->n ? maso_store_sketch(engine->stores[0]) : NULL;
}

size_t maso_engine_layers(const maso_engine *engine,
                          const maso_code_layer **layers)
{
    *layers = engine->layers;
    return engine->n_layers;
}

size_t maso_engine_segments(const maso_engine *engine,
                            const maso_search_segment **segments)
{
    *segments = engine->segs;
    return engine->n_segs;
}

/* The view a tagged id belongs to, or NULL. */
maso_store_view *engine_view_of(const maso_engine *e, uint64_t id,
                                size_t *index)
{
    size_t tag = maso_store_id_tag_of(id);
    if (tag >= e->n)
        return NULL;
    if (index)
        *index = tag;
    return e->views[tag];
}

int maso_engine_record(maso_engine *engine, uint64_t id,
                       maso_store_record *record, size_t *store)
{
    size_t tag;
    maso_store_view *v = engine_view_of(engine, id, &tag);
    if (!v)
        return MASO_ENOTFOUND;
    if (store)
        *store = tag;
    return maso_store_view_record(v, id, record);
}

const uint8_t *maso_engine_sketch_of(maso_engine *engine, uint64_t id)
{
    maso_store_view *v = engine_view_of(engine, id, NULL);
    return v ? maso_store_view_sketch(v, id) : NULL;
}

const uint8_t *maso_engine_code_of(maso_engine *engine, uint64_t id)
{
    maso_store_view *v = engine_view_of(engine, id, NULL);
    const uint8_t *code = NULL;
    if (!v || maso_store_view_code(v, id, &code) != 0)
        return NULL;
    return code;
}

/* Look @p path up in every store; 0 and *id when found. */
static int find_exact(maso_engine *e, const char *path, uint64_t *id)
{
    for (size_t i = 0; i < e->n; i++) {
        maso_store_record r;
        int rc = maso_store_get_by_path(e->stores[i], path, 0, &r);
        if (rc == MASO_ENOTFOUND)
            continue;
        if (rc)
            return engine_fail(e, rc, "%s: %s", e->paths[i],
                               maso_store_errmsg(e->stores[i]));
        int failed = r.status != MASO_RECORD_OK;
        if (failed)
            engine_fail(e, MASO_EDATA, "%s: indexed in %s but not coded: %s",
                        path, e->paths[i], r.reason ? r.reason : "");
        *id = maso_store_id_tag((unsigned)i, r.id);
        maso_store_record_free(&r);
        return failed ? MASO_EDATA : 0;
    }
    return MASO_ENOTFOUND;
}

int maso_engine_find_path(maso_engine *engine, const char *path, uint64_t *id)
{
    if (!engine || !path || !id)
        return MASO_EINVAL_ARG;
    engine->errmsg[0] = 0;
    char *real = realpath(path, NULL);
    int rc = MASO_ENOTFOUND;
    if (real)
        rc = find_exact(engine, real, id);
    free(real);
    if (rc == MASO_ENOTFOUND)
        rc = find_exact(engine, path, id);
    if (rc == MASO_ENOTFOUND)
        engine_fail(engine, rc, "%s: not in the store%s", path,
                    engine->n > 1 ? "s" : "");
    return rc;
}
