/* cluster_nearest.c -- --duplicates in candidate mode as an MPI job
 * (cluster.c): the pairs one process verifies when it compares each image
 * with its N nearest by the summary distance (maso_engine_duplicates with
 * candidates, maso_search_group_variants), and no other pair.
 *
 *  1. Summaries around the ring: each rank packs the ids and summaries of
 *     its records, with the summaries of their orientation sketches when
 *     the images are compared over their orientations, and sends the
 *     block around the ring of ranks (N - 1 steps).  At each step it
 *     merges the visiting block into the running N nearest of each of its
 *     own records (maso_search_nearest_merge: the summary distance, ties
 *     to the smaller id, the image itself left out), so that after the
 *     ring every record has its N nearest among all records of the job:
 *     one process's candidates exactly.  Summaries are ~1 % of the
 *     sketches (64 bytes each, 256 with orientations), so the ring moves
 *     little.
 *  2. Sketches from their owners: for the candidates held by other ranks,
 *     the sketch and the orientation sketches are fetched from the rank
 *     that owns them (box_fetch: two MPI_Alltoallv).
 *  3. Verification: each pair of a record and one of its candidates is
 *     an edge when its distance (the smallest over the orientation pairs,
 *     maso_search_distance_variants) is within the threshold.
 * The components of the edges, which rank 0 computes, are then one
 * process's groups.  Per rank: N^2 / ranks summary comparisons, its
 * records' N candidates' distances, and the candidates' sketches fetched
 * once each.
 */
#include "query.h"
#include "search.h"
#include "cluster_box.h"

#ifdef MASO_HAVE_MPI
#include <mpi.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One record: its id tagged with its store's place in the whole list,
 * its sketch and its orientation sketches (NULL entries: none kept). */
typedef struct near_record {
    uint64_t id;
    const uint8_t *sketch;
    const uint8_t *orient[MASO_STORE_ORIENTS];
} near_record;

static int near_cmp(const void *a, const void *b)
{
    const near_record *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void *must(void *p)
{
    if (!p)
        cluster_abort("out of memory");
    return p;
}

/* A block of summaries in 8-byte words: count, the ids, the summaries,
 * then with variants a presence word per record and the variants'
 * summaries (zeros where absent). */
static uint64_t *pack_summaries(maso_search *h, const near_record *rec,
                                const uint8_t *const *summary, size_t n,
                                size_t nv, size_t summary_bytes,
                                size_t *words)
{
    size_t sw = summary_bytes / 8;
    *words = 1 + n + n * sw + (nv ? n + n * nv * sw : 0);
    uint64_t *b = must(calloc(*words, 8));
    b[0] = n;
    uint64_t *ids = b + 1, *sums = ids + n, *has = sums + n * sw;
    uint64_t *vars = has + n;
    for (size_t i = 0; i < n; i++) {
        ids[i] = rec[i].id;
        memcpy(sums + i * sw, summary[i], summary_bytes);
        for (size_t v = 0; v < nv; v++) {
            if (!rec[i].orient[v])
                continue;
            if (maso_search_summarize(h, rec[i].orient[v],
                                      (uint8_t *)(vars + (i * nv + v) * sw)))
                cluster_abort("%s", maso_search_errmsg(h));
            has[i] |= 1u << v;
        }
    }
    return b;
}

/* The summary set of a packed block (pointers into it; *variants
 * malloc'ed). */
static maso_search_summary_set block_set(const uint64_t *b, size_t nv,
                                         size_t summary_bytes,
                                         const uint8_t ***variants)
{
    size_t n = (size_t)b[0], sw = summary_bytes / 8;
    const uint64_t *ids = b + 1, *sums = ids + n, *has = sums + n * sw;
    const uint64_t *vars = has + n;
    const uint8_t **var = must(calloc(n * nv + 1, sizeof *var));
    for (size_t i = 0; i < n && nv; i++)
        for (size_t v = 0; v < nv; v++)
            if (has[i] >> v & 1)
                var[i * nv + v] = (const uint8_t *)(vars + (i * nv + v) * sw);
    *variants = var;
    return (maso_search_summary_set){ n, ids, (const uint8_t *)sums, nv,
                                      var };
}

/* box_fetch()'s answer: a presence word (bit 0 the sketch, bit 1 + v
 * orientation v), the sketch, the orientation sketches. */
typedef struct sketch_answer {
    const near_record *mine;
    size_t n, nv, sketch_bytes;
} sketch_answer;

static void answer_sketches(uint64_t id, uint64_t *out, void *arg)
{
    const sketch_answer *a = arg;
    near_record key = { id, NULL, { NULL } };
    const near_record *r = bsearch(&key, a->mine, a->n, sizeof *a->mine,
                                   near_cmp);
    if (!r)
        return;
    uint8_t *p = (uint8_t *)(out + 1);
    out[0] = 1;
    memcpy(p, r->sketch, a->sketch_bytes);
    for (size_t v = 0; v < a->nv; v++)
        if (r->orient[v]) {
            out[0] |= 2u << v;
            memcpy(p + (1 + v) * a->sketch_bytes, r->orient[v],
                   a->sketch_bytes);
        }
}

int query_nearest_edges(maso_engine *engine, const size_t *global_of,
                        const int *owner, size_t candidates, int orient,
                        double max_distance, size_t sketch_bytes,
                        size_t summary_bytes, uint64_t **edges,
                        size_t *n_edges)
{
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    *edges = NULL;
    *n_edges = 0;
    size_t nv = orient ? MASO_STORE_ORIENTS : 0;
    maso_search *h = engine ? maso_engine_search_handle(engine) : NULL;
    /* This rank's records, by id. */
    const maso_search_segment *segs = NULL;
    size_t n_segs = engine ? maso_engine_segments(engine, &segs) : 0, n = 0;
    for (size_t s = 0; s < n_segs; s++)
        n += segs[s].count;
    const uint8_t **orients = NULL;
    int failed = 0;
    if (engine && nv &&
        maso_engine_orient_sketches(engine, &orients, NULL) != 0) {
        fprintf(stderr, "maso-query: rank %d: --duplicates: %s\n", rank,
                maso_engine_errmsg(engine));
        failed = 1;
    }
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed) {
        free(orients);
        return QUERY_EXIT_ERROR;
    }
    near_record *mine = must(calloc(n + 1, sizeof *mine));
    const uint8_t **summary = must(calloc(n + 1, sizeof *summary));
    for (size_t s = 0, i = 0; s < n_segs; s++)
        for (size_t j = 0; j < segs[s].count; j++, i++) {
            uint64_t id = segs[s].ids[j];
            mine[i].id = maso_store_id_tag(
                (unsigned)global_of[maso_store_id_tag_of(id)],
                maso_store_id_local(id));
            mine[i].sketch = segs[s].base + j * segs[s].stride;
            for (size_t v = 0; v < nv; v++)
                mine[i].orient[v] = orients[i * nv + v];
            summary[i] = segs[s].summaries + j * summary_bytes;
        }
    free(orients);
    /* the segments are in id order already (stores in the list's order,
     * records by id): the summaries stay beside their records */
    for (size_t i = 1; i < n; i++)
        if (mine[i - 1].id >= mine[i].id)
            cluster_abort("shard records out of id order (internal error)");

    /* 1. the summaries around the ring; the N nearest of each record */
    size_t words;
    uint64_t *own = pack_summaries(h, mine, summary, n, nv, summary_bytes,
                                   &words);
    free(summary);
    const uint8_t **own_var;
    maso_search_summary_set own_set = block_set(own, nv, summary_bytes,
                                                &own_var);
    maso_search_hit *nearest = must(malloc((n * candidates + 1) *
                                           sizeof *nearest));
    size_t *n_nearest = must(calloc(n + 1, sizeof *n_nearest));
    uint64_t *visit = NULL;
    for (int k = 0; k < ranks; k++) {
        const uint64_t *block = own;
        if (k > 0) {
            int dest = (rank + k) % ranks, src = (rank - k + ranks) % ranks;
            uint64_t out = words, in = 0;
            MPI_Sendrecv(&out, 1, MPI_UINT64_T, dest, 1, &in, 1,
                         MPI_UINT64_T, src, 1, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
            if (in > INT_MAX || out > INT_MAX)
                cluster_abort("a block past MPI's 2^31-1 counts");
            free(visit);
            visit = must(malloc(in * 8 + 8));
            MPI_Sendrecv(own, (int)out, MPI_UINT64_T, dest, 2, visit,
                         (int)in, MPI_UINT64_T, src, 2, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
            block = visit;
        }
        const uint8_t **var;
        maso_search_summary_set set = block_set(block, nv, summary_bytes,
                                                &var);
        if (n && set.count &&
            maso_search_nearest_merge(h, &own_set, &set, candidates,
                                      nearest, n_nearest) != 0) {
            cluster_abort("%s", maso_search_errmsg(h));
        }
        free(var);
    }
    free(visit);
    free(own_var);
    free(own);

    /* 2. the candidates this rank lacks, from their owners */
    outbox ask;
    if (outbox_init(&ask, ranks))
        cluster_abort("out of memory");
    for (size_t q = 0; q < n; q++)
        for (size_t k = 0; k < n_nearest[q]; k++) {
            near_record key = { nearest[q * candidates + k].id, NULL,
                                { NULL } };
            if (!bsearch(&key, mine, n, sizeof *mine, near_cmp))
                outbox_put(&ask, owner[maso_store_id_tag_of(key.id)],
                           &key.id, 1);
        }
    for (int r = 0; r < ranks; r++)
        ask.n[r] = box_sort_unique(ask.v[r], ask.n[r], 1);
    size_t rec_words = 1 + ((1 + nv) * sketch_bytes + 7) / 8;
    sketch_answer sa = { mine, n, nv, sketch_bytes };
    uint64_t *got;
    box_fetch(&ask, rec_words, answer_sketches, &sa, &got);
    size_t n_remote = 0;
    for (int r = 0; r < ranks; r++)
        n_remote += ask.n[r];
    near_record *remote = must(calloc(n_remote + 1, sizeof *remote));
    for (int r = 0, at = 0; r < ranks; r++)
        for (size_t k = 0; k < ask.n[r]; k++, at++) {
            const uint64_t *w = got + (size_t)at * rec_words;
            const uint8_t *p = (const uint8_t *)(w + 1);
            remote[at].id = ask.v[r][k];
            remote[at].sketch = w[0] & 1 ? p : NULL;
            for (size_t v = 0; v < nv; v++)
                remote[at].orient[v] = w[0] >> (1 + v) & 1
                                           ? p + (1 + v) * sketch_bytes
                                           : NULL;
        }
    qsort(remote, n_remote, sizeof *remote, near_cmp);
    outbox_free(&ask);

    /* 3. each record's pairs with its candidates, verified; a pair whose
     * records this rank's edges already join is not (it changes no
     * component), so a cluster of near-identical images costs about one
     * distance per member, as in one process */
    size_t pairs = 0;
    for (size_t q = 0; q < n; q++)
        pairs += n_nearest[q];
    uint64_t *edge = must(malloc((2 * pairs + 1) * sizeof *edge));
    size_t *parent = must(malloc((n + n_remote + 1) * sizeof *parent));
    for (size_t i = 0; i < n + n_remote; i++)
        parent[i] = i;
    size_t k = 0;
    for (size_t q = 0; q < n; q++)
        for (size_t c = 0; c < n_nearest[q]; c++) {
            near_record key = { nearest[q * candidates + c].id, NULL,
                                { NULL } };
            const near_record *b = bsearch(&key, mine, n, sizeof *mine,
                                           near_cmp);
            size_t node = b ? (size_t)(b - mine) : 0;
            if (!b && (b = bsearch(&key, remote, n_remote, sizeof *remote,
                                   near_cmp)))
                node = n + (size_t)(b - remote);
            if (!b || !b->sketch)
                continue;
            size_t ra = box_find_root(parent, q);
            size_t rb = box_find_root(parent, node);
            if (ra == rb)
                continue;
            double d = maso_search_distance_variants(
                h, mine[q].sketch, nv ? mine[q].orient : NULL, b->sketch,
                nv ? b->orient : NULL, nv);
            if (d <= max_distance) {
                edge[2 * k] = mine[q].id;
                edge[2 * k + 1] = b->id;
                k++;
                parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
        }
    free(parent);
    free(remote);
    free(got);
    free(nearest);
    free(n_nearest);
    free(mine);
    *edges = edge;
    *n_edges = k;
    return 0;
}

#endif
