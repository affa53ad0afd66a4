/* duplicates.c -- maso-query --duplicates DB: the near-duplicate groups of
 * the whole store(s), from maso_engine_duplicates (db/maso_engine.h).
 * Output is sorted (paths within a group, groups by their first path) so
 * that it does not depend on the order in which files were indexed. */
#include "session.h"
#include "query.h"

#include <stdlib.h>
#include <string.h>

typedef struct group {
    const char **paths; /* into the views */
    size_t n;
    double max_distance;
} group;

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int group_cmp(const void *a, const void *b)
{
    return strcmp(((const group *)a)->paths[0], ((const group *)b)->paths[0]);
}

/* The groups' paths, each group sorted; 0 or an error status. */
static int collect(session *s, const maso_search_groups *g, group *out,
                   const char **paths)
{
    for (size_t i = 0; i < g->n_groups; i++) {
        out[i].paths = paths + g->offsets[i];
        out[i].n = g->offsets[i + 1] - g->offsets[i];
        out[i].max_distance = g->max_distance[i];
        for (size_t j = 0; j < out[i].n; j++) {
            maso_store_record r;
            if (maso_engine_record(s->engine, g->ids[g->offsets[i] + j], &r,
                                   NULL))
                return MASO_ENOTFOUND;
            out[i].paths[j] = r.path;
        }
        qsort(out[i].paths, out[i].n, sizeof *out[i].paths, path_cmp);
    }
    qsort(out, g->n_groups, sizeof *out, group_cmp);
    return 0;
}

int query_duplicates(const search_options *o)
{
    session s;
    if (session_open(&s, o, 1) != 0)
        return QUERY_EXIT_ERROR;
    double thr = o->threshold < 0 ? QUERY_DUPLICATES_THRESHOLD : o->threshold;
    maso_engine_params ep;
    maso_engine_params_init(&ep);
    ep.exact = o->exact;
    ep.candidates = o->candidates;
    maso_search_groups g = { 0, NULL, NULL, NULL };
    int rc = maso_engine_duplicates(s.engine, thr, &ep, &g);
    if (rc) {
        fprintf(stderr, "maso-query: --duplicates: %s\n",
                maso_engine_errmsg(s.engine));
        return session_close(&s, QUERY_EXIT_ERROR);
    }
    group *groups = calloc(g.n_groups + 1, sizeof *groups);
    const char **paths = calloc(g.offsets ? g.offsets[g.n_groups] + 1 : 1,
                                sizeof *paths);
    int status = g.n_groups ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
    if (!groups || !paths) {
        fprintf(stderr, "maso-query: out of memory\n");
        status = QUERY_EXIT_ERROR;
    } else if (collect(&s, &g, groups, paths) != 0) {
        fprintf(stderr, "maso-query: a record vanished from the store\n");
        status = QUERY_EXIT_ERROR;
    } else {
        output_begin(&s.rep, 1);
        for (size_t i = 0; i < g.n_groups; i++)
            output_group(&s.rep, i + 1, groups[i].paths, groups[i].n,
                         groups[i].max_distance);
    }
    fflush(stdout);
    free(paths);
    free(groups);
    maso_search_groups_free(&g);
    return session_close(&s, status);
}
