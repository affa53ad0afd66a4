/* duplicates.c -- maso-query --duplicates DB: the near-duplicate groups of
 * the whole store(s).  maso_search_duplicates finds candidate pairs from
 * the summaries (banded: equal chunks), never all pairs, and verifies
 * each with the exact sketch distance; groups are connected components. */
#include "session.h"
#include "query.h"

#include <stdlib.h>

int query_duplicates(const search_options *o)
{
    session s;
    if (session_open(&s, o, 1) != 0)
        return QUERY_EXIT_ERROR;
    double thr = o->threshold < 0 ? QUERY_DUPLICATES_THRESHOLD : o->threshold;
    const maso_search_segment *segs;
    size_t n_segs = dbset_segments(s.set, &segs);
    maso_search_groups g = { 0, NULL, NULL, NULL };
    int rc = maso_search_duplicates(s.engine, segs, n_segs, thr, 0, &g);
    if (rc) {
        fprintf(stderr, "maso-query: --duplicates: %s\n",
                maso_search_errmsg(s.engine));
        return session_close(&s, QUERY_EXIT_ERROR);
    }
    output_begin(&s.rep, 1);
    const char **paths = NULL;
    size_t cap = 0;
    int status = g.n_groups ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
    for (size_t i = 0; i < g.n_groups && status != QUERY_EXIT_ERROR; i++) {
        size_t n = g.offsets[i + 1] - g.offsets[i];
        if (n > cap) {
            const char **p = realloc(paths, n * sizeof *paths);
            if (!p) {
                fprintf(stderr, "maso-query: out of memory\n");
                status = QUERY_EXIT_ERROR;
                break;
            }
            paths = p;
            cap = n;
        }
        for (size_t j = 0; j < n && status != QUERY_EXIT_ERROR; j++) {
            maso_store_record r;
            if (dbset_record(s.set, g.ids[g.offsets[i] + j], &r, NULL) != 0) {
                fprintf(stderr, "maso-query: a record vanished from the "
                        "store\n");
                status = QUERY_EXIT_ERROR;
            } else {
                paths[j] = r.path;
            }
        }
        if (status != QUERY_EXIT_ERROR)
            output_group(&s.rep, i + 1, paths, n, g.max_distance[i]);
    }
    fflush(stdout);
    free(paths);
    maso_search_groups_free(&g);
    return session_close(&s, status);
}
