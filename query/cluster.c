/* cluster.c -- maso-query as an MPI job (mpirun -np N maso-query DB
 * IMAGE...): every rank opens the engine (db/include/maso_engine.h) over the
 * shards it owns (maso_job_owners: node-local shards on their host, the
 * others in turn), and answers each query over them; rank 0 merges the
 * answers and writes the output, which is the single process's.
 *
 * Queries are coded once, by the ranks in turn (query i by rank i mod N,
 * a round of N queries at a time), and broadcast: the sketch, and the
 * full code when every store keeps full codes (the rerank needs it).
 * With --indexed, the rank whose shard holds the path broadcasts its
 * stored sketch.  Each rank then asks its engine for the k best matches
 * (the query itself left out), and rank 0 gathers them (MPI_Gatherv) and
 * keeps the k best by (distance, tagged id), the tags being the shards'
 * positions in the whole list, as the single process tags them: the same
 * matches, distances, order and exit status.  The exact-or-coarse choice
 * is made on the count of all shards; in the coarse mode the ranks agree
 * on the single process's candidates (cluster_cut.c) and each ranks its
 * own.
 *
 * --duplicates compares the images over their orientation sketches, as
 * one process does (unless --no-orient or --bands), and picks the mode on
 * the count of all shards.  All pairs: each rank sends its sketches,
 * orientation sketches and summaries around a ring (N / 2 steps); at each
 * step its engine's search handle groups its own records together with the
 * visiting block, so that every pair of records meets on some rank.
 * Candidates: each record's N nearest of the whole job, as one process
 * picks them (cluster_nearest.c).  Bands: band keys all-to-all
 * (cluster_bands.c).  Rank 0 joins the edges of all ranks (union-find:
 * the components of the whole graph), and computes each group's largest
 * distance from the members' sketches and orientation sketches, which it
 * gathers.
 */
#include "session.h"
#include "query.h"
#include "maso_job.h"
#include "cluster_box.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef MASO_HAVE_MPI
#include <mpi.h>

/* A byte buffer that grows; a failed allocation is remembered and checked
 * once (then the job fails: an MPI rank cannot half-answer). */
typedef struct buffer {
    uint8_t *data;
    size_t n, cap;
    int failed;
} buffer;

/* Append @p n bytes of @p p (NULL: zeros). */
static void put(buffer *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n && p)
        memcpy(b->data + b->n, p, n);
    else if (n)
        memset(b->data + b->n, 0, n);
    b->n += n;
}

/* Reading a gathered buffer; reads past the end are zeros. */
typedef struct reader {
    const uint8_t *p, *end;
} reader;

static void get(reader *r, void *out, size_t n)
{
    size_t have = (size_t)(r->end - r->p);
    size_t take = n < have ? n : have;
    memcpy(out, r->p, take);
    memset((uint8_t *)out + take, 0, n - take);
    r->p += take;
}

typedef struct mpi_search {
    maso_job *job;
    int rank, size;
    const search_options *o;  /* the whole job's options */
    search_options local;     /* this rank's stores */
    size_t *global_of;        /* local store -> position in o->dbs */
    int *owner;               /* rank of each store of o->dbs (-1: none) */
    int has_engine;
    int session_open;         /* s is open (closed by finish) */
    session s;
    int full_codes;           /* every store of the job keeps full codes */
    uint64_t count;           /* sketches in all stores */
    long candidates;          /* the policy, decided on the whole count */
    size_t summary_bins;      /* summary bits + 1 (the coarse cut) */
    maso_sketch *sketch;
    size_t sketch_bytes, code_bytes;
    maso_decoder *decoder;
    maso_forward *forward;
    maso_decode_params dp;
    size_t n_orient;          /* probes coded per file query */
    size_t code_stride, sketch_stride;
    uint8_t *code, *qsketch;  /* n_orient of each, 64-aligned */
    maso_engine_match *hits;
    double *row;
    char **missing;           /* rank 0: missing stores (--allow-partial) */
    size_t n_missing;
} mpi_search;

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

/* A file query is coded in the eight orientations search.c codes (as is,
 * mirrors and quarter turns), unless --no-orient. */
#define ORIENTATIONS 8

/* The worst status of all ranks, on all ranks. */
static int agree(int status)
{
    MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX,
                  MPI_COMM_WORLD);
    return status;
}

/* -- set-up ----------------------------------------------------------------- */

/* Which stores this rank opens; missing ones are an error, or left out
 * with --allow-partial.  0 or an exit status, on every rank. */
static int choose_stores(mpi_search *m)
{
    const search_options *o = m->o;
    size_t n = o->n_dbs;
    int *owner = calloc(n, sizeof *owner);
    int *missing = calloc(n, sizeof *missing);
    m->global_of = calloc(n, sizeof *m->global_of);
    m->local.dbs = calloc(n, sizeof *m->local.dbs);
    int status = owner && missing && m->global_of && m->local.dbs
                     ? 0 : QUERY_EXIT_ERROR;
    if (!status) {
        const char **hosts = calloc(n, sizeof *hosts);
        status = hosts ? 0 : QUERY_EXIT_ERROR;
        for (size_t i = 0; hosts && i < n; i++)
            hosts[i] = o->hosts ? o->hosts[i] : MASO_SHARDS_ANY_HOST;
        if (hosts)
            maso_job_owners(m->job, hosts, n, owner);
        free(hosts);
    }
    for (size_t i = 0; !status && i < n; i++) {
        if (owner[i] < 0) {
            missing[i] = 1;
            if (m->rank == 0)
                fprintf(stderr, "maso-query: %s%s: no rank of the job "
                        "runs on its host %s\n", o->allow_partial ?
                        "warning: missing " : "", o->dbs[i], o->hosts[i]);
            continue;
        }
        if (owner[i] != m->rank)
            continue;
        maso_store *s = NULL;
        int rc = maso_store_create(&s);
        if (!rc)
            rc = maso_store_open(s, o->dbs[i], MASO_STORE_RDONLY, NULL);
        if (rc) {
            missing[i] = 1;
            fprintf(stderr, "maso-query: rank %d on %s: %s%s: %s\n",
                    m->rank, maso_job_host(m->job),
                    o->allow_partial ? "warning: missing " : "",
                    o->dbs[i], s ? maso_store_errmsg(s) : maso_strerror(rc));
        } else {
            m->global_of[m->local.n_dbs] = i;
            m->local.dbs[m->local.n_dbs++] = o->dbs[i];
        }
        maso_store_destroy(s);
    }
    status = agree(status);
    if (status)
        goto done;
    MPI_Allreduce(MPI_IN_PLACE, missing, (int)n, MPI_INT, MPI_MAX,
                  MPI_COMM_WORLD);
    size_t n_missing = 0;
    for (size_t i = 0; i < n; i++)
        n_missing += missing[i] != 0;
    if (n_missing == n || (n_missing && !o->allow_partial)) {
        if (m->rank == 0)
            fprintf(stderr, "maso-query: %zu of %zu stores missing%s\n",
                    n_missing, n, n_missing == n ? "" : " (--allow-partial "
                    "answers from the others)");
        status = QUERY_EXIT_ERROR;
        goto done;
    }
    if (m->rank == 0 && n_missing) {
        m->missing = calloc(n_missing, sizeof *m->missing);
        for (size_t i = 0; m->missing && i < n; i++)
            if (missing[i])
                m->missing[m->n_missing++] = (char *)o->dbs[i];
        status = m->missing ? 0 : QUERY_EXIT_ERROR;
    }
done:
    m->owner = owner;
    free(missing);
    return agree(status);
}

/* The sketch of the whole job, from the parameters of the first store
 * that is there (broadcast by its owner). */
static int make_sketch(mpi_search *m)
{
    int have = m->has_engine ? m->rank : m->size;
    MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    uint64_t p[3] = { 0, 0, 0 };
    if (m->rank == have) {
        const maso_sketch_params *sp =
            maso_sketch_get_params(maso_engine_sketch(m->s.engine));
        p[0] = sp->seed;
        p[1] = sp->relu_samples;
        p[2] = sp->maxpool_samples;
    }
    MPI_Bcast(p, 3, MPI_UINT64_T, have, MPI_COMM_WORLD);
    maso_sketch_params params = { p[0], (size_t)p[1], (size_t)p[2] };
    int rc = maso_sketch_create(m->s.layers, m->s.n_layers, &params,
                                &m->sketch);
    if (rc)
        return rc;
    m->sketch_bytes = maso_sketch_bytes(m->sketch);
    return 0;
}

static int start(mpi_search *m, maso_job *job, const search_options *o,
                 int duplicates)
{
    memset(m, 0, sizeof *m);
    m->job = job;
    m->rank = maso_job_rank(job);
    m->size = maso_job_size(job);
    m->o = o;
    m->local = *o;
    m->local.dbs = NULL;
    m->local.n_dbs = 0;
    if (m->rank != 0)
        m->local.html = NULL;   /* rank 0 writes the output */
    int status = choose_stores(m);
    if (status)
        return status;
    m->local.missing = m->missing;
    m->local.n_missing = m->n_missing;
    m->has_engine = m->local.n_dbs > 0;
    int opened = session_open(&m->s, &m->local, duplicates);
    m->session_open = opened == 0;
    status = agree(opened);
    if (status)
        return status;
    int full = m->has_engine ? maso_engine_full_codes(m->s.engine) : 1;
    MPI_Allreduce(MPI_IN_PLACE, &full, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    m->full_codes = full;
    m->count = m->has_engine ? maso_engine_count(m->s.engine) : 0;
    MPI_Allreduce(MPI_IN_PLACE, &m->count, 1, MPI_UINT64_T, MPI_SUM,
                  MPI_COMM_WORLD);
    /* Exact or coarse is decided on the whole count, as one process over
     * all the shards decides it; the automatic number of candidates
     * (-1) is the engine's (maso_engine_summary_candidates: it grows with
     * the summary bits the weights mask out), not the unweighted default. */
    m->candidates = o->candidates;
    if (!o->exact && o->candidates < 0 &&
        m->count <= MASO_ENGINE_EXACT_SCAN_MAX)
        m->candidates = 0;
    uint64_t bits = m->has_engine ? 8 * maso_search_summary_bytes(
                        maso_engine_search_handle(m->s.engine)) : 0;
    MPI_Allreduce(MPI_IN_PLACE, &bits, 1, MPI_UINT64_T, MPI_MAX,
                  MPI_COMM_WORLD);
    m->summary_bins = (size_t)bits + 1;
    m->s.rep.measure = m->full_codes && !duplicates ? "code" : "sketch";
    int rc = make_sketch(m);
    m->code_bytes = rc ? 0 : maso_sketch_code_bytes(m->sketch);
    m->n_orient = o->no_orient ? 1 : ORIENTATIONS;
    m->code_stride = round64(m->code_bytes);
    m->sketch_stride = round64(m->sketch_bytes);
    if (!rc) {
        m->code = aligned_alloc(64, m->n_orient * m->code_stride);
        m->qsketch = aligned_alloc(64, m->n_orient * m->sketch_stride);
        m->hits = calloc(o->k, sizeof *m->hits);
        m->row = calloc(m->s.n_layers, sizeof *m->row);
        rc = m->code && m->qsketch && m->hits && m->row ? 0 : ENOMEM;
    }
    if (!rc)
        rc = maso_decoder_create(&m->decoder);
    /* --duplicates and --indexed code no image: no model (session.c). */
    if (!rc && m->s.model)
        rc = maso_forward_create(m->s.model, &m->forward);
    maso_decode_params_init(&m->dp);
    int channels;
    if (m->s.model)
        maso_model_input_size(m->s.model, &channels, &m->dp.min_height,
                              &m->dp.min_width);
    if (rc)
        fprintf(stderr, "maso-query: rank %d on %s: cannot start: %s\n",
                m->rank, maso_job_host(job), maso_strerror(rc));
    return agree(rc ? QUERY_EXIT_ERROR : 0);
}

static int finish(mpi_search *m, int status)
{
    maso_forward_destroy(m->forward);
    maso_decoder_destroy(m->decoder);
    maso_sketch_destroy(m->sketch);
    free(m->row);
    free(m->hits);
    free(m->qsketch);
    free(m->code);
    if (m->session_open)
        status = session_close(&m->s, status);
    free(m->missing);
    free(m->local.dbs);
    free(m->global_of);
    free(m->owner);
    /* Every rank leaves with rank 0's status (it saw every answer). */
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

/* -- queries ---------------------------------------------------------------- */

/* The bytes of every rank, concatenated on rank 0 (rank r's at
 * displs[r], counts[r] long; all three malloc'ed, NULL elsewhere). */
typedef struct gathered_bytes {
    uint8_t *all;
    int *counts, *displs;
    size_t total;
} gathered_bytes;

static void gather_bytes(const mpi_search *m, const buffer *b,
                         gathered_bytes *g)
{
    memset(g, 0, sizeof *g);
    if (b->failed || b->n > INT_MAX)
        cluster_abort("out of memory, or a message past MPI's 2^31-1 counts");
    int n = (int)b->n;
    if (m->rank == 0) {
        g->counts = calloc((size_t)m->size, sizeof *g->counts);
        g->displs = calloc((size_t)m->size, sizeof *g->displs);
        if (!g->counts || !g->displs)
            cluster_abort("out of memory");
    }
    MPI_Gather(&n, 1, MPI_INT, g->counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (m->rank == 0) {
        for (int r = 0; r < m->size; r++) {
            if (g->total + (size_t)g->counts[r] > INT_MAX)
                cluster_abort("the gathered blocks pass MPI's 2^31-1 counts");
            g->displs[r] = (int)g->total;
            g->total += (size_t)g->counts[r];
        }
        if (!(g->all = malloc(g->total ? g->total : 1)))
            cluster_abort("out of memory");
    }
    MPI_Gatherv(b->data, n, MPI_BYTE, g->all, g->counts, g->displs,
                MPI_BYTE, 0, MPI_COMM_WORLD);
}

static void gathered_free(gathered_bytes *g)
{
    free(g->all);
    free(g->counts);
    free(g->displs);
}

/* Decode a query file, cut its uniform borders (as maso-index does) and
 * code its orientations: status, then the message, or the number of
 * probes, their sketches [+ codes] and the query's own path. */
static void code_file(mpi_search *m, const char *path, buffer *b)
{
    char err[MASO_CLI_ERRLEN];
    maso_image img = { 0, 0, NULL };
    int rc = maso_decoder_load_file(m->decoder, path, &m->dp, &img);
    if (rc)
        snprintf(err, sizeof err, "%s", maso_decoder_errmsg(m->decoder));
    else
        rc = maso_image_trim_border(&img, MASO_TRIM_TOLERANCE, NULL);
    for (size_t o = 1; o <= m->n_orient && img.pixels && !rc; o++)
        rc = query_code_orientation(
            m->forward, m->sketch, &img, (int)o,
            m->code + (o - 1) * m->code_stride,
            m->qsketch + (o - 1) * m->sketch_stride, path, err);
    if (rc == ENOMEM)
        snprintf(err, sizeof err, "%s: out of memory", path);
    maso_image_free(&img);
    int32_t status = rc != 0;
    put(b, &status, sizeof status);
    if (status) {
        put(b, err, strlen(err) + 1);
        return;
    }
    uint32_t n = (uint32_t)m->n_orient;
    put(b, &n, sizeof n);
    for (size_t o = 0; o < n; o++)
        put(b, m->qsketch + o * m->sketch_stride, m->sketch_bytes);
    for (size_t o = 0; o < n && m->full_codes; o++)
        put(b, m->code + o * m->code_stride, m->code_bytes);
    /* Stores keep absolute, resolved paths: the query file itself is the
     * record with its realpath. */
    char *self = realpath(path, NULL);
    put(b, self ? self : "", self ? strlen(self) + 1 : 1);
    free(self);
}

/* --indexed: the rank of the first store holding @p path sends its
 * stored sketch [+ code]; *self_id gets the local tagged id there. */
static void code_indexed(mpi_search *m, const char *path, buffer *b,
                         uint64_t *self_id)
{
    uint64_t id = UINT64_MAX;
    int rc = m->has_engine ? maso_engine_find_path(m->s.engine, path, &id)
                           : MASO_ENOTFOUND;
    /* The first store in the whole list that has it decides. */
    int key[2] = { INT_MAX, m->rank };
    if (rc == 0 || rc == MASO_EDATA)
        key[0] = (int)m->global_of[maso_store_id_tag_of(id)];
    MPI_Allreduce(MPI_IN_PLACE, key, 1, MPI_2INT, MPI_MINLOC,
                  MPI_COMM_WORLD);
    int32_t status = 0;
    if (key[0] == INT_MAX) {
        char err[MASO_CLI_ERRLEN];
        snprintf(err, sizeof err, "%s: not in the store%s", path,
                 m->o->n_dbs > 1 ? "s" : "");
        status = 1;
        if (m->rank == 0) {
            put(b, &status, sizeof status);
            put(b, err, strlen(err) + 1);
        }
    } else if (m->rank == key[1]) {
        const uint8_t *sk = maso_engine_sketch_of(m->s.engine, id);
        const uint8_t *code = m->full_codes
                                  ? maso_engine_code_of(m->s.engine, id)
                                  : NULL;
        maso_store_record r;
        if (rc || !sk || (m->full_codes && !code) ||
            maso_engine_record(m->s.engine, id, &r, NULL) != 0) {
            const char *why = maso_engine_errmsg(m->s.engine);
            char err[MASO_CLI_ERRLEN];
            snprintf(err, sizeof err, "%s", rc ? why : "changed in the store "
                     "while being read");
            status = 1;
            put(b, &status, sizeof status);
            put(b, err, strlen(err) + 1);
        } else {
            uint32_t one = 1;
            put(b, &status, sizeof status);
            put(b, &one, sizeof one);
            put(b, sk, m->sketch_bytes);
            if (m->full_codes)
                put(b, code, m->code_bytes);
            put(b, r.path, strlen(r.path) + 1);
            *self_id = id;
        }
    }
    uint64_t n = b->n;
    int root = key[0] == INT_MAX ? 0 : key[1];
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
    if (m->rank != root) {
        b->n = 0;
        put(b, NULL, 0);
        uint8_t *zero = calloc(1, n ? n : 1);
        put(b, zero, n);
        free(zero);
    }
    if (b->failed)
        cluster_abort("out of memory");
    MPI_Bcast(b->data, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
}

/* Broadcast @p b from @p root (sizes first). */
static void bcast_buffer(buffer *b, int root, int rank)
{
    uint64_t n = b->n;
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
    if (rank != root) {
        b->n = 0;
        uint8_t *zero = calloc(1, n ? n : 1);
        put(b, zero, n);
        free(zero);
    }
    if (b->failed)
        cluster_abort("out of memory");
    MPI_Bcast(b->data, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
}

/* One gathered match. */
typedef struct gathered {
    double distance;
    uint64_t id;        /* tagged with the store's position in o->dbs */
    const char *path;   /* into the gathered bytes */
    const double *layers;
} gathered;

static int gathered_cmp(const void *a, const void *b)
{
    const gathered *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A failed answer: status 1 and the engine's message (or @p otherwise,
 * on a rank whose engine has none). */
static void put_failure(const mpi_search *m, buffer *out,
                        const char *otherwise)
{
    const char *why = m->has_engine && *maso_engine_errmsg(m->s.engine)
                          ? maso_engine_errmsg(m->s.engine) : otherwise;
    int32_t status = 1;
    put(out, &status, sizeof status);
    put(out, why, strlen(why) + 1);
}

/* This rank's answer to one query, packed: status, message or matches. */
static void answer(mpi_search *m, const uint8_t *payload, size_t n,
                   uint64_t self_id, buffer *out)
{
    const search_options *o = m->o;
    uint32_t n_probes;
    memcpy(&n_probes, payload, sizeof n_probes);
    if (n_probes < 1 || n_probes > ORIENTATIONS || n < sizeof n_probes +
        n_probes * (m->sketch_bytes + (m->full_codes ? m->code_bytes : 0)))
        cluster_abort("a malformed query message (internal error)");
    const uint8_t *p = payload + sizeof n_probes;
    /* The probes must be 64-byte aligned for the kernels. */
    maso_engine_probe probe[ORIENTATIONS];
    for (size_t i = 0; i < n_probes; i++, p += m->sketch_bytes) {
        memcpy(m->qsketch + i * m->sketch_stride, p, m->sketch_bytes);
        probe[i].sketch = m->qsketch + i * m->sketch_stride;
        probe[i].code = NULL;
    }
    for (size_t i = 0; i < n_probes && m->full_codes;
         i++, p += m->code_bytes) {
        memcpy(m->code + i * m->code_stride, p, m->code_bytes);
        probe[i].code = m->code + i * m->code_stride;
    }
    const char *self = (const char *)p;
    int32_t status = 0;
    size_t hits = 0;
    maso_engine_params ep;
    maso_engine_params_init(&ep);
    ep.k = o->k;
    ep.threshold = o->threshold;
    ep.exact = o->exact;
    ep.candidates = m->candidates;
    if (!o->include_self) {
        ep.exclude_id = self_id;
        ep.exclude_path = *self ? self : NULL;
    }
    /* The coarse stage: the candidates one process over all the shards
     * keeps, agreed by all ranks. */
    uint64_t wanted = maso_engine_summary_candidates(
        m->has_engine ? m->s.engine : NULL, &ep, m->count, o->n_dbs,
        m->full_codes);
    /* A rank without a store counts every summary bit; the ranks with
     * stores all weigh them alike: the largest is one process's number. */
    MPI_Allreduce(MPI_IN_PLACE, &wanted, 1, MPI_UINT64_T, MPI_MAX,
                  MPI_COMM_WORLD);
    maso_engine_candidate *chosen = NULL;
    if (wanted) {
        int rc = query_agree_candidates(
            m->has_engine ? m->s.engine : NULL, m->global_of, o->n_dbs,
            probe, n_probes, (size_t)wanted, m->summary_bins, &chosen,
            &ep.n_chosen);
        if (rc) {
            put_failure(m, out, "a rank failed in the coarse stage");
            return;
        }
        ep.chosen = chosen;
    }
    /* The full-code rerank: the sketch hits one process re-ranks. */
    uint64_t *rerank = NULL;
    if (m->full_codes && !o->exact) {
        size_t want_r = maso_engine_rerank_candidates(&ep, o->n_dbs), ns = 0;
        maso_engine_match *sk = calloc(want_r, sizeof *sk);
        rerank = calloc(want_r, sizeof *rerank);
        int rc = sk && rerank ? 0 : ENOMEM;
        if (!rc && m->has_engine)
            rc = maso_engine_sketch_hits(m->s.engine, probe, n_probes, &ep,
                                         want_r, sk, &ns);
        int bad = agree(rc != 0);
        size_t keep = 0;
        if (!bad)
            bad = query_agree_rerank(sk, ns, m->global_of, want_r, &keep);
        for (size_t i = 0; !bad && i < keep; i++)
            rerank[i] = sk[i].id;
        free(sk);
        if (bad) {
            put_failure(m, out, "a rank failed in the sketch stage");
            free(rerank);
            free(chosen);
            return;
        }
        ep.rerank = rerank;
        ep.n_rerank = keep;
    }
    if (m->has_engine &&
        maso_engine_query(m->s.engine, probe, n_probes, &ep, m->hits,
                          &hits)) {
        put_failure(m, out, "the query failed");
        free(rerank);
        free(chosen);
        return;
    }
    free(rerank);
    free(chosen);
    uint32_t count = (uint32_t)hits;
    put(out, &status, sizeof status);
    put(out, &count, sizeof count);
    for (size_t i = 0; i < hits; i++) {
        maso_store_record r;
        size_t store;
        uint64_t id = m->hits[i].id;
        if (maso_engine_record(m->s.engine, id, &r, &store) != 0)
            r.path = "";
        uint64_t global = maso_store_id_tag(
            (unsigned)m->global_of[maso_store_id_tag_of(id)],
            maso_store_id_local(id));
        put(out, &m->hits[i].distance, sizeof(double));
        put(out, &global, sizeof global);
        if (o->explain) {
            maso_engine_explain(m->s.engine, &probe[m->hits[i].probe], id,
                                m->row);
            put(out, m->row, m->s.n_layers * sizeof *m->row);
        }
        put(out, r.path, strlen(r.path) + 1);
    }
}

/* Rank 0: merge the answers of all ranks and write the output.  Returns
 * 1 when matches were found, 0 none, -1 an error. */
static int merge(mpi_search *m, const char *name, const uint8_t *all,
                 const int *counts, const int *displs)
{
    const search_options *o = m->o;
    size_t cap = (size_t)m->size * o->k, n = 0;
    gathered *g = calloc(cap ? cap : 1, sizeof *g);
    query_match *qm = calloc(o->k, sizeof *qm);
    if (!g || !qm) {
        free(g);
        free(qm);
        output_error(&m->s.rep, name, "out of memory");
        return -1;
    }
    int result = 0;
    for (int r = 0; r < m->size && result >= 0; r++) {
        reader rd = { all + displs[r], all + displs[r] + counts[r] };
        int32_t status;
        get(&rd, &status, sizeof status);
        if (status) {
            output_error(&m->s.rep, name, (const char *)rd.p);
            result = -1;
            break;
        }
        uint32_t count;
        get(&rd, &count, sizeof count);
        for (uint32_t i = 0; i < count && n < cap; i++) {
            gathered *x = &g[n++];
            get(&rd, &x->distance, sizeof x->distance);
            get(&rd, &x->id, sizeof x->id);
            x->layers = NULL;
            if (o->explain) {
                x->layers = (const double *)rd.p;
                rd.p += m->s.n_layers * sizeof(double);
            }
            x->path = (const char *)rd.p;
            rd.p += strlen(x->path) + 1;
        }
    }
    if (result == 0) {
        qsort(g, n, sizeof *g, gathered_cmp);
        size_t k = n < o->k ? n : o->k;
        double *rows = o->explain ? calloc(k * m->s.n_layers + 1,
                                           sizeof *rows) : NULL;
        for (size_t i = 0; i < k; i++) {
            qm[i].rank = i + 1;
            qm[i].distance = g[i].distance;
            qm[i].id = g[i].id;
            qm[i].path = g[i].path;
            qm[i].db = o->dbs[maso_store_id_tag_of(g[i].id)];
            qm[i].layers = NULL;
            if (rows && g[i].layers) {
                /* The gathered bytes are not aligned for doubles. */
                memcpy(rows + i * m->s.n_layers, g[i].layers,
                       m->s.n_layers * sizeof *rows);
                qm[i].layers = rows + i * m->s.n_layers;
            }
        }
        output_matches(&m->s.rep, name, qm, k);
        free(rows);
        result = k > 0;
    }
    free(g);
    free(qm);
    return result;
}

/* One query everywhere: the answers gathered on rank 0 and written. */
static int one_query(mpi_search *m, const char *name, buffer *coded,
                     uint64_t self_id, int *found, int *failed)
{
    reader rd = { coded->data, coded->data + coded->n };
    int32_t status;
    get(&rd, &status, sizeof status);
    if (status) {
        if (m->rank == 0)
            output_error(&m->s.rep, name, (const char *)rd.p);
        *failed = 1;
        return 0;
    }
    buffer out = { NULL, 0, 0, 0 };
    answer(m, rd.p, (size_t)(rd.end - rd.p), self_id, &out);
    gathered_bytes g;
    gather_bytes(m, &out, &g);
    if (m->rank == 0) {
        int r = merge(m, name, g.all, g.counts, g.displs);
        if (r < 0)
            *failed = 1;
        else if (r > 0)
            *found = 1;
    }
    gathered_free(&g);
    free(out.data);
    return 0;
}

/* -- duplicates ------------------------------------------------------------ */

/* This rank's records as one block: {u64 count, u64 stride, u64 nv}, the
 * ids (tagged with the stores' positions in the whole list), the sketches
 * at the stride, the summaries; with @p nv orientations, a presence word
 * per record (bit v: orientation v) and its nv orientation sketches at
 * the stride (zeros where absent; @p orients in segment order, nv per
 * record). */
static void pack_block(mpi_search *m, const uint8_t *const *orients,
                       uint64_t nv, buffer *b)
{
    uint64_t count = 0, stride = round64(m->sketch_bytes), sbytes = 0;
    const maso_search_segment *segs = NULL;
    size_t n_segs = 0;
    if (m->has_engine) {
        n_segs = maso_engine_segments(m->s.engine, &segs);
        sbytes = maso_search_summary_bytes(
            maso_engine_search_handle(m->s.engine));
    }
    for (size_t i = 0; i < n_segs; i++)
        count += segs[i].count;
    put(b, &count, sizeof count);
    put(b, &stride, sizeof stride);
    put(b, &nv, sizeof nv);
    for (size_t i = 0; i < n_segs; i++)
        for (size_t j = 0; j < segs[i].count; j++) {
            uint64_t id = segs[i].ids[j];
            uint64_t global = maso_store_id_tag(
                (unsigned)m->global_of[maso_store_id_tag_of(id)],
                maso_store_id_local(id));
            put(b, &global, sizeof global);
        }
    for (size_t i = 0; i < n_segs; i++)
        for (size_t j = 0; j < segs[i].count; j++) {
            put(b, segs[i].base + j * segs[i].stride, m->sketch_bytes);
            put(b, NULL, stride - m->sketch_bytes);
        }
    for (size_t i = 0; i < n_segs; i++)
        put(b, segs[i].summaries, segs[i].count * sbytes);
    for (uint64_t r = 0; nv && r < count; r++) {
        uint64_t has = 0;
        for (uint64_t v = 0; v < nv; v++)
            has |= (uint64_t)(orients[r * nv + v] != NULL) << v;
        put(b, &has, sizeof has);
    }
    for (uint64_t r = 0; nv && r < count; r++)
        for (uint64_t v = 0; v < nv; v++) {
            put(b, orients[r * nv + v], m->sketch_bytes);
            put(b, NULL, stride - m->sketch_bytes);
        }
}

/* The segment of a packed block (its bytes must stay in place), and the
 * pointers to its orientation sketches into @p var (count * nv of them,
 * NULL where absent) when @p var is not NULL. */
static maso_search_segment block_segment(const uint8_t *block, size_t sbytes,
                                         const uint8_t **var)
{
    uint64_t count, stride, nv;
    memcpy(&count, block, sizeof count);
    memcpy(&stride, block + 8, sizeof stride);
    memcpy(&nv, block + 16, sizeof nv);
    maso_search_segment seg;
    seg.ids = (const uint64_t *)(block + 24);
    seg.base = block + 24 + count * 8;
    seg.stride = (size_t)stride;
    seg.count = (size_t)count;
    seg.summaries = seg.base + count * stride;
    const uint8_t *has = seg.summaries + count * sbytes;
    const uint8_t *sketches = has + count * 8;
    for (uint64_t r = 0; var && r < count; r++) {
        uint64_t bits;
        memcpy(&bits, has + r * 8, sizeof bits);
        for (uint64_t v = 0; v < nv; v++)
            var[r * nv + v] = bits >> v & 1
                                  ? sketches + (r * nv + v) * stride : NULL;
    }
    return seg;
}

/* Group every pair of the records of @p segs (with their orientation
 * sketches @p var, or none) and add each group's joins to @p edges (pairs
 * of ids: first member, other member). */
static int group_into(mpi_search *m, const maso_search_segment *segs,
                      size_t n, const maso_search_variants *var, double thr,
                      buffer *edges)
{
    maso_search *h = maso_engine_search_handle(m->s.engine);
    maso_search_groups g = { 0, NULL, NULL, NULL };
    int rc = maso_search_group_variants(h, segs, n, var, thr, 0, &g, NULL);
    if (rc) {
        fprintf(stderr, "maso-query: rank %d on %s: --duplicates: %s\n",
                m->rank, maso_job_host(m->job), maso_search_errmsg(h));
        return rc;
    }
    for (size_t i = 0; i < g.n_groups; i++)
        for (size_t j = g.offsets[i] + 1; j < g.offsets[i + 1]; j++) {
            put(edges, &g.ids[g.offsets[i]], sizeof(uint64_t));
            put(edges, &g.ids[j], sizeof(uint64_t));
        }
    maso_search_groups_free(&g);
    return 0;
}

/* Every pair of records meets on some rank: each rank groups its own
 * block, then its block with the block of rank - k for k = 1 .. N/2 (for
 * an even N the last step on the lower half only), received around the
 * ring; with @p nv orientation sketches per record (@p orients, in segment
 * order), over their orientations. */
static int ring_edges(mpi_search *m, double thr,
                      const uint8_t *const *orients, size_t nv,
                      buffer *edges)
{
    buffer mine = { NULL, 0, 0, 0 }, visit = { NULL, 0, 0, 0 };
    pack_block(m, orients, nv, &mine);
    if (mine.failed)
        cluster_abort("out of memory");
    size_t sbytes = m->has_engine ? maso_search_summary_bytes(
                        maso_engine_search_handle(m->s.engine)) : 0;
    maso_search_segment segs[2];
    segs[0] = block_segment(mine.data, sbytes, NULL);
    /* the orientation sketches of both blocks, own records first */
    const uint8_t **var = NULL;
    if (nv && !(var = calloc(segs[0].count * nv + 1, sizeof *var)))
        cluster_abort("out of memory");
    block_segment(mine.data, sbytes, var);
    maso_search_variants vs = { nv, var };
    int rc = 0;
    if (segs[0].count)
        rc = group_into(m, segs, 1, nv ? &vs : NULL, thr, edges);
    int half = m->size / 2;
    for (int k = 1; k <= half; k++) {
        int dest = (m->rank + k) % m->size;
        int src = (m->rank - k + m->size) % m->size;
        uint64_t out = mine.n, in = 0;
        MPI_Sendrecv(&out, 1, MPI_UINT64_T, dest, 1, &in, 1, MPI_UINT64_T,
                     src, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        visit.n = 0;
        put(&visit, NULL, in);
        if (visit.failed || in > INT_MAX || out > INT_MAX)
            cluster_abort("out of memory, or a message past MPI's 2^31-1 counts");
        MPI_Sendrecv(mine.data, (int)out, MPI_BYTE, dest, 2, visit.data,
                     (int)in, MPI_BYTE, src, 2, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        int compute = !(2 * k == m->size && m->rank >= half);
        segs[1] = block_segment(visit.data, sbytes, NULL);
        if (nv) {
            const uint8_t **grown = realloc(
                var, ((segs[0].count + segs[1].count) * nv + 1) *
                         sizeof *var);
            if (!grown)
                cluster_abort("out of memory");
            var = grown;
            vs.sketches = var;
            block_segment(visit.data, sbytes, var + segs[0].count * nv);
        }
        if (!rc && compute && segs[0].count && segs[1].count)
            rc = group_into(m, segs, 2, nv ? &vs : NULL, thr, edges);
    }
    free(var);
    free(mine.data);
    free(visit.data);
    return agree(rc ? QUERY_EXIT_ERROR : 0);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static size_t index_of(const uint64_t *ids, size_t n, uint64_t id)
{
    const uint64_t *p = bsearch(&id, ids, n, sizeof *ids, u64_cmp);
    return (size_t)(p - ids);
}


/* The sketches of the members of write_groups() on rank 0: each one's
 * sketch, and its nv orientation sketches when it has them. */
typedef struct member_sketches {
    uint8_t *sketch, *orient;
    int *has_orient;
    size_t nv, stride;
} member_sketches;

/* The distance of members @p a and @p b as one process measures it
 * (maso_engine_pair_distance: over their orientations when kept). */
static double member_distance(const maso_search *h, const member_sketches *k,
                              size_t a, size_t b)
{
    const uint8_t *va[MASO_STORE_ORIENTS], *vb[MASO_STORE_ORIENTS];
    for (size_t v = 0; v < k->nv; v++) {
        va[v] = k->has_orient[a] ? k->orient + (a * k->nv + v) * k->stride
                                 : NULL;
        vb[v] = k->has_orient[b] ? k->orient + (b * k->nv + v) * k->stride
                                 : NULL;
    }
    return maso_search_distance_variants(h, k->sketch + a * k->stride,
                                         k->nv ? va : NULL,
                                         k->sketch + b * k->stride,
                                         k->nv ? vb : NULL, k->nv);
}

/* Rank 0: components of the gathered joins, then the members' paths,
 * sketches and (@p nv of them, or none) orientation sketches from their
 * ranks, then the output. */
static int write_groups(mpi_search *m, const uint64_t *edge, size_t n_edges,
                        size_t nv)
{
    /* The members: every id on an edge, sorted, once. */
    uint64_t n_ids = 0;
    uint64_t *ids = NULL;
    size_t *parent = NULL;
    if (m->rank == 0) {
        ids = malloc((2 * n_edges + 1) * sizeof *ids);
        if (!ids)
            cluster_abort("out of memory");
        memcpy(ids, edge, 2 * n_edges * sizeof *ids);
        qsort(ids, 2 * n_edges, sizeof *ids, u64_cmp);
        for (size_t i = 0; i < 2 * n_edges; i++)
            if (n_ids == 0 || ids[n_ids - 1] != ids[i])
                ids[n_ids++] = ids[i];
    }
    MPI_Bcast(&n_ids, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (m->rank != 0 && !(ids = malloc((n_ids + 1) * sizeof *ids)))
        cluster_abort("out of memory");
    MPI_Bcast(ids, (int)n_ids, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    /* Each rank sends {index, size, mtime, sketch, path} of the members
     * it holds (the size and mtime as indexed: --keep trusts only files
     * that have not changed since). */
    buffer mine = { NULL, 0, 0, 0 };
    for (uint64_t i = 0; i < n_ids && m->has_engine; i++) {
        unsigned tag = maso_store_id_tag_of(ids[i]);
        size_t local = m->local.n_dbs;
        for (size_t j = 0; j < m->local.n_dbs; j++)
            if (m->global_of[j] == tag)
                local = j;
        if (local == m->local.n_dbs)
            continue;
        uint64_t id = maso_store_id_tag((unsigned)local,
                                        maso_store_id_local(ids[i]));
        maso_store_record r;
        const uint8_t *s = maso_engine_sketch_of(m->s.engine, id);
        if (!s || maso_engine_record(m->s.engine, id, &r, NULL) != 0)
            continue;
        put(&mine, &i, sizeof i);
        put(&mine, &r.size, sizeof r.size);
        put(&mine, &r.mtime_ns, sizeof r.mtime_ns);
        put(&mine, s, m->sketch_bytes);
        const uint8_t *o = nv ? maso_engine_orients_of(m->s.engine, id)
                              : NULL;
        uint64_t has = o != NULL;
        if (nv) {
            put(&mine, &has, sizeof has);
            put(&mine, o, nv * m->sketch_bytes);
        }
        put(&mine, r.path, strlen(r.path) + 1);
    }
    gathered_bytes gb;
    gather_bytes(m, &mine, &gb);
    free(mine.data);
    int status = QUERY_EXIT_NONE;
    if (m->rank != 0)
        goto done;
    /* Components. */
    parent = malloc((n_ids + 1) * sizeof *parent);
    dupe_member *info = calloc(n_ids + 1, sizeof *info);
    size_t stride = round64(m->sketch_bytes);
    member_sketches k = { aligned_alloc(64, (n_ids + 1) * stride),
                          nv ? aligned_alloc(64, (n_ids * nv + 1) * stride)
                             : NULL,
                          calloc(n_ids + 1, sizeof *k.has_orient), nv,
                          stride };
    uint8_t *sketches = k.sketch;
    dupe_group *groups = calloc(n_ids + 1, sizeof *groups);
    dupe_member *order = calloc(n_ids + 1, sizeof *order);
    size_t *member_of = calloc(n_ids + 1, sizeof *member_of);
    maso_search *h = NULL;
    const maso_code_layer *sl;
    size_t n_sl = maso_sketch_layers(m->sketch, &sl);
    if (!parent || !info || !sketches || !groups || !order || !member_of ||
        (nv && !k.orient) || !k.has_orient ||
        maso_search_create(sl, n_sl, &h) != 0 ||
        maso_search_set_weights(h, m->s.weights) != 0) {
        fprintf(stderr, "maso-query: out of memory\n");
        status = QUERY_EXIT_ERROR;
        goto free_all;
    }
    for (uint64_t i = 0; i < n_ids; i++)
        parent[i] = i;
    for (size_t e = 0; e < n_edges; e++) {
        size_t a = find_root(parent, index_of(ids, n_ids, edge[2 * e]));
        size_t b = find_root(parent, index_of(ids, n_ids, edge[2 * e + 1]));
        if (a != b)
            parent[a > b ? a : b] = a < b ? a : b;
    }
    for (int r = 0; r < m->size; r++) {
        reader rd = { gb.all + gb.displs[r],
                      gb.all + gb.displs[r] + gb.counts[r] };
        while (rd.p < rd.end) {
            uint64_t i;
            get(&rd, &i, sizeof i);
            if (i >= n_ids)
                break;
            get(&rd, &info[i].record_size, sizeof info[i].record_size);
            get(&rd, &info[i].record_mtime_ns,
                sizeof info[i].record_mtime_ns);
            get(&rd, sketches + i * stride, m->sketch_bytes);
            if (nv) {
                uint64_t has;
                get(&rd, &has, sizeof has);
                k.has_orient[i] = has != 0;
                for (size_t v = 0; v < nv; v++)
                    get(&rd, k.orient + (i * nv + v) * stride,
                        m->sketch_bytes);
            }
            info[i].path = (const char *)rd.p;
            info[i].id = i;
            rd.p += strlen(info[i].path) + 1;
        }
    }
    /* Members by component, each component's largest distance. */
    size_t n_groups = 0, at = 0;
    for (uint64_t i = 0; i < n_ids; i++)
        if (find_root(parent, i) == i)
            member_of[i] = n_groups++;
    size_t *size = calloc(n_groups + 1, sizeof *size);
    size_t *start = calloc(n_groups + 1, sizeof *start);
    size_t *idx = calloc(n_ids + 1, sizeof *idx);
    if (!size || !start || !idx) {
        free(size);
        free(start);
        free(idx);
        fprintf(stderr, "maso-query: out of memory\n");
        status = QUERY_EXIT_ERROR;
        goto free_all;
    }
    for (uint64_t i = 0; i < n_ids; i++)
        size[member_of[find_root(parent, i)]]++;
    for (size_t g = 0; g < n_groups; g++) {
        start[g] = at;
        at += size[g];
        size[g] = 0;
    }
    for (uint64_t i = 0; i < n_ids; i++) {
        size_t g = member_of[find_root(parent, i)];
        idx[start[g] + size[g]] = i;
        order[start[g] + size[g]] = info[i];
        order[start[g] + size[g]++].path = info[i].path ? info[i].path : "";
    }
    for (size_t g = 0; g < n_groups; g++) {
        /* as maso_search_groups: all pairs of a group of up to
         * MASO_SEARCH_GROUP_DIAMETER_MAX, else the pairs with its first
         * member (the smallest id: the first in the stores' order) */
        double max = 0;
        size_t pairs_of = size[g] <= MASO_SEARCH_GROUP_DIAMETER_MAX
                              ? size[g] : 1;
        for (size_t a = 0; a < pairs_of; a++)
            for (size_t b = a + 1; b < size[g]; b++) {
                double d = member_distance(h, &k, idx[start[g] + a],
                                           idx[start[g] + b]);
                if (d > max)
                    max = d;
            }
        groups[g].members = order + start[g];
        groups[g].n = size[g];
        groups[g].max_distance = max;
        qsort(groups[g].members, groups[g].n, sizeof *groups[g].members,
              dupe_member_cmp);
    }
    qsort(groups, n_groups, sizeof *groups, dupe_group_cmp);
    /* As duplicates.c, without actions (refused under MPI: main.c): the
     * kept member chosen by --keep and --reference, the distances to it. */
    output_tally tally;
    memset(&tally, 0, sizeof tally);
    output_begin(&m->s.rep, 1);
    for (size_t g = 0; g < n_groups; g++) {
        dupe_group *dg = &groups[g];
        dupe_members_stat(dg);
        dupe_group_choose(dg, &m->o->dupes);
        for (size_t i = 0; i < dg->n && dg->keep < dg->n; i++)
            dg->members[i].distance =
                i == dg->keep ? 0
                : member_distance(h, &k, dg->members[dg->keep].id,
                                  dg->members[i].id);
        output_group(&m->s.rep, g + 1, dg, &m->o->dupes);
        output_tally_group(&tally, dg);
    }
    output_duplicates_end(&m->s.rep, &tally, &m->o->dupes);
    status = n_groups ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
    free(size);
    free(start);
    free(idx);
free_all:
    maso_search_destroy(h);
    free(member_of);
    free(order);
    free(groups);
    free(sketches);
    free(k.orient);
    free(k.has_orient);
    free(info);
    free(parent);
done:
    gathered_free(&gb);
    free(ids);
    return status;
}

int query_duplicates_mpi(const search_options *o, maso_job *job)
{
    mpi_search m;
    int status = start(&m, job, o, 1);
    if (status)
        return finish(&m, status);
    double thr = o->threshold < 0 ? QUERY_DUPLICATES_THRESHOLD : o->threshold;
    maso_engine_params ep;
    maso_engine_params_init(&ep);
    ep.bands = o->bands;
    uint64_t bands = m.has_engine
                         ? maso_engine_dupe_bands(m.s.engine, thr, &ep) : 0;
    MPI_Allreduce(MPI_IN_PLACE, &bands, 1, MPI_UINT64_T, MPI_MAX,
                  MPI_COMM_WORLD);
    /* Over the orientation sketches unless --no-orient or --bands (the
     * band keys are the sketches': images as they are), when any image of
     * the job has them, as maso_engine_duplicates() decides. */
    int want_orient = !o->no_orient && !bands;
    const uint8_t **orients = NULL;
    uint64_t unoriented = 0;
    if (want_orient && m.has_engine &&
        maso_engine_orient_sketches(m.s.engine, &orients, &unoriented)) {
        fprintf(stderr, "maso-query: rank %d on %s: --duplicates: %s\n",
                m.rank, maso_job_host(job), maso_engine_errmsg(m.s.engine));
        status = QUERY_EXIT_ERROR;
    }
    status = agree(status);
    if (status) {
        free(orients);
        return finish(&m, status);
    }
    MPI_Allreduce(MPI_IN_PLACE, &unoriented, 1, MPI_UINT64_T, MPI_SUM,
                  MPI_COMM_WORLD);
    size_t nv = want_orient && unoriented < m.count ? MASO_STORE_ORIENTS : 0;
    if (m.rank == 0 && unoriented)
        query_say_unoriented(unoriented, m.count);
    ep.exact = o->exact;
    ep.candidates = o->candidates;
    size_t candidates = maso_engine_dupe_candidates(&ep, m.count, nv != 0);
    if (candidates >= m.count) /* as maso_search_group_variants() */
        candidates = m.count > 1 ? (size_t)m.count - 1 : 1;
    if (m.has_engine) /* every sketch is read, most more than once */
        maso_engine_prefetch(m.s.engine);
    buffer edges = { NULL, 0, 0, 0 };
    uint64_t *found = NULL;
    size_t n_found = 0;
    if (bands) {
        uint64_t compared;
        query_band_edges(m.has_engine ? m.s.engine : NULL, m.global_of,
                         m.owner, (size_t)bands, thr, m.sketch_bytes,
                         (m.summary_bins - 1) / 8, &found, &n_found,
                         &compared);
    } else if (candidates) {
        status = query_nearest_edges(m.has_engine ? m.s.engine : NULL,
                                     m.global_of, m.owner, candidates,
                                     nv != 0, thr, m.sketch_bytes,
                                     (m.summary_bins - 1) / 8, &found,
                                     &n_found);
    } else {
        status = ring_edges(&m, thr, orients, nv, &edges);
    }
    free(orients);
    put(&edges, found, n_found * 2 * sizeof *found);
    free(found);
    if (edges.failed)
        cluster_abort("out of memory");
    if (status) {
        free(edges.data);
        return finish(&m, status);
    }
    /* The joins of every rank, on rank 0. */
    gathered_bytes g;
    gather_bytes(&m, &edges, &g);
    free(edges.data);
    status = write_groups(&m, (const uint64_t *)g.all,
                          g.total / (2 * sizeof(uint64_t)), nv);
    fflush(stdout);
    gathered_free(&g);
    return finish(&m, status);
}

int query_search_mpi(const search_options *o, maso_job *job)
{
    mpi_search m;
    int status = start(&m, job, o, 0);
    if (status)
        return finish(&m, status);
    if (m.rank == 0)
        output_begin(&m.s.rep, 0);
    int found = 0, failed = 0;
    buffer mine = { NULL, 0, 0, 0 }, cur = { NULL, 0, 0, 0 };
    for (size_t round = 0; round < o->n_images; round += (size_t)m.size) {
        /* This round's queries: query round + r is coded by rank r. */
        size_t i = round + (size_t)m.rank;
        mine.n = 0;
        if (!o->indexed && i < o->n_images)
            code_file(&m, o->images[i], &mine);
        for (int r = 0; r < m.size && round + (size_t)r < o->n_images; r++) {
            const char *name = o->images[round + (size_t)r];
            uint64_t self_id = UINT64_MAX;
            cur.n = 0;
            if (o->indexed) {
                code_indexed(&m, name, &cur, &self_id);
            } else {
                if (r == m.rank)
                    put(&cur, mine.data, mine.n);
                bcast_buffer(&cur, r, m.rank);
            }
            one_query(&m, name, &cur, self_id, &found, &failed);
        }
    }
    free(mine.data);
    free(cur.data);
    fflush(stdout);
    /* Like grep: an error wins over results. */
    status = failed  ? QUERY_EXIT_ERROR
           : found ? QUERY_EXIT_FOUND : QUERY_EXIT_NONE;
    return finish(&m, status);
}

#else /* no MPI */

int query_search_mpi(const search_options *o, maso_job *job)
{
    (void)o, (void)job;
    fprintf(stderr, "maso-query: this build has no MPI\n");
    return QUERY_EXIT_ERROR;
}

int query_duplicates_mpi(const search_options *o, maso_job *job)
{
    return query_search_mpi(o, job);
}

#endif

int query_job_status(maso_job *job, int status)
{
#ifdef MASO_HAVE_MPI
    if (maso_job_is_mpi(job))
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
#else
    (void)job;
#endif
    return status;
}
