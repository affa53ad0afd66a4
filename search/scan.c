/* scan.c -- maso_search_query(): exact scan, or summaries then rerank.
 *
 * Work is split into contiguous ranges of the global record order, one per
 * thread, each with its own heap; heaps are merged at the end.  A range
 * crosses segment boundaries freely, so several stores cost the same as
 * one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"

/* Probes of one query searched at once: a record's distance is its
 * smallest to any of them (at most this many). */
#define SCAN_PROBES 16

typedef struct scan_job {
    const maso_search *s;
    const search_span *sp;
    const uint8_t *const *query;  /* n_query sketches or summaries */
    size_t n_query;
    size_t from, to;              /* global records [from, to) */
    const size_t *cand;           /* rerank: candidate global indices */
    double threshold;             /* < 0: none */
    search_heap heap;
} scan_job;

/* Visit global records [from, to) segment by segment. */
#define FOR_RANGE(sp, from, to, seg, i, end)                                 \
    for (size_t seg = search_span_find(sp, from), i = (from) - (sp)->start[seg], \
                end = 0;                                                     \
         seg < (sp)->n_seg && (sp)->start[seg] + i < (to); seg++, i = 0)      \
        for (end = (sp)->seg[seg].count < (to) - (sp)->start[seg]            \
                       ? (sp)->seg[seg].count                                \
                       : (to) - (sp)->start[seg];                            \
             i < end; i++)

/* Records scored per call of the batch kernel: enough to amortise the
 * call, few enough that the distances stay in L1. */
#define SCAN_BATCH 64

static void *exact_worker(void *arg)
{
    scan_job *j = arg;
    const maso_search *s = j->s;
    const search_span *sp = j->sp;
    double thr = j->threshold, d[SCAN_BATCH], d2[SCAN_BATCH];
    if (j->from >= j->to)
        return NULL;
    for (size_t seg = search_span_find(sp, j->from); seg < sp->n_seg &&
         sp->start[seg] < j->to; seg++) {
        const maso_search_segment *g = &sp->seg[seg];
        size_t i = j->from > sp->start[seg] ? j->from - sp->start[seg] : 0;
        size_t end = j->to - sp->start[seg] < g->count
                         ? j->to - sp->start[seg] : g->count;
        while (i < end) {
            size_t n = end - i < SCAN_BATCH ? end - i : SCAN_BATCH;
            s->score_batch(s, j->query[0], g->base + i * g->stride,
                           g->stride, n, d);
            for (size_t q = 1; q < j->n_query; q++) {
                s->score_batch(s, j->query[q], g->base + i * g->stride,
                               g->stride, n, d2);
                for (size_t b = 0; b < n; b++)
                    d[b] = d2[b] < d[b] ? d2[b] : d[b];
            }
            for (size_t b = 0; b < n; b++) {
                if (thr >= 0 && d[b] > thr)
                    continue;
                uint64_t id = search_span_id(sp, seg, i + b);
                if (search_heap_wants(&j->heap, d[b], id))
                    search_heap_push(&j->heap, d[b], id);
            }
            i += n;
        }
    }
    return NULL;
}

/* Summary scan: the heap holds (popcount, global index). */
static void *coarse_worker(void *arg)
{
    scan_job *j = arg;
    const maso_search *s = j->s;
    size_t bytes = s->summary_bits / 8, words = bytes / 8;
    if (j->from >= j->to)
        return NULL;
    FOR_RANGE(j->sp, j->from, j->to, seg, i, end) {
        const uint8_t *sum = j->sp->seg[seg].summaries + i * bytes;
        double d = s->summary_distance(j->query[0], sum, s->mask, words);
        for (size_t q = 1; q < j->n_query; q++) {
            double e = s->summary_distance(j->query[q], sum, s->mask, words);
            d = e < d ? e : d;
        }
        size_t g = j->sp->start[seg] + i;
        if (search_heap_wants(&j->heap, d, g))
            search_heap_push(&j->heap, d, g);
    }
    return NULL;
}

static void *rerank_worker(void *arg)
{
    scan_job *j = arg;
    const maso_search *s = j->s;
    for (size_t c = j->from; c < j->to; c++) {
        size_t g = j->cand[c];
        size_t seg = search_span_find(j->sp, g), i = g - j->sp->start[seg];
        if (c + 1 < j->to) { /* the next candidate is a random address */
            size_t g2 = j->cand[c + 1], seg2 = search_span_find(j->sp, g2);
            const uint8_t *next =
                search_span_record(j->sp, seg2, g2 - j->sp->start[seg2]);
            for (size_t o = 0; o < s->record_bytes; o += 512)
                __builtin_prefetch(next + o);
        }
        const uint8_t *rec = search_span_record(j->sp, seg, i);
        double d = s->score(s, j->query[0], rec);
        for (size_t q = 1; q < j->n_query; q++) {
            double e = s->score(s, j->query[q], rec);
            d = e < d ? e : d;
        }
        if (j->threshold >= 0 && d > j->threshold)
            continue;
        search_heap_push(&j->heap, d, search_span_id(j->sp, seg, i));
    }
    return NULL;
}

/* Run `fn` over [0, n) split in the handle's thread count, each job with a
 * heap of `cap`; gather every kept item into *out (sorted, <= cap). */
static int run_split(maso_search *s, void *(*fn)(void *), const scan_job *tmpl,
                     size_t n, size_t cap, maso_search_hit *out,
                     size_t *n_out)
{
    int t = s->threads;
    if (cap > n) /* a heap never holds more than the items it sees */
        cap = n ? n : 1;
    if ((size_t)t > n / 4096 + 1) /* tiny inputs: threads cost more */
        t = (int)(n / 4096 + 1);
    scan_job *jobs = calloc((size_t)t, sizeof *jobs);
    maso_search_hit *items = malloc((size_t)t * cap * sizeof *items);
    if (!jobs || !items) {
        free(jobs);
        free(items);
        return search_fail(s, ENOMEM, "no memory for %d heaps of %zu", t,
                           cap);
    }
    for (int k = 0; k < t; k++) {
        jobs[k] = *tmpl;
        jobs[k].from = n * (size_t)k / (size_t)t;
        jobs[k].to = n * (size_t)(k + 1) / (size_t)t;
        jobs[k].heap.items = items + (size_t)k * cap;
        jobs[k].heap.cap = cap;
        jobs[k].heap.size = 0;
    }
    search_run_threads(t, fn, jobs, sizeof *jobs);
    /* compact the heaps, sort, keep the best cap */
    size_t m = 0;
    for (int k = 0; k < t; k++) {
        memmove(items + m, jobs[k].heap.items,
                jobs[k].heap.size * sizeof *items);
        m += jobs[k].heap.size;
    }
    qsort(items, m, sizeof *items, search_hit_cmp);
    if (m > cap)
        m = cap;
    memcpy(out, items, m * sizeof *out);
    *n_out = m;
    free(jobs);
    free(items);
    return 0;
}

static int size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* @p given: the probes' summaries, or NULL to compute them. */
static int coarse_query(maso_search *s, const search_span *sp,
                        const uint8_t *const *query, size_t n_query,
                        const uint8_t *const *given,
                        const maso_search_params *p, maso_search_hit *hits,
                        size_t *n_hits)
{
    uint8_t own[SCAN_PROBES][MASO_SEARCH_SUMMARY_BITS_MAX / 8];
    const uint8_t *summary[SCAN_PROBES];
    for (size_t q = 0; q < n_query; q++) {
        if (given) {
            summary[q] = given[q];
        } else {
            maso_search_summarize(s, query[q], own[q]);
            summary[q] = own[q];
        }
    }
    size_t cap = p->candidates < sp->total ? p->candidates : sp->total;
    maso_search_hit *best = malloc((cap ? cap : 1) * sizeof *best);
    size_t *cand = malloc((cap ? cap : 1) * sizeof *cand);
    if (!best || !cand) {
        free(best);
        free(cand);
        return search_fail(s, ENOMEM, "no memory for %zu candidates", cap);
    }
    scan_job tmpl = { .s = s, .sp = sp, .query = summary,
                      .n_query = n_query, .threshold = -1 };
    size_t n_best = 0;
    int rc = run_split(s, coarse_worker, &tmpl, sp->total, cap, best, &n_best);
    if (rc == 0) {
        /* rerank in storage order: neighbouring candidates share pages */
        for (size_t c = 0; c < n_best; c++)
            cand[c] = (size_t)best[c].id;
        qsort(cand, n_best, sizeof *cand, size_cmp);
        scan_job rt = { .s = s, .sp = sp, .query = query, .n_query = n_query,
                        .cand = cand, .threshold = p->threshold };
        rc = run_split(s, rerank_worker, &rt, n_best, p->k, hits, n_hits);
    }
    free(best);
    free(cand);
    return rc;
}

static int query_probes(maso_search *search,
                        const maso_search_segment *segments,
                        size_t n_segments, const uint8_t *const *probes,
                        size_t n_probes, const uint8_t *const *summaries,
                        const maso_search_params *params,
                        maso_search_hit *hits, size_t *n_hits)
{
    if (!search)
        return MASO_EINVAL_ARG;
    search->errmsg[0] = 0;
    if (!probes || !params || !hits || !n_hits)
        return search_fail(search, MASO_EINVAL_ARG,
                           "probes, params, hits and n_hits must not be NULL");
    *n_hits = 0;
    if (n_probes == 0 || n_probes > SCAN_PROBES)
        return search_fail(search, MASO_EINVAL_ARG, "%zu probes: 1 to %d",
                           n_probes, SCAN_PROBES);
    for (size_t q = 0; q < n_probes; q++)
        if (!probes[q])
            return search_fail(search, MASO_EINVAL_ARG, "probe %zu is NULL",
                               q);
    if (params->k == 0)
        return search_fail(search, MASO_EINVAL_ARG, "k must be >= 1");
    if (params->candidates && params->candidates < params->k)
        return search_fail(search, MASO_EINVAL_ARG,
                           "candidates (%zu) must be 0 or >= k (%zu)",
                           params->candidates, params->k);
    if (params->threshold != params->threshold)
        return search_fail(search, MASO_EINVAL_ARG, "threshold is NaN");
    search_span sp;
    int rc = search_span_init(search, &sp, segments, n_segments,
                              params->candidates > 0);
    if (rc)
        return rc;
    if (sp.total == 0) {
        search_span_free(&sp);
        return 0;
    }
    if (params->candidates) {
        rc = coarse_query(search, &sp, probes, n_probes, summaries, params,
                          hits, n_hits);
    } else {
        scan_job tmpl = { .s = search, .sp = &sp, .query = probes,
                          .n_query = n_probes,
                          .threshold = params->threshold };
        rc = run_split(search, exact_worker, &tmpl, sp.total, params->k, hits,
                       n_hits);
    }
    search_span_free(&sp);
    return rc;
}

int maso_search_query_probes(maso_search *search,
                             const maso_search_segment *segments,
                             size_t n_segments, const uint8_t *const *probes,
                             size_t n_probes,
                             const maso_search_params *params,
                             maso_search_hit *hits, size_t *n_hits)
{
    return query_probes(search, segments, n_segments, probes, n_probes, NULL,
                        params, hits, n_hits);
}

int maso_search_query(maso_search *search,
                      const maso_search_segment *segments, size_t n_segments,
                      const uint8_t *query, const uint8_t *query_summary,
                      const maso_search_params *params, maso_search_hit *hits,
                      size_t *n_hits)
{
    if (!search)
        return MASO_EINVAL_ARG;
    if (!query) {
        search->errmsg[0] = 0;
        if (n_hits)
            *n_hits = 0;
        return search_fail(search, MASO_EINVAL_ARG,
                           "query, params, hits and n_hits must not be NULL");
    }
    const uint8_t *probes[1] = { query }, *summaries[1] = { query_summary };
    return query_probes(search, segments, n_segments, probes, 1,
                        query_summary ? summaries : NULL, params, hits,
                        n_hits);
}
