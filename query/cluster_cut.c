/* cluster_cut.c -- the coarse stage of an MPI query (cluster.c), agreed
 * over all ranks so that the candidates are exactly those one process
 * over all the shards picks.
 *
 * One process keeps the C records with the smallest summary distance,
 * ties by their position (the stores in the order of the list, then their
 * records).  Each rank takes its own C best (maso_engine_candidates); the
 * whole collection's C best are among them.  A histogram of their summary
 * distances, summed over the ranks (MPI_Allreduce, summary bits + 1 bins),
 * gives the cut (maso_search_summary_cut): every candidate nearer than
 * distance D, and the first `take` records at D.  Which records at D come
 * first depends on the stores' order only: the count at D per store,
 * summed over the ranks (a rank holds whole stores), is walked in the
 * list's order to give each store its quota.  Two small collectives per
 * query, whatever C.
 *
 * With full codes, one process re-ranks the best R sketch hits of all the
 * shards (maso_engine_rerank_candidates): each rank takes its own R best
 * (maso_engine_sketch_hits), all ranks gather them (MPI_Allgatherv, 16
 * bytes each) and each re-ranks those of its hits within the R best of
 * all.
 */
#include "search.h"

#ifdef MASO_HAVE_MPI
#include <mpi.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

int query_agree_candidates(maso_engine *engine, const size_t *global_of,
                           size_t n_stores, const maso_engine_probe *probes,
                           size_t n_probes, size_t wanted, size_t bins,
                           maso_engine_candidate **chosen, size_t *n_chosen)
{
    *chosen = NULL;
    *n_chosen = 0;
    maso_engine_candidate *mine = calloc(wanted ? wanted : 1, sizeof *mine);
    uint64_t *histogram = calloc(bins, sizeof *histogram);
    uint64_t *at_cut = calloc(n_stores ? n_stores : 1, sizeof *at_cut);
    size_t n = 0;
    int rc = mine && histogram && at_cut ? 0 : ENOMEM;
    if (!rc && engine)
        rc = maso_engine_candidates(engine, probes, n_probes, wanted, mine,
                                    &n);
    for (size_t i = 0; !rc && i < n; i++)
        if (mine[i].distance < bins)
            histogram[mine[i].distance]++;
    /* Every rank joins both collectives, failed or not (a failed rank
     * counts nothing and reports after). */
    int failed = rc != 0;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed) {
        free(mine);
        free(histogram);
        free(at_cut);
        return rc ? rc : MASO_EINVAL_ARG;
    }
    MPI_Allreduce(MPI_IN_PLACE, histogram, (int)bins, MPI_UINT64_T, MPI_SUM,
                  MPI_COMM_WORLD);
    uint32_t cut = 0;
    uint64_t take = 0;
    maso_search_summary_cut(histogram, bins, wanted, &cut, &take);
    for (size_t i = 0; i < n; i++)
        if (mine[i].distance == cut)
            at_cut[global_of[mine[i].store]]++;
    MPI_Allreduce(MPI_IN_PLACE, at_cut, (int)n_stores, MPI_UINT64_T,
                  MPI_SUM, MPI_COMM_WORLD);
    /* at_cut becomes each store's quota at the cut, in the list's order */
    for (size_t s = 0; s < n_stores; s++) {
        uint64_t q = at_cut[s] < take ? at_cut[s] : take;
        at_cut[s] = q;
        take -= q;
    }
    /* mine is sorted by (distance, position): a store's records at the
     * cut come in its order */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *quota = &at_cut[global_of[mine[i].store]];
        if (mine[i].distance < cut ||
            (mine[i].distance == cut && *quota > 0 && (*quota)--))
            mine[kept++] = mine[i];
    }
    free(histogram);
    free(at_cut);
    *chosen = mine;
    *n_chosen = kept;
    return 0;
}

/* One sketch hit as the ranks exchange it. */
typedef struct cut_hit {
    double distance;
    uint64_t id;        /* tagged with its store's place in the list */
} cut_hit;

static int cut_hit_cmp(const void *a, const void *b)
{
    const cut_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int query_agree_rerank(const maso_engine_match *hits, size_t n,
                       const size_t *global_of, size_t wanted, size_t *keep)
{
    int ranks;
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    *keep = 0;
    cut_hit *mine = malloc((n ? n : 1) * sizeof *mine);
    int *counts = calloc((size_t)ranks, sizeof *counts);
    int *displs = calloc((size_t)ranks, sizeof *displs);
    int failed = !mine || !counts || !displs || n > wanted ||
                 wanted * sizeof(cut_hit) > INT_MAX / (size_t)ranks;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed) {
        free(mine);
        free(counts);
        free(displs);
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        mine[i] = (cut_hit){ hits[i].distance, maso_store_id_tag(
            (unsigned)global_of[maso_store_id_tag_of(hits[i].id)],
            maso_store_id_local(hits[i].id)) };
    int bytes = (int)(n * sizeof *mine);
    MPI_Allgather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    for (int r = 0; r < ranks; r++) {
        displs[r] = (int)total;
        total += (size_t)counts[r];
    }
    cut_hit *all = malloc(total ? total : 1);
    failed = !all;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed) {
        free(all);
        free(mine);
        free(counts);
        free(displs);
        return ENOMEM;
    }
    MPI_Allgatherv(mine, bytes, MPI_BYTE, all, counts, displs, MPI_BYTE,
                   MPI_COMM_WORLD);
    size_t n_all = total / sizeof *all;
    /* mine is sorted like all (the tags keep the list's order): the kept
     * ones are a prefix */
    size_t k = n;
    if (n_all > wanted) {
        qsort(all, n_all, sizeof *all, cut_hit_cmp);
        k = 0;
        while (k < n && cut_hit_cmp(&mine[k], &all[wanted - 1]) <= 0)
            k++;
    }
    *keep = k;
    free(all);
    free(mine);
    free(counts);
    free(displs);
    return 0;
}

#endif
