/* search.c -- maso-query [OPTIONS] DB IMAGE...: for each IMAGE, the k
 * nearest stored images.
 *
 * Pipeline per query: decode (at least the network's input size) -> full
 * code -> the stores' sketch of it -> maso_search_query over the views'
 * segments (exact sketch scan, or summary scan + exact sketch rerank on
 * large stores) -> when the stores keep full codes, the best candidates
 * re-ranked with the exact full-code distance -> paths from the views. */
#include "session.h"
#include "query.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* With full codes, this many sketch candidates (at least) are re-ranked
 * exactly: the sketch distance's error (sd <= 0.5/sqrt(m) per layer, far
 * less for the mean over 29 layers) can swap close neighbours, rarely
 * more than a few places. */
#define RERANK_MIN 100
#define RERANK_FACTOR 5
/* Slack added to --threshold for the sketch stage before an exact rerank:
 * more than 3 sd of the worst single-layer estimate (384 samples). */
#define SKETCH_MARGIN 0.1
/* Up to this many sketches an exact scan is cheap enough (a few ms);
 * above it the summary scan picks candidates first. */
#define EXACT_SCAN_MAX ((uint64_t)4 * MASO_SEARCH_CANDIDATES_DEFAULT)

typedef struct searcher {
    session s;
    maso_decoder *decoder;
    maso_forward *forward;
    maso_decode_params dp;
    const maso_sketch *sketch;
    const maso_code_layer *sketch_layers;
    uint8_t *code, *qsketch;      /* the current file query, 64-aligned */
    int rerank;                   /* full codes: exact distance */
    maso_search_hit *hits;
    size_t cap;
    query_match *matches;
    double *per_layer;            /* k rows of n_layers */
    char err[MASO_CLI_ERRLEN];
} searcher;

/* One query, by file or by stored path. */
typedef struct probe {
    const char *name;
    const uint8_t *code;    /* full code, or NULL */
    const uint8_t *sketch;
    uint64_t self_id;       /* UINT64_MAX: none */
    char *self_path;        /* malloc'ed, or NULL */
} probe;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

static int searcher_init(searcher *q)
{
    session *s = &q->s;
    const search_options *o = s->o;
    q->sketch = dbset_sketch(s->set);
    maso_sketch_layers(q->sketch, &q->sketch_layers);
    q->rerank = dbset_full_codes(s->set);
    maso_decode_params_init(&q->dp);
    int channels;
    if (s->model) /* NULL with --indexed: nothing is decoded */
        maso_model_input_size(s->model, &channels, &q->dp.min_height,
                              &q->dp.min_width);
    size_t self = o->include_self ? 0 : o->n_dbs;
    size_t want = o->k + self;
    q->cap = want;
    if (q->rerank && !o->exact) {
        if (q->cap < RERANK_FACTOR * o->k)
            q->cap = RERANK_FACTOR * o->k;
        if (q->cap < RERANK_MIN)
            q->cap = RERANK_MIN;
    }
    q->code = aligned_alloc(64, round64(maso_sketch_code_bytes(q->sketch)));
    q->qsketch = aligned_alloc(64, round64(maso_sketch_bytes(q->sketch)));
    q->hits = calloc(q->cap, sizeof *q->hits);
    q->matches = calloc(o->k, sizeof *q->matches);
    q->per_layer = calloc(o->k * s->n_layers, sizeof *q->per_layer);
    if (!q->code || !q->qsketch || !q->hits || !q->matches || !q->per_layer)
        return ENOMEM;
    int rc = maso_decoder_create(&q->decoder);
    if (!rc && s->model)
        rc = maso_forward_create(s->model, &q->forward);
    return rc;
}

static void searcher_free(searcher *q)
{
    maso_forward_destroy(q->forward);
    maso_decoder_destroy(q->decoder);
    free(q->per_layer);
    free(q->matches);
    free(q->hits);
    free(q->qsketch);
    free(q->code);
}

/* Decode and code the image file @p path. */
static int probe_file(searcher *q, const char *path, probe *p)
{
    maso_image img = { 0, 0, NULL };
    int rc = query_image_load(q->decoder, path, &q->dp, &img, q->err);
    if (rc)
        return rc;
    rc = maso_forward_run_image(q->forward, &img, q->code, NULL);
    maso_image_free(&img);
    if (rc) {
        snprintf(q->err, sizeof q->err, "%s: %s", path,
                 maso_forward_errmsg(q->forward));
        return rc;
    }
    maso_sketch_apply(q->sketch, q->code, q->qsketch);
    p->code = q->code;
    p->sketch = q->qsketch;
    /* Stores keep absolute, resolved paths: the query file itself is the
     * record with its realpath. */
    p->self_path = realpath(path, NULL);
    return 0;
}

/* Use the stored sketch and code of the indexed path @p path. */
static int probe_indexed(searcher *q, const char *path, probe *p)
{
    int rc = dbset_find_path(q->s.set, path, &p->self_id, q->err);
    if (rc)
        return rc;
    maso_store_record r;
    p->sketch = dbset_sketch_of(q->s.set, p->self_id);
    if (q->rerank)
        p->code = dbset_code_of(q->s.set, p->self_id);
    if (!p->sketch || (q->rerank && !p->code) ||
        dbset_record(q->s.set, p->self_id, &r, NULL) != 0) {
        snprintf(q->err, sizeof q->err, "%s: changed in the store while "
                 "being read", path);
        return MASO_ENOTFOUND;
    }
    p->self_path = strdup(r.path);
    return p->self_path ? 0 : ENOMEM;
}

static int hit_cmp(const void *a, const void *b)
{
    const maso_search_hit *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double code_distance(searcher *q, const uint8_t *a, const uint8_t *b,
                            double *per_layer)
{
    return maso_code_distance(q->s.layers, q->s.n_layers, q->s.weights, a, b,
                              per_layer);
}

/* Insert @p h into the sorted hits (at most q->cap). */
static void keep_best(searcher *q, size_t *n, maso_search_hit h)
{
    if (*n == q->cap && hit_cmp(&h, &q->hits[*n - 1]) >= 0)
        return;
    size_t i = *n < q->cap ? (*n)++ : *n - 1;
    while (i > 0 && hit_cmp(&h, &q->hits[i - 1]) < 0) {
        q->hits[i] = q->hits[i - 1];
        i--;
    }
    q->hits[i] = h;
}

/* --exact with full codes: every stored code against the query's. */
static int full_scan(searcher *q, const probe *p, size_t *n)
{
    const maso_search_segment *segs;
    size_t n_segs = dbset_segments(q->s.set, &segs);
    double thr = q->s.o->threshold;
    uint64_t pos = 0;
    *n = 0;
    for (size_t s = 0; s < n_segs; s++) {
        for (size_t i = 0; i < segs[s].count; i++, pos++) {
            uint64_t id = segs[s].ids ? segs[s].ids[i] : pos;
            const uint8_t *code = dbset_code_of(q->s.set, id);
            if (!code) {
                snprintf(q->err, sizeof q->err, "record %" PRIu64 " has no "
                         "full code", id & ((UINT64_C(1) << 48) - 1));
                return MASO_EDATA;
            }
            double d = code_distance(q, p->code, code, NULL);
            if (thr < 0 || d <= thr)
                keep_best(q, n, (maso_search_hit){ id, d });
        }
    }
    return 0;
}

/* The sketch search, then the exact rerank when full codes are kept. */
static int sketch_search(searcher *q, const probe *p, size_t *n)
{
    const search_options *o = q->s.o;
    const maso_search_segment *segs;
    size_t n_segs = dbset_segments(q->s.set, &segs);
    maso_search_params sp;
    maso_search_params_init(&sp);
    sp.k = q->cap;
    sp.threshold = o->threshold;
    if (q->rerank && o->threshold >= 0)
        sp.threshold = o->threshold + SKETCH_MARGIN;
    if (o->exact)
        sp.candidates = 0;
    else if (o->candidates >= 0)
        sp.candidates = (size_t)o->candidates;
    else
        sp.candidates = dbset_count(q->s.set) <= EXACT_SCAN_MAX
                            ? 0 : MASO_SEARCH_CANDIDATES_DEFAULT;
    if (sp.candidates && sp.candidates < sp.k)
        sp.candidates = sp.k;
    int rc = maso_search_query(q->s.engine, segs, n_segs, p->sketch, NULL,
                               &sp, q->hits, n);
    if (rc) {
        snprintf(q->err, sizeof q->err, "%s", maso_search_errmsg(q->s.engine));
        return rc;
    }
    if (!q->rerank || !p->code)
        return 0;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        const uint8_t *code = dbset_code_of(q->s.set, q->hits[i].id);
        if (!code) {
            snprintf(q->err, sizeof q->err, "record %" PRIu64 " has no full "
                     "code", q->hits[i].id & ((UINT64_C(1) << 48) - 1));
            return MASO_EDATA;
        }
        double d = code_distance(q, p->code, code, NULL);
        if (o->threshold < 0 || d <= o->threshold)
            q->hits[kept++] = (maso_search_hit){ q->hits[i].id, d };
    }
    qsort(q->hits, kept, sizeof *q->hits, hit_cmp);
    *n = kept;
    return 0;
}

/* Turn the hits into at most k matches, without the query itself. */
static int make_matches(searcher *q, const probe *p, size_t n_hits,
                        size_t *n)
{
    const search_options *o = q->s.o;
    *n = 0;
    for (size_t i = 0; i < n_hits && *n < o->k; i++) {
        uint64_t id = q->hits[i].id;
        maso_store_record r;
        const char *db;
        if (dbset_record(q->s.set, id, &r, &db) != 0) {
            snprintf(q->err, sizeof q->err, "record %" PRIu64 " vanished "
                     "from the store", id & ((UINT64_C(1) << 48) - 1));
            return MASO_EDATA;
        }
        if (!o->include_self &&
            (id == p->self_id || (p->self_path && !strcmp(r.path,
                                                          p->self_path))))
            continue;
        query_match *m = &q->matches[*n];
        m->rank = *n + 1;
        m->distance = q->hits[i].distance;
        m->id = id;
        m->path = r.path;
        m->db = db;
        m->layers = NULL;
        if (o->explain) {
            double *row = q->per_layer + *n * q->s.n_layers;
            if (q->rerank && p->code)
                code_distance(q, p->code, dbset_code_of(q->s.set, id), row);
            else
                maso_code_distance(q->sketch_layers, q->s.n_layers,
                                   q->s.weights, p->sketch,
                                   dbset_sketch_of(q->s.set, id), row);
            m->layers = row;
        }
        (*n)++;
    }
    return 0;
}

/* One query: 0 and the number of matches, or an error in q->err. */
static int run_one(searcher *q, const char *name, size_t *n_matches)
{
    probe p = { name, NULL, NULL, UINT64_MAX, NULL };
    int rc = q->s.o->indexed ? probe_indexed(q, name, &p)
                             : probe_file(q, name, &p);
    size_t n_hits = 0;
    if (!rc)
        rc = q->s.o->exact && q->rerank ? full_scan(q, &p, &n_hits)
                                        : sketch_search(q, &p, &n_hits);
    if (!rc)
        rc = make_matches(q, &p, n_hits, n_matches);
    if (!rc)
        output_matches(&q->s.rep, name, q->matches, *n_matches);
    free(p.self_path);
    return rc;
}

int query_search(const search_options *o)
{
    searcher q;
    memset(&q, 0, sizeof q);
    if (session_open(&q.s, o, 0) != 0)
        return QUERY_EXIT_ERROR;
    int rc = searcher_init(&q);
    if (rc) {
        fprintf(stderr, "maso-query: cannot start: %s\n", maso_strerror(rc));
        searcher_free(&q);
        return session_close(&q.s, QUERY_EXIT_ERROR);
    }
    output_begin(&q.s.rep, 0);
    int found = 0, failed = 0;
    for (size_t i = 0; i < o->n_images; i++) {
        size_t n = 0;
        if (run_one(&q, o->images[i], &n) != 0) {
            output_error(&q.s.rep, o->images[i], q.err);
            failed = 1;
        }
        found |= n > 0;
    }
    fflush(stdout);
    searcher_free(&q);
    /* Like grep: an error wins over results. */
    return session_close(&q.s, failed  ? QUERY_EXIT_ERROR
                               : found ? QUERY_EXIT_FOUND
                                       : QUERY_EXIT_NONE);
}
