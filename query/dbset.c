/* dbset.c -- several stores searched as one (see dbset.h).  Each store
 * gets a view tagged with its position, so the ids in the engine's
 * results say which store a hit came from. */
#include "dbset.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dbset {
    size_t n;
    const char **paths;        /* borrowed from the caller */
    maso_store **stores;
    maso_store_view **views;
    maso_search_segment *segs; /* all views' segments, store 0 first */
    size_t n_segs;
    uint64_t count;
    maso_search *engine;
    int full_codes;
};

/* Two stores' sketches are comparable when they sample the same units. */
static int same_sketch(const maso_sketch *a, const maso_sketch *b)
{
    const maso_sketch_params *pa = maso_sketch_get_params(a);
    const maso_sketch_params *pb = maso_sketch_get_params(b);
    return pa->seed == pb->seed && pa->relu_samples == pb->relu_samples &&
           pa->maxpool_samples == pb->maxpool_samples &&
           maso_sketch_bytes(a) == maso_sketch_bytes(b);
}

static int open_one(dbset *set, size_t i, const maso_store_identity *id,
                    char err[MASO_CLI_ERRLEN])
{
    const char *path = set->paths[i];
    int rc = maso_store_create(&set->stores[i]);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path, maso_strerror(rc));
        return rc;
    }
    maso_store *s = set->stores[i];
    rc = maso_store_open(s, path, MASO_STORE_RDONLY, id);
    if (rc == MASO_EMISMATCH) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: built with another model: %s",
                 path, maso_store_errmsg(s));
        return rc;
    }
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: cannot open the store: %s",
                 path, maso_store_errmsg(s));
        return rc;
    }
    if (i > 0 && !same_sketch(maso_store_sketch(s),
                              maso_store_sketch(set->stores[0]))) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: its sketches sample other units "
                 "than those of %s: the stores cannot be searched together",
                 path, set->paths[0]);
        return MASO_EMISMATCH;
    }
    rc = maso_store_view_begin(s, (unsigned)i, &set->views[i]);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: cannot read the store: %s", path,
                 maso_store_errmsg(s));
        return rc;
    }
    if (!maso_store_identity_get(s)->full_codes)
        set->full_codes = 0;
    set->count += maso_store_view_count(set->views[i]);
    return 0;
}

static int gather_segments(dbset *set)
{
    size_t total = 0;
    for (size_t i = 0; i < set->n; i++) {
        const maso_search_segment *segs;
        total += maso_store_view_segments(set->views[i], &segs);
    }
    set->segs = calloc(total ? total : 1, sizeof *set->segs);
    if (!set->segs)
        return ENOMEM;
    for (size_t i = 0; i < set->n; i++) {
        const maso_search_segment *segs;
        size_t n = maso_store_view_segments(set->views[i], &segs);
        if (n)
            memcpy(set->segs + set->n_segs, segs, n * sizeof *segs);
        set->n_segs += n;
    }
    return 0;
}

int dbset_open(const char *const *paths, size_t n, const maso_model *model,
               dbset **out, char err[MASO_CLI_ERRLEN])
{
    *out = NULL;
    if (n == 0 || n > 65536) {
        snprintf(err, MASO_CLI_ERRLEN, "between 1 and 65536 stores, not %zu",
                 n);
        return MASO_EINVAL_ARG;
    }
    dbset *set = calloc(1, sizeof *set);
    if (!set) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    set->n = n;
    set->paths = (const char **)paths;
    set->full_codes = 1;
    set->stores = calloc(n, sizeof *set->stores);
    set->views = calloc(n, sizeof *set->views);
    int rc = (!set->stores || !set->views) ? ENOMEM : 0;
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    maso_store_identity id;
    char pre[MASO_CLI_PREPROCESS_LEN];
    if (model)
        maso_cli_store_identity(model, &id, pre);
    for (size_t i = 0; i < n && !rc; i++)
        rc = open_one(set, i, model ? &id
                                    : i ? maso_store_identity_get(set->stores[0])
                                        : NULL, err);
    if (!rc && (rc = gather_segments(set)) != 0)
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
    if (!rc && (rc = maso_store_search_create(set->stores[0],
                                              &set->engine)) != 0)
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", paths[0],
                 maso_store_errmsg(set->stores[0]));
    if (rc) {
        dbset_close(set);
        return rc;
    }
    *out = set;
    return 0;
}

void dbset_close(dbset *set)
{
    if (!set)
        return;
    maso_search_destroy(set->engine);
    for (size_t i = 0; i < set->n; i++) {
        if (set->views)
            maso_store_view_end(set->views[i]);
        if (set->stores)
            maso_store_destroy(set->stores[i]);
    }
    free(set->segs);
    free(set->views);
    free(set->stores);
    free(set);
}

size_t dbset_segments(const dbset *set, const maso_search_segment **segs)
{
    *segs = set->segs;
    return set->n_segs;
}

uint64_t dbset_count(const dbset *set) { return set->count; }
maso_search *dbset_engine(dbset *set) { return set->engine; }
int dbset_full_codes(const dbset *set) { return set->full_codes; }

const maso_store_identity *dbset_identity(const dbset *set)
{
    return maso_store_identity_get(set->stores[0]);
}

const maso_sketch *dbset_sketch(const dbset *set)
{
    return maso_store_sketch(set->stores[0]);
}

/* The view a tagged id belongs to, or NULL. */
static maso_store_view *view_of(dbset *set, uint64_t id, size_t *index)
{
    size_t tag = (size_t)(id >> MASO_STORE_TAG_SHIFT);
    if (tag >= set->n)
        return NULL;
    if (index)
        *index = tag;
    return set->views[tag];
}

int dbset_record(dbset *set, uint64_t id, maso_store_record *record,
                 const char **db)
{
    size_t tag;
    maso_store_view *v = view_of(set, id, &tag);
    if (!v)
        return MASO_ENOTFOUND;
    if (db)
        *db = set->paths[tag];
    return maso_store_view_record(v, id, record);
}

const uint8_t *dbset_sketch_of(dbset *set, uint64_t id)
{
    maso_store_view *v = view_of(set, id, NULL);
    return v ? maso_store_view_sketch(v, id) : NULL;
}

const uint8_t *dbset_code_of(dbset *set, uint64_t id)
{
    maso_store_view *v = view_of(set, id, NULL);
    const uint8_t *code = NULL;
    if (!v || maso_store_view_code(v, id, &code) != 0)
        return NULL;
    return code;
}

/* Look @p path up in every store; 0 and *id when found. */
static int find_exact(dbset *set, const char *path, uint64_t *id,
                      char err[MASO_CLI_ERRLEN])
{
    for (size_t i = 0; i < set->n; i++) {
        maso_store_record r;
        int rc = maso_store_get_by_path(set->stores[i], path, 0, &r);
        if (rc == MASO_ENOTFOUND)
            continue;
        if (rc) {
            snprintf(err, MASO_CLI_ERRLEN, "%s: %s", set->paths[i],
                     maso_store_errmsg(set->stores[i]));
            return rc;
        }
        int failed = r.status != MASO_RECORD_OK;
        if (failed)
            snprintf(err, MASO_CLI_ERRLEN, "%s: indexed in %s but not coded: "
                     "%s", path, set->paths[i], r.reason ? r.reason : "");
        *id = ((uint64_t)i << MASO_STORE_TAG_SHIFT) | r.id;
        maso_store_record_free(&r);
        return failed ? MASO_EDATA : 0;
    }
    return MASO_ENOTFOUND;
}

int dbset_find_path(dbset *set, const char *path, uint64_t *id,
                    char err[MASO_CLI_ERRLEN])
{
    /* Stores key records by absolute path (maso-index resolves them), so
     * a relative or symlinked name is tried resolved too. */
    char *real = realpath(path, NULL);
    int rc = MASO_ENOTFOUND;
    if (real)
        rc = find_exact(set, real, id, err);
    free(real);
    if (rc == MASO_ENOTFOUND)
        rc = find_exact(set, path, id, err);
    if (rc == MASO_ENOTFOUND)
        snprintf(err, MASO_CLI_ERRLEN, "%s: not in the store%s", path,
                 set->n > 1 ? "s" : "");
    return rc;
}
