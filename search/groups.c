/* groups.c -- maso_search_group(): near-duplicate groups equal to the
 * connected components of all pairs within the threshold.
 *
 * Exact mode compares every pair with the exact distance, in tiles of
 * TILE x TILE records (both tiles stay in L2: every sketch is read from
 * memory n/TILE times instead of n times).  Candidate mode gives each
 * record its `candidates` nearest others by the weighted summary distance
 * and verifies those pairs exactly; maso_search_nearest_merge() is that
 * candidate stage for the parts of a job that each hold some records (MPI
 * ranks), merged block by block.
 *
 * With variants (maso_search_group_variants: a record's mirrored and turned
 * sketches) a pair's distance is the smallest over its sketch pairs, and
 * its summary distance the smallest over its summary pairs; the pair with
 * the records as they are comes first, so that copies in one orientation
 * cost one distance, as without variants.
 *
 * Every thread keeps its own union-find forest over all records and skips
 * a pair its forest already joins (an edge inside a component changes no
 * component: in a cluster of near-identical images most pairs cost one
 * find, not a distance); the forests are merged at the end, which gives
 * the components of the union of all edges.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"

#define TILE 48
/* Summaries compared per chunk in candidate mode, against QUERIES records
 * at a time: the chunk stays in L1/L2 while every query visits it. */
#define CHUNK 1024
#define QUERIES 16

typedef struct group_job {
    const maso_search *s;
    const uint8_t *const *rec;
    const uint8_t *const *sum;
    const maso_search_variants *var; /* NULL: none */
    const uint8_t *const *var_sum;   /* summaries of the variants */
    size_t n;
    double limit;
    int part, parts;
    size_t candidates;
    /* weighted summary distance: bit b weighs 1, 2, 4 in masks 0, 1, 2
     * (SLICES masks of `words` words each) */
    const uint64_t *masks;
    size_t words;
    int avx512;
    uint32_t *parent;         /* this thread's forest */
    maso_search_hit *heaps;   /* QUERIES heaps of `candidates` */
    uint64_t verified;
    int failed;
} group_job;

/* Join a and b, the smaller index becoming the root. */
static void join(uint32_t *parent, uint32_t a, uint32_t b)
{
    uint32_t ra = search_find_root(parent, a);
    uint32_t rb = search_find_root(parent, b);
    if (ra < rb)
        parent[rb] = ra;
    else if (rb < ra)
        parent[ra] = rb;
}

/* Sketch @p k of record @p r: 0 the record, 1..n its variants (NULL when
 * it lacks one). */
static const uint8_t *sketch_k(const uint8_t *const *rec,
                               const maso_search_variants *var, uint32_t r,
                               size_t k)
{
    return k == 0 ? rec[r] : var->sketches[(size_t)r * var->n + k - 1];
}

double search_pair_distance(const maso_search *s, const uint8_t *const *rec,
                            const maso_search_variants *var, uint32_t a,
                            uint32_t b, double stop)
{
    double best = s->score(s, rec[a], rec[b]);
    size_t n = var ? var->n : 0;
    for (size_t ka = 0; ka <= n && best > stop; ka++) {
        const uint8_t *x = sketch_k(rec, var, a, ka);
        for (size_t kb = 0; x && kb <= n && best > stop; kb++) {
            const uint8_t *y = sketch_k(rec, var, b, kb);
            if (!y || (ka == 0 && kb == 0))
                continue;
            double d = s->score(s, x, y);
            best = d < best ? d : best;
        }
    }
    return best;
}

double maso_search_distance_variants(const maso_search *search,
                                     const uint8_t *a,
                                     const uint8_t *const *a_variants,
                                     const uint8_t *b,
                                     const uint8_t *const *b_variants,
                                     size_t n)
{
    const uint8_t *rec[2] = { a, b };
    const uint8_t *sk[2 * (MASO_SEARCH_VARIANTS_MAX + 1)] = { NULL };
    if (n > MASO_SEARCH_VARIANTS_MAX)
        n = MASO_SEARCH_VARIANTS_MAX;
    for (size_t v = 0; v < n; v++) {
        sk[v] = a_variants ? a_variants[v] : NULL;
        sk[n + v] = b_variants ? b_variants[v] : NULL;
    }
    maso_search_variants var = { n, sk };
    return search_pair_distance(search, rec, &var, 0, 1, -1);
}

static void try_pair(group_job *j, uint32_t a, uint32_t b)
{
    if (search_find_root(j->parent, a) == search_find_root(j->parent, b))
        return;
    j->verified++;
    if (search_pair_distance(j->s, j->rec, j->var, a, b, j->limit) <=
        j->limit)
        join(j->parent, a, b);
}

static void *exact_worker(void *arg)
{
    group_job *j = arg;
    size_t n = j->n;
    size_t tiles = (n + TILE - 1) / TILE;
    /* tile rows dealt out in turn: rows get shorter, turns balance them */
    for (size_t ti = (size_t)j->part; ti < tiles; ti += (size_t)j->parts) {
        size_t i0 = ti * TILE, i1 = i0 + TILE < n ? i0 + TILE : n;
        for (size_t tj = ti; tj < tiles; tj++) {
            size_t j0 = tj * TILE, j1 = j0 + TILE < n ? j0 + TILE : n;
            for (size_t a = i0; a < i1; a++)
                for (size_t b = (a + 1 > j0 ? a + 1 : j0); b < j1; b++)
                    try_pair(j, (uint32_t)a, (uint32_t)b);
        }
    }
    return NULL;
}

/* Summary bits weigh 0..7, bit-sliced into SLICES masks. */
#define SLICES 3

/* The weighted summary distance: sum over slices of 2^k times the
 * differing bits of mask k. */
static uint32_t summary_score_generic(const group_job *j, const uint8_t *a,
                                      const uint8_t *b)
{
    uint32_t d = 0;
    for (size_t k = 0; k < SLICES; k++)
        d += j->s->summary_distance(a, b, j->masks + k * j->words, j->words)
             << k;
    return d;
}

#if defined(__x86_64__)
#include <immintrin.h>
/* The same for 512-bit summaries, in one pass of AVX-512 VPOPCNTDQ. */
__attribute__((target("avx512f,avx512vpopcntdq")))
static uint32_t summary_score_avx512(const group_job *j, const uint8_t *a,
                                     const uint8_t *b)
{
    __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a),
                                 _mm512_loadu_si512(b));
    __m512i c0 = _mm512_popcnt_epi64(
        _mm512_and_si512(x, _mm512_loadu_si512(j->masks)));
    __m512i c1 = _mm512_popcnt_epi64(
        _mm512_and_si512(x, _mm512_loadu_si512(j->masks + 8)));
    __m512i c2 = _mm512_popcnt_epi64(
        _mm512_and_si512(x, _mm512_loadu_si512(j->masks + 16)));
    __m512i sum = _mm512_add_epi64(
        c0, _mm512_add_epi64(_mm512_slli_epi64(c1, 1),
                             _mm512_slli_epi64(c2, 2)));
    return (uint32_t)_mm512_reduce_add_epi64(sum);
}
#endif

/* 1 when summary_score_avx512() runs here on the summaries of @p s. */
static int summary_avx512(const maso_search *s)
{
#if defined(__x86_64__)
    return s->summary_bits == 512 && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vpopcntdq");
#else
    (void)s;
    return 0;
#endif
}

static uint32_t summary_score(const group_job *j, const uint8_t *a,
                              const uint8_t *b)
{
#if defined(__x86_64__)
    if (j->avx512)
        return summary_score_avx512(j, a, b);
#endif
    return summary_score_generic(j, a, b);
}

/* The smallest summary distance over the sketch pairs of a and b. */
static uint32_t summary_pair_score(const group_job *j, uint32_t a,
                                   uint32_t b)
{
    uint32_t best = summary_score(j, j->sum[a], j->sum[b]);
    size_t n = j->var ? j->var->n : 0;
    for (size_t ka = 0; ka <= n && best; ka++) {
        const uint8_t *x = ka ? j->var_sum[(size_t)a * n + ka - 1]
                              : j->sum[a];
        for (size_t kb = 0; x && kb <= n && best; kb++) {
            const uint8_t *y = kb ? j->var_sum[(size_t)b * n + kb - 1]
                                  : j->sum[b];
            if (!y || (ka == 0 && kb == 0))
                continue;
            uint32_t d = summary_score(j, x, y);
            best = d < best ? d : best;
        }
    }
    return best;
}

static void *candidate_worker(void *arg)
{
    group_job *j = arg;
    size_t n = j->n, c = j->candidates;
    size_t blocks = (n + QUERIES - 1) / QUERIES;
    search_heap heap[QUERIES];
    for (size_t bi = (size_t)j->part; bi < blocks; bi += (size_t)j->parts) {
        size_t q0 = bi * QUERIES, q1 = q0 + QUERIES < n ? q0 + QUERIES : n;
        for (size_t q = q0; q < q1; q++)
            heap[q - q0] = (search_heap){ j->heaps + (q - q0) * c, 0, c };
        for (size_t c0 = 0; c0 < n; c0 += CHUNK) {
            size_t c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
            for (size_t q = q0; q < q1; q++) {
                search_heap *h = &heap[q - q0];
                for (size_t r = c0; r < c1; r++) {
                    if (r == q)
                        continue;
                    double d = summary_pair_score(j, (uint32_t)q,
                                                  (uint32_t)r);
                    if (h->size == c && d > h->items[0].distance)
                        continue;
                    if (search_heap_wants(h, d, r))
                        search_heap_push(h, d, r);
                }
            }
        }
        for (size_t q = q0; q < q1; q++) {
            search_heap *h = &heap[q - q0];
            for (size_t k = 0; k < h->size; k++)
                try_pair(j, (uint32_t)q, (uint32_t)h->items[k].id);
        }
    }
    return NULL;
}

/* The bit-sliced masks of the weighted summary distance: a summary bit of
 * layer l stands for w_l / (sum of weights * summary bits of l) of the
 * distance; that factor, relative to the largest, is rounded to 1..7
 * (0 for weight 0), so that the summary distance ranks pairs like the
 * exact distance would (the exact distance then verifies them). */
static uint64_t *sliced_masks(const maso_search *s)
{
    size_t bits = s->summary_bits, words = bits / 64, L = s->n_layers;
    size_t *count = calloc(L, sizeof *count);
    uint64_t *m = calloc(SLICES * words, sizeof *m);
    if (!count || !m) {
        free(count);
        free(m);
        return NULL;
    }
    for (size_t b = 0; b < bits; b++)
        count[s->plan[b].layer]++;
    double top = 0;
    for (size_t l = 0; l < L; l++)
        if (count[l] && s->weights[l] / (double)count[l] > top)
            top = s->weights[l] / (double)count[l];
    for (size_t b = 0; b < bits; b++) {
        size_t l = s->plan[b].layer;
        if (!(s->weights[l] > 0))
            continue;
        long q = lround(7 * s->weights[l] / (double)count[l] / top);
        q = q < 1 ? 1 : q > 7 ? 7 : q;
        for (size_t k = 0; k < SLICES; k++)
            if (q >> k & 1)
                m[k * words + b / 64] |= 1ull << (b % 64);
    }
    free(count);
    return m;
}

int maso_search_group(maso_search *search,
                      const maso_search_segment *segments, size_t n_segments,
                      double max_distance, size_t candidates,
                      maso_search_groups *groups, uint64_t *verified)
{
    return maso_search_group_variants(search, segments, n_segments, NULL,
                                      max_distance, candidates, groups,
                                      verified);
}

int maso_search_group_variants(maso_search *search,
                               const maso_search_segment *segments,
                               size_t n_segments,
                               const maso_search_variants *variants,
                               double max_distance, size_t candidates,
                               maso_search_groups *groups,
                               uint64_t *verified)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (!groups)
        return search_fail(search, MASO_EINVAL_ARG, "groups is NULL");
    memset(groups, 0, sizeof *groups);
    if (verified)
        *verified = 0;
    if (!(max_distance >= 0 && max_distance <= 1))
        return search_fail(search, MASO_EINVAL_ARG,
                           "max_distance %g is not in [0, 1]", max_distance);
    if (variants && variants->n > MASO_SEARCH_VARIANTS_MAX)
        return search_fail(search, MASO_EINVAL_ARG, "%zu variants per record "
                           "(at most %d)", variants->n,
                           MASO_SEARCH_VARIANTS_MAX);
    if (variants && variants->n && !variants->sketches)
        return search_fail(search, MASO_EINVAL_ARG, "variants without "
                           "sketches");
    const maso_search_variants *var = variants && variants->n ? variants
                                                              : NULL;
    search_span sp;
    int rc = search_span_init_grouping(search, &sp, segments, n_segments,
                                       candidates > 0);
    if (rc)
        return rc;
    size_t n = sp.total;
    size_t nv = var ? var->n : 0, sbytes = search->summary_bits / 8;
    if (candidates >= n)
        candidates = n > 1 ? n - 1 : 1;
    int parts = search->threads;
    if ((size_t)parts > n / TILE + 1)
        parts = (int)(n / TILE + 1);
    size_t nn = n ? n : 1;
    const uint8_t **rec = malloc(nn * sizeof *rec);
    const uint8_t **sum = malloc(nn * sizeof *sum);
    uint32_t *forests = malloc((size_t)parts * nn * sizeof *forests);
    group_job *jobs = calloc((size_t)parts, sizeof *jobs);
    maso_search_hit *heaps = candidates
        ? malloc((size_t)parts * QUERIES * candidates * sizeof *heaps) : NULL;
    uint64_t *masks = candidates ? sliced_masks(search) : NULL;
    int want_vs = candidates && nv;
    const uint8_t **var_sum = want_vs ? calloc(nn * nv, sizeof *var_sum)
                                      : NULL;
    uint8_t *var_sum_data = want_vs ? aligned_alloc(64, (nn * nv * sbytes +
                                                         63) / 64 * 64)
                                    : NULL;
    if (!rec || !sum || !forests || !jobs || (candidates && !heaps) ||
        (candidates && !masks) || (want_vs && (!var_sum || !var_sum_data))) {
        rc = search_fail(search, ENOMEM, "no memory to group %zu records", n);
        goto out;
    }
    for (size_t seg = 0, r = 0; seg < sp.n_seg; seg++)
        for (size_t i = 0; i < sp.seg[seg].count; i++, r++) {
            rec[r] = search_span_record(&sp, seg, i);
            sum[r] = candidates ? sp.seg[seg].summaries +
                                      i * (search->summary_bits / 8)
                                : NULL;
        }
    for (size_t r = 0; want_vs && r < n; r++)
        for (size_t v = 0; v < nv; v++) {
            const uint8_t *x = var->sketches[r * nv + v];
            uint8_t *out = var_sum_data + (r * nv + v) * sbytes;
            if (x && maso_search_summarize(search, x, out) == 0)
                var_sum[r * nv + v] = out;
        }
    int avx512 = summary_avx512(search);
    for (int k = 0; k < parts; k++) {
        uint32_t *parent = forests + (size_t)k * nn;
        for (size_t r = 0; r < n; r++)
            parent[r] = (uint32_t)r;
        jobs[k] = (group_job){ .s = search, .rec = rec, .sum = sum,
                               .var = var, .var_sum = var_sum, .n = n,
                               .limit = max_distance, .part = k,
                               .parts = parts, .candidates = candidates,
                               .masks = masks,
                               .words = search->summary_bits / 64,
                               .avx512 = avx512,
                               .parent = parent,
                               .heaps = heaps ? heaps + (size_t)k * QUERIES *
                                                            candidates
                                              : NULL };
    }
    if (n > 1)
        search_run_threads(parts, candidates ? candidate_worker
                                             : exact_worker,
                           jobs, sizeof *jobs);
    /* merge the forests into the first */
    uint64_t pairs = jobs[0].verified;
    for (int k = 1; k < parts; k++) {
        pairs += jobs[k].verified;
        for (size_t r = 0; r < n; r++)
            join(forests, (uint32_t)r,
                 search_find_root(jobs[k].parent, (uint32_t)r));
    }
    if (verified)
        *verified = pairs;
    rc = search_groups_collect(search, &sp, rec, var, forests, n, groups);
out:
    free(var_sum);
    free(var_sum_data);
    free(rec);
    free(sum);
    free(forests);
    free(jobs);
    free(heaps);
    free(masks);
    search_span_free(&sp);
    return rc;
}

/* -- the candidate stage by parts (maso_search_nearest_merge) ------------- */

typedef struct nearest_job {
    group_job g;               /* sum, var_sum over queries then others */
    size_t n_queries, n_others;
    const uint64_t *query_ids, *other_ids;
    maso_search_hit *nearest;
    size_t *n_nearest;
} nearest_job;

static void *nearest_worker(void *arg)
{
    nearest_job *j = arg;
    size_t c = j->g.candidates, nq = j->n_queries, no = j->n_others;
    size_t blocks = (nq + QUERIES - 1) / QUERIES;
    search_heap heap[QUERIES];
    /* as candidate_worker: QUERIES queries visit a chunk of the others
     * while it stays in cache */
    for (size_t bi = (size_t)j->g.part; bi < blocks; bi += (size_t)j->g.parts) {
        size_t q0 = bi * QUERIES, q1 = q0 + QUERIES < nq ? q0 + QUERIES : nq;
        for (size_t q = q0; q < q1; q++) {
            /* the hits kept so far are a heap again once pushed in turn */
            search_heap *h = &heap[q - q0];
            *h = (search_heap){ j->nearest + q * c, 0, c };
            for (size_t k = 0; k < j->n_nearest[q]; k++)
                search_heap_push(h, h->items[k].distance, h->items[k].id);
        }
        for (size_t c0 = 0; c0 < no; c0 += CHUNK) {
            size_t c1 = c0 + CHUNK < no ? c0 + CHUNK : no;
            for (size_t q = q0; q < q1; q++) {
                search_heap *h = &heap[q - q0];
                for (size_t r = c0; r < c1; r++) {
                    uint64_t id = j->other_ids[r];
                    if (id == j->query_ids[q])
                        continue;
                    double d = summary_pair_score(&j->g, (uint32_t)q,
                                                  (uint32_t)(nq + r));
                    if (search_heap_wants(h, d, id))
                        search_heap_push(h, d, id);
                }
            }
        }
        for (size_t q = q0; q < q1; q++)
            j->n_nearest[q] = heap[q - q0].size;
    }
    return NULL;
}

static int summary_set_bad(const maso_search_summary_set *s)
{
    return !s || (s->count && (!s->ids || !s->summaries)) ||
           s->n_variants > MASO_SEARCH_VARIANTS_MAX ||
           (s->count && s->n_variants && !s->variants);
}

int maso_search_nearest_merge(maso_search *search,
                              const maso_search_summary_set *queries,
                              const maso_search_summary_set *others,
                              size_t candidates, maso_search_hit *nearest,
                              size_t *n_nearest)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (summary_set_bad(queries) || summary_set_bad(others) ||
        queries->n_variants != others->n_variants || !candidates ||
        (queries->count && (!nearest || !n_nearest)))
        return search_fail(search, MASO_EINVAL_ARG, "malformed summary "
                           "sets or candidates");
    size_t nq = queries->count, n = nq + others->count;
    size_t nv = queries->n_variants, sbytes = search->summary_bits / 8;
    if (!nq || !others->count)
        return 0;
    const uint8_t **sum = malloc(n * sizeof *sum);
    const uint8_t **var_sum = nv ? malloc(n * nv * sizeof *var_sum) : NULL;
    uint64_t *masks = sliced_masks(search);
    int parts = search->threads;
    if ((size_t)parts > (nq + QUERIES - 1) / QUERIES)
        parts = (int)((nq + QUERIES - 1) / QUERIES);
    nearest_job *jobs = calloc((size_t)parts, sizeof *jobs);
    if (!sum || (nv && !var_sum) || !masks || !jobs) {
        free(sum);
        free(var_sum);
        free(masks);
        free(jobs);
        return search_fail(search, ENOMEM, "no memory to rank %zu records' "
                           "candidates", nq);
    }
    for (size_t r = 0; r < n; r++) {
        const maso_search_summary_set *set = r < nq ? queries : others;
        size_t i = r < nq ? r : r - nq;
        sum[r] = set->summaries + i * sbytes;
        for (size_t v = 0; v < nv; v++)
            var_sum[r * nv + v] = set->variants[i * nv + v];
    }
    int avx512 = summary_avx512(search);
    /* the variants' sketches are not read: only their count */
    maso_search_variants var = { nv, NULL };
    for (int k = 0; k < parts; k++)
        jobs[k] = (nearest_job){
            .g = { .s = search, .sum = sum, .var = nv ? &var : NULL,
                   .var_sum = var_sum, .n = n, .part = k, .parts = parts,
                   .candidates = candidates, .masks = masks,
                   .words = search->summary_bits / 64,
                   .avx512 = avx512 },
            .n_queries = nq, .n_others = others->count,
            .query_ids = queries->ids, .other_ids = others->ids,
            .nearest = nearest, .n_nearest = n_nearest };
    search_run_threads(parts, nearest_worker, jobs, sizeof *jobs);
    free(jobs);
    free(sum);
    free(var_sum);
    free(masks);
    return 0;
}
