/* cluster_bands.c -- the banded --duplicates of an MPI job (cluster.c):
 * the pairs one process compares (maso_engine_duplicates with bands), found
 * by exchanging band keys all-to-all instead of comparing every pair.
 *
 *  1. Keys: each rank computes the band keys of its records
 *     (maso_engine_dupe_keys) and sends (band, key, record, summary) to the
 *     rank that a hash of (band, key) names among the ranks with an engine
 *     (MPI_Alltoallv), a few bands per round so that the buffers stay
 *     small.  Equal keys of one band meet on one rank, which sorts what it
 *     received; a pair inside a run of equal keys is a candidate when the
 *     summaries pass maso_engine_dupe_candidate() (the test one process
 *     makes before a distance; most colliding pairs of a short key fail
 *     it), and is sent on only from the first band where the two keys are
 *     equal, so that every candidate pair is sent once.
 *  2. Pairs: each candidate pair (a, b) goes to the rank owning a
 *     (MPI_Alltoallv).
 *  3. Records: that rank asks the owners of the b's it lacks for their
 *     sketches and summaries (two more MPI_Alltoallv: the ids, then the
 *     bytes), and verifies the pairs (maso_engine_dupe_pair), but not one
 *     whose records its edges already join: those within the threshold
 *     are the edges.
 * The candidate pairs are exactly those of one process over all the shards
 * (pairs with an equal key in some band, summaries within the bands'
 * promise), so the components of the edges, which rank 0 computes, are its
 * groups.  Cost per rank: bands x records / ranks keys sent and sorted, and
 * the candidate pairs of its records; not the N^2 / ranks pairs of the
 * ring (cluster.c), which the other modes keep.
 */
#include "query.h"
#include "search.h"
#include "cluster_box.h"

#ifdef MASO_HAVE_MPI
#include <mpi.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Bands exchanged per round of step 1. */
#define BANDS_PER_ROUND 8

/* One local record. */
typedef struct local_record {
    uint64_t id;                /* tagged with its store's place in the list */
    const uint8_t *sketch, *summary;
} local_record;

static int record_cmp(const void *a, const void *b)
{
    const local_record *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}


/* The rank that takes (band, key): a 64-bit mix of both. */
static int key_rank(uint64_t band, uint64_t key, int ranks)
{
    uint64_t h = key * 0x9e3779b97f4a7c15u ^ (band + 1) * 0xc2b2ae3d27d4eb4fu;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return (int)(h % (uint64_t)ranks);
}

/* box_fetch()'s answer: the sketch and summary of a record of this rank. */
typedef struct record_answer {
    const local_record *mine;
    size_t n, sketch_bytes, summary_bytes;
} record_answer;

static void answer_record(uint64_t id, uint64_t *out, void *arg)
{
    const record_answer *a = arg;
    local_record key = { id, NULL, NULL };
    const local_record *l = bsearch(&key, a->mine, a->n, sizeof *a->mine,
                                    record_cmp);
    if (l) {
        memcpy(out, l->sketch, a->sketch_bytes);
        memcpy((uint8_t *)out + a->sketch_bytes, l->summary,
               a->summary_bytes);
    }
}

int query_band_edges(maso_engine *engine, const size_t *global_of,
                     const int *owner, size_t bands, double max_distance,
                     size_t sketch_bytes, size_t summary_bytes,
                     uint64_t **edges, size_t *n_edges, uint64_t *compared)
{
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    *edges = NULL;
    *n_edges = 0;
    *compared = 0;
    /* This rank's records, by id. */
    const maso_search_segment *segs = NULL;
    size_t n_segs = engine ? maso_engine_segments(engine, &segs) : 0, n = 0;
    for (size_t s = 0; s < n_segs; s++)
        n += segs[s].count;
    local_record *mine = malloc((n + 1) * sizeof *mine);
    uint64_t *keys = malloc((bands + 1) * sizeof *keys);
    outbox box;
    int failed = outbox_init(&box, ranks) || !mine || !keys;
    for (size_t s = 0, i = 0; !failed && s < n_segs; s++)
        for (size_t j = 0; j < segs[s].count; j++, i++) {
            uint64_t id = segs[s].ids[j];
            mine[i].id = maso_store_id_tag(
                (unsigned)global_of[maso_store_id_tag_of(id)],
                maso_store_id_local(id));
            mine[i].sketch = segs[s].base + j * segs[s].stride;
            mine[i].summary = segs[s].summaries + j * summary_bytes;
        }
    if (!failed)
        qsort(mine, n, sizeof *mine, record_cmp);
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (failed)
        cluster_abort("out of memory");

    /* 1. band keys, with the summaries, to the ranks that have an engine
     * (they test the pairs); runs of equal keys become pairs, addressed to
     * the owner of their first record */
    int *testers = malloc((size_t)ranks * sizeof *testers), n_testers = 0;
    int has = engine != NULL;
    int *have = malloc((size_t)ranks * sizeof *have);
    if (!testers || !have)
        cluster_abort("out of memory");
    MPI_Allgather(&has, 1, MPI_INT, have, 1, MPI_INT, MPI_COMM_WORLD);
    for (int r = 0; r < ranks; r++)
        if (have[r])
            testers[n_testers++] = r;
    free(have);
    size_t sum_words = summary_bytes / 8, width = 3 + sum_words;
    uint64_t *item = malloc(width * sizeof *item);
    uint64_t *keys_x = malloc((bands + 1) * sizeof *keys_x);
    outbox pairs;
    if (outbox_init(&pairs, ranks) || !item || !keys_x)
        cluster_abort("out of memory");
    for (size_t first = 0; first < bands && n_testers; first += BANDS_PER_ROUND) {
        size_t last = first + BANDS_PER_ROUND < bands ? first + BANDS_PER_ROUND
                                                      : bands;
        outbox_clear(&box);
        for (size_t i = 0; i < n; i++) {
            if (maso_engine_dupe_keys(engine, mine[i].summary, bands, keys))
                cluster_abort("%s", maso_engine_errmsg(engine));
            memcpy(item + 3, mine[i].summary, summary_bytes);
            item[2] = mine[i].id;
            for (size_t b = first; b < last; b++) {
                item[0] = b;
                item[1] = keys[b];
                outbox_put(&box, testers[key_rank(b, keys[b], n_testers)],
                           item, width);
            }
        }
        uint64_t *in;
        size_t n_in;
        box_exchange(&box, &in, &n_in);
        size_t items = n_in / width;
        qsort(in, items, width * 8, box_cmp3);
        for (size_t lo = 0, hi; lo < items; lo = hi) {
            const uint64_t *x0 = in + lo * width;
            for (hi = lo + 1; hi < items && in[hi * width] == x0[0] &&
                 in[hi * width + 1] == x0[1]; hi++)
                ;
            size_t band = (size_t)x0[0];
            /* the run's keys of the earlier bands, once per member */
            uint64_t *earlier = NULL;
            if (band && hi - lo > 1) {
                earlier = malloc((hi - lo) * band * sizeof *earlier);
                if (!earlier)
                    cluster_abort("out of memory");
                for (size_t x = lo; x < hi; x++) {
                    maso_engine_dupe_keys(engine,
                                          (const uint8_t *)(in + x * width + 3),
                                          bands, keys_x);
                    memcpy(earlier + (x - lo) * band, keys_x,
                           band * sizeof *keys_x);
                }
            }
            for (size_t x = lo; x < hi; x++)
                for (size_t y = x + 1; y < hi; y++) {
                    const uint64_t *a = in + x * width, *b = in + y * width;
                    if (a[2] == b[2] ||
                        !maso_engine_dupe_candidate(
                            engine, (const uint8_t *)(a + 3),
                            (const uint8_t *)(b + 3), bands))
                        continue;
                    /* a pair equal in an earlier band was sent there */
                    size_t e = 0;
                    while (e < band && earlier[(x - lo) * band + e] !=
                                           earlier[(y - lo) * band + e])
                        e++;
                    if (e < band)
                        continue;
                    uint64_t p[2] = { a[2], b[2] };
                    outbox_put(&pairs, owner[maso_store_id_tag_of(p[0])], p,
                               2);
                }
            free(earlier);
        }
        free(in);
    }
    free(item);
    free(keys_x);
    free(testers);

    /* 2. the pairs to the owners of their first records */
    uint64_t *pair;
    size_t n_pair;
    box_exchange(&pairs, &pair, &n_pair);
    outbox_free(&pairs);
    n_pair = box_sort_unique(pair, n_pair / 2, 2);

    /* 3. the second records this rank lacks, from their owners */
    outbox_clear(&box);
    for (size_t i = 0; i < n_pair; i++) {
        local_record key = { pair[2 * i + 1], NULL, NULL };
        if (!bsearch(&key, mine, n, sizeof *mine, record_cmp))
            outbox_put(&box, owner[maso_store_id_tag_of(key.id)], &key.id, 1);
    }
    for (int r = 0; r < ranks; r++)
        box.n[r] = box_sort_unique(box.v[r], box.n[r], 1);
    /* answers: each asked record's sketch and summary, in 8-byte words */
    size_t words = (sketch_bytes + summary_bytes + 7) / 8;
    record_answer answer = { mine, n, sketch_bytes, summary_bytes };
    uint64_t *got;
    box_fetch(&box, words, answer_record, &answer, &got);
    /* what came back, in the order asked: box.v[r] for r = 0.. */
    size_t n_remote = 0, at = 0;
    for (int r = 0; r < ranks; r++)
        n_remote += box.n[r];
    local_record *remote = malloc((n_remote + 1) * sizeof *remote);
    if (!remote)
        cluster_abort("out of memory");
    for (int r = 0; r < ranks; r++)
        for (size_t k = 0; k < box.n[r] && at < n_remote; k++, at++) {
            remote[at].id = box.v[r][k];
            remote[at].sketch = (const uint8_t *)(got + at * words);
            remote[at].summary = remote[at].sketch + sketch_bytes;
        }
    qsort(remote, n_remote, sizeof *remote, record_cmp);
    outbox_free(&box);

    /* verify; a pair whose records this rank has already joined through
     * other pairs is not verified (it changes no component), so a cluster
     * of near-identical images costs about one distance per member */
    uint64_t *edge = malloc((2 * n_pair + 1) * sizeof *edge);
    uint64_t *node = malloc((2 * n_pair + 1) * sizeof *node);
    size_t *parent = malloc((2 * n_pair + 1) * sizeof *parent);
    if (!edge || !node || !parent)
        cluster_abort("out of memory");
    memcpy(node, pair, 2 * n_pair * sizeof *node);
    size_t n_node = box_sort_unique(node, 2 * n_pair, 1);
    for (size_t i = 0; i < n_node; i++)
        parent[i] = i;
    size_t k = 0;
    for (size_t i = 0; i < n_pair; i++) {
        size_t ra = box_find_root(parent, (size_t)((const uint64_t *)bsearch(
                                &pair[2 * i], node, n_node, 8, box_cmp1) - node));
        size_t rb = box_find_root(parent, (size_t)((const uint64_t *)bsearch(
                                &pair[2 * i + 1], node, n_node, 8, box_cmp1) -
                            node));
        if (ra == rb)
            continue;
        local_record ka = { pair[2 * i], NULL, NULL };
        local_record kb = { pair[2 * i + 1], NULL, NULL };
        const local_record *a = bsearch(&ka, mine, n, sizeof *mine,
                                        record_cmp);
        const local_record *b = bsearch(&kb, mine, n, sizeof *mine,
                                        record_cmp);
        if (!b)
            b = bsearch(&kb, remote, n_remote, sizeof *remote, record_cmp);
        if (!a || !b)
            continue;
        double d = maso_engine_dupe_pair(engine, a->sketch, a->summary,
                                         b->sketch, b->summary, bands);
        *compared += d >= 0;
        if (d >= 0 && d <= max_distance) {
            edge[2 * k] = a->id;
            edge[2 * k + 1] = b->id;
            k++;
            parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
        }
    }
    free(node);
    free(parent);
    free(remote);
    free(got);
    free(pair);
    free(keys);
    free(mine);
    *edges = edge;
    *n_edges = k;
    return 0;
}

#endif
