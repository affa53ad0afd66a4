/* duplicates.c -- maso-query --duplicates DB: the near-duplicate groups of
 * the whole store(s), what each member is, which one is kept, and the
 * action on the others.
 *
 * maso_engine_duplicates (db/include/maso_engine.h) gives the connected components
 * of all pairs within the threshold.  Output is sorted (paths within a
 * group, groups by their first path) so that it does not depend on the
 * order in which files were indexed.  A path held by two stores (a store
 * named twice, or overlapping stores) is one member.  Actions run group by
 * group, each group's output after its actions (so JSON shows what was
 * done); the stores are updated when all is done. */
#include "dupes.h"
#include "session.h"
#include "query.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* The groups' members, sorted and without repeated paths; groups left
 * with one member are dropped.  Returns 0 or an error status. */
static int collect(session *s, const maso_search_groups *g, dupe_group *out,
                   dupe_member *members, size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_groups; i++) {
        dupe_group *grp = &out[n];
        grp->members = members + g->offsets[i];
        grp->n = g->offsets[i + 1] - g->offsets[i];
        grp->max_distance = g->max_distance[i];
        for (size_t j = 0; j < grp->n; j++) {
            maso_store_record r;
            uint64_t id = g->ids[g->offsets[i] + j];
            if (maso_engine_record(s->engine, id, &r, NULL))
                return MASO_ENOTFOUND;
            grp->members[j].path = r.path;
            grp->members[j].id = id;
            grp->members[j].record_size = r.size;
            grp->members[j].record_mtime_ns = r.mtime_ns;
        }
        qsort(grp->members, grp->n, sizeof *grp->members,
              dupe_member_cmp);
        size_t kept = 0;
        for (size_t j = 0; j < grp->n; j++)
            if (kept == 0 ||
                strcmp(grp->members[j].path, grp->members[kept - 1].path))
                grp->members[kept++] = grp->members[j];
        grp->n = kept;
        if (grp->n >= 2)
            n++;
    }
    qsort(out, n, sizeof *out, dupe_group_cmp);
    *n_out = n;
    return 0;
}

void query_say_unoriented(uint64_t unoriented, uint64_t count)
{
    fprintf(stderr, "maso-query: %llu of %llu images were indexed without "
            "their mirrored and turned sketches (an older maso-index, or "
            "--no-orient): they are grouped only as they are; "
            "maso-index --rescan adds them\n",
            (unsigned long long)unoriented, (unsigned long long)count);
}

/* Distances to the kept member (0 for it): the distance grouping used
 * (the sketch distance with the session's weights, over the orientations
 * unless --no-orient). */
static void distances(session *s, dupe_group *g, int orient)
{
    if (g->keep >= g->n)
        return;
    uint64_t k = g->members[g->keep].id;
    for (size_t i = 0; i < g->n; i++) {
        double d = i == g->keep ? 0
                                : maso_engine_pair_distance(
                                      s->engine, k, g->members[i].id, orient);
        g->members[i].distance = d < 0 ? 0 : d;
    }
}

static void free_members(dupe_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].to);
        free(m[i].error);
    }
}

/* Group by group: choose, act, print.  Returns the number of failures. */
static size_t run_groups(session *s, const dupe_options *d, dupe_group *groups,
                         size_t n, dupe_updates *u, output_tally *tally)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    /* Destinations are shown and used as absolute paths. */
    char move_to[PATH_MAX];
    dupe_options abs = *d;
    if (d->move_to && d->move_to[0] != '/' && cwd[0] &&
        snprintf(move_to, sizeof move_to, "%s/%s", cwd, d->move_to) <
            (int)sizeof move_to)
        abs.move_to = move_to;
    d = &abs;
    size_t failed = 0;
    output_begin(&s->rep, 1);
    for (size_t i = 0; i < n; i++) {
        dupe_group *g = &groups[i];
        dupe_members_stat(g);
        dupe_group_choose(g, d);
        /* as the groups were made: --bands compares images as they are */
        distances(s, g, !s->o->no_orient && !s->o->bands);
        failed += dupe_group_act(s, g, d, cwd, u);
        output_group(&s->rep, i + 1, g, d);
        output_tally_group(tally, g);
    }
    return failed;
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
    ep.bands = o->bands;
    ep.no_orient = o->no_orient;
    maso_search_groups g = { 0, NULL, NULL, NULL };
    int rc = maso_engine_duplicates(s.engine, thr, &ep, &g);
    uint64_t unoriented = maso_engine_duplicates_unoriented(s.engine);
    if (!rc && unoriented)
        query_say_unoriented(unoriented, maso_engine_count(s.engine));
    if (rc) {
        char msg[MASO_CLI_ERRLEN];
        snprintf(msg, sizeof msg, "--duplicates: %s",
                 maso_engine_errmsg(s.engine));
        maso_cli_print_error("maso-query", msg);
        return session_close(&s, QUERY_EXIT_ERROR);
    }
    size_t total = g.offsets ? g.offsets[g.n_groups] : 0, n = 0;
    dupe_group *groups = calloc(g.n_groups + 1, sizeof *groups);
    dupe_member *members = calloc(total + 1, sizeof *members);
    dupe_updates *u = NULL;
    output_tally tally;
    memset(&tally, 0, sizeof tally);
    int status = QUERY_EXIT_ERROR;
    if (!groups || !members || dupe_updates_create(&u) != 0) {
        maso_cli_print_error("maso-query", "out of memory");
    } else if (collect(&s, &g, groups, members, &n) != 0) {
        maso_cli_print_error("maso-query", "a record vanished from the store");
    } else {
        size_t failed = run_groups(&s, &o->dupes, groups, n, u, &tally);
        output_duplicates_end(&s.rep, &tally, &o->dupes);
        status = failed ? QUERY_EXIT_ERROR
                 : n ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
    }
    fflush(stdout);
    free_members(members, total);
    free(members);
    free(groups);
    maso_search_groups_free(&g);
    status = session_close(&s, status);
    /* The views are closed: now the stores can be opened for writing. */
    if (u && dupe_updates_apply(u, o->dbs, o->n_dbs) != 0)
        status = QUERY_EXIT_ERROR;
    dupe_updates_destroy(u);
    return status;
}
