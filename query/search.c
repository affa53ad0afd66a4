/* search.c -- maso-query [OPTIONS] DB IMAGE...: for each IMAGE, the k
 * nearest stored images.
 *
 * Pipeline per query: decode (at least the network's input size) -> full
 * code -> the stores' sketch of it -> maso_engine_query (db/include/maso_engine.h:
 * the search policy) -> paths from the engine -> output. */
#include "session.h"
#include "query.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct searcher {
    session s;
    maso_decoder *decoder;
    maso_forward *forward;
    maso_decode_params dp;
    const maso_sketch *sketch;
    size_t n_orient;              /* orientations coded per file query */
    size_t code_stride, sketch_stride;
    uint8_t *code, *qsketch;      /* n_orient of each, 64-aligned */
    int rerank;                   /* full codes: exact distance */
    maso_engine_match *hits;      /* k */
    query_match *matches;
    double *per_layer;            /* k rows of n_layers */
    char err[MASO_CLI_ERRLEN];
} searcher;

/* The eight orientations of a file query (EXIF numbering, see
 * maso_image_orient): as is, then mirrors and quarter turns. */
#define ORIENTATIONS 8

/* One query, by file or by stored path. */
typedef struct probe {
    const char *name;
    maso_engine_probe v[ORIENTATIONS]; /* orientation o + 1 in v[o] */
    size_t n;
    uint64_t self_id;       /* UINT64_MAX: none */
    char *self_path;        /* malloc'ed, or NULL */
} probe;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

static int searcher_init(searcher *q)
{
    session *s = &q->s;
    const search_options *o = s->o;
    q->sketch = maso_engine_sketch(s->engine);
    q->rerank = maso_engine_full_codes(s->engine);
    maso_decode_params_init(&q->dp);
    int channels;
    if (s->model) /* NULL with --indexed: nothing is decoded */
        maso_model_input_size(s->model, &channels, &q->dp.min_height,
                              &q->dp.min_width);
    q->n_orient = o->no_orient ? 1 : ORIENTATIONS;
    q->code_stride = round64(maso_sketch_code_bytes(q->sketch));
    q->sketch_stride = round64(maso_sketch_bytes(q->sketch));
    q->code = aligned_alloc(64, q->n_orient * q->code_stride);
    q->qsketch = aligned_alloc(64, q->n_orient * q->sketch_stride);
    q->hits = calloc(o->k, sizeof *q->hits);
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

/* Code orientation @p o (1..8) of @p img into variant o - 1. */
static int code_orientation(searcher *q, const maso_image *img, int o,
                            const char *path, probe *p)
{
    uint8_t *code = q->code + (size_t)(o - 1) * q->code_stride;
    uint8_t *sketch = q->qsketch + (size_t)(o - 1) * q->sketch_stride;
    int rc = query_code_orientation(q->forward, q->sketch, img, o, code,
                                    sketch, path, q->err);
    if (!rc)
        p->v[o - 1] = (maso_engine_probe){ sketch, code };
    return rc;
}

/* Decode and code the image file @p path, in every orientation asked. */
static int probe_file(searcher *q, const char *path, probe *p)
{
    maso_image img = { 0, 0, NULL };
    int rc = query_image_load(q->decoder, path, &q->dp, &img, q->err);
    if (rc)
        return rc;
    /* as maso-index does: uniform borders cut before coding */
    rc = maso_image_trim_border(&img, MASO_TRIM_TOLERANCE, NULL);
    for (size_t o = 1; o <= q->n_orient && !rc; o++)
        rc = code_orientation(q, &img, (int)o, path, p);
    maso_image_free(&img);
    if (rc == ENOMEM)
        snprintf(q->err, sizeof q->err, "%s: out of memory", path);
    if (rc)
        return rc;
    p->n = q->n_orient;
    /* Stores keep absolute, resolved paths: the query file itself is the
     * record with its realpath. */
    p->self_path = realpath(path, NULL);
    return 0;
}

/* Use the stored sketch and code of the indexed path @p path. */
static int probe_indexed(searcher *q, const char *path, probe *p)
{
    maso_engine *e = q->s.engine;
    int rc = maso_engine_find_path(e, path, &p->self_id);
    if (rc) {
        snprintf(q->err, sizeof q->err, "%s", maso_engine_errmsg(e));
        return rc;
    }
    maso_store_record r;
    p->n = 1;
    p->v[0].sketch = maso_engine_sketch_of(e, p->self_id);
    if (q->rerank)
        p->v[0].code = maso_engine_code_of(e, p->self_id);
    if (!p->v[0].sketch || (q->rerank && !p->v[0].code) ||
        maso_engine_record(e, p->self_id, &r, NULL) != 0) {
        snprintf(q->err, sizeof q->err, "%s: changed in the store while "
                 "being read", path);
        return MASO_ENOTFOUND;
    }
    p->self_path = strdup(r.path);
    return p->self_path ? 0 : ENOMEM;
}

/* The engine's matches of one probe, as query matches with their paths. */
static int search_probe(searcher *q, const probe *p, size_t *n)
{
    const search_options *o = q->s.o;
    maso_engine *e = q->s.engine;
    maso_engine_params ep;
    maso_engine_params_init(&ep);
    ep.k = o->k;
    ep.threshold = o->threshold;
    ep.exact = o->exact;
    ep.candidates = o->candidates;
    if (!o->include_self) {
        ep.exclude_id = p->self_id;
        ep.exclude_path = p->self_path;
    }
    int rc = maso_engine_query(e, p->v, p->n, &ep, q->hits, n);
    if (rc) {
        snprintf(q->err, sizeof q->err, "%s", maso_engine_errmsg(e));
        return rc;
    }
    for (size_t i = 0; i < *n; i++) {
        maso_store_record r;
        size_t store;
        if (maso_engine_record(e, q->hits[i].id, &r, &store) != 0) {
            snprintf(q->err, sizeof q->err, "record %" PRIu64 " vanished "
                     "from the store", maso_store_id_local(q->hits[i].id));
            return MASO_EDATA;
        }
        query_match *m = &q->matches[i];
        m->rank = i + 1;
        m->distance = q->hits[i].distance;
        m->id = q->hits[i].id;
        m->path = r.path;
        m->db = maso_engine_store_path(e, store);
        m->layers = NULL;
        if (o->explain) {
            double *row = q->per_layer + i * q->s.n_layers;
            maso_engine_explain(e, &p->v[q->hits[i].probe], m->id, row);
            m->layers = row;
        }
    }
    return 0;
}

/* One query: 0 and the number of matches, or an error in q->err. */
static int run_one(searcher *q, const char *name, size_t *n_matches)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.self_id = UINT64_MAX;
    int rc = q->s.o->indexed ? probe_indexed(q, name, &p)
                             : probe_file(q, name, &p);
    if (!rc)
        rc = search_probe(q, &p, n_matches);
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
