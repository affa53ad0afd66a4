/* cluster.c -- maso-index as an MPI job (mpirun -np N maso-index ...).
 *
 * Rank 0 walks the PATHs and broadcasts the sorted file list.  Each shard
 * has exactly one owner rank (maso_job_owners: node-local shards on their
 * host), which opens its store, plans its files against it (the plan of
 * the single-store run) and sends rank 0 the indices of the files to code.
 * Rank 0 then hands the files out in small chunks on request, so that a
 * rank that drew large photos simply asks less often (dynamic balancing:
 * photo sizes vary 100x).  Every rank, rank 0 included, codes its chunks
 * one file at a time and sends each result (sketch, or full code, with the
 * sketches of the image mirrored and turned unless --no-orient, as the
 * pipeline codes them: index_code_orients; or the reason of a failure) to
 * the owner of the file's shard, which queues it
 * in that shard's batch and commits every --batch files or
 * --batch-seconds, exactly as the single-process writer does: a kill -9
 * of the job or of a rank loses at most the open batch of each shard, and
 * a rerun plans again from what was committed.  A record and its
 * orientation sketches are one put of one batch, so they are committed
 * together or not at all.
 *
 * Only the main thread calls MPI; nothing blocks in MPI except to finish:
 * sends are non-blocking (a bounded number in flight per rank), and a
 * rank that waits keeps receiving, so two ranks sending large results to
 * each other cannot deadlock.  A rank that cannot go on prints what
 * failed, naming itself and its host, and aborts the job (MPI_Abort):
 * mpirun exits non-zero.  When rank r has sent everything it will send,
 * it tells every rank (DONE); MPI keeps messages between two ranks in
 * order, so a writer that has heard DONE from every rank has all its
 * results.
 */
#include "sharded.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef MASO_HAVE_MPI
#include <mpi.h>

enum { TAG_REQUEST = 1, TAG_WORK, TAG_RESULT, TAG_DONE };

/* Files per chunk at most; fewer near the end, so that the last files
 * spread over all ranks. */
#define CHUNK_MAX 16
/* Results in flight per rank before a worker waits for one to arrive. */
#define PENDING_MAX 32
/* The broadcast of the file list in pieces below MPI's int counts. */
#define BCAST_PIECE (1 << 30)

/* A result on the wire: this header, then the payload: when ok, the
 * sketch or the full code, then with RESULT_ORIENTS the
 * MASO_STORE_ORIENTS orientation sketches; else the reason's bytes. */
enum { RESULT_FAILED = 1, RESULT_ORIENTS = 2 };

typedef struct result_header {
    uint64_t file;   /* index in the file list */
    uint32_t flags;  /* RESULT_* */
    uint32_t bytes;  /* of the payload */
} result_header;

typedef struct pending {
    MPI_Request request;
    uint8_t *buffer;
} pending;

/* A shard this rank owns. */
typedef struct owned {
    size_t shard;
    maso_store *store;
    maso_store_batch *batch;
    walk_list files;
    index_plan plan;
} owned;

/* A file this rank writes: its plan item, kept sorted by file index. */
typedef struct mine {
    uint64_t file;
    owned *shard;
    const index_item *item;
} mine;

typedef struct cluster {
    maso_job *job;
    int rank, size;
    const index_shard_set *set;
    const index_shard_options *o;
    index_counts *counts;
    /* The file list, every rank alike. */
    char *packed;
    const char **path;
    uint64_t n_files;
    int *owner;                 /* per shard */
    owned *own;
    size_t n_own;
    mine *mine;
    size_t n_mine;
    /* Rank 0: the files still to hand out. */
    uint64_t *todo;
    uint64_t n_todo, next_todo;
    /* This rank's chunk queue. */
    uint64_t queue[2 * CHUNK_MAX];
    size_t queue_n;
    int requested, no_more_work;
    /* Coding. */
    maso_decoder *decoder;
    maso_forward *forward;
    maso_sketch *sketch;
    uint8_t *code, *scratch;    /* scratch: NULL with --no-orient */
    uint8_t *orients;           /* the orientation sketches of a file */
    size_t code_bytes, payload_bytes;
    size_t orient_bytes;        /* of the orientation sketches, or 0 */
    /* Messages. */
    pending *pend;
    size_t n_pend, cap_pend;
    uint8_t *inbox;
    size_t inbox_cap;
    int done_sent, done_seen;
    index_progress progress;
    size_t handed;
} cluster;

/* A fatal error of this rank: say who and where, then end the job. */
__attribute__((format(printf, 2, 3), noreturn))
static void die(cluster *c, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    index_progress_clear(&c->progress);
    index_sharded_abort(c->job, "%s", msg);
}

static void *must(cluster *c, void *p)
{
    if (!p)
        die(c, "out of memory");
    return p;
}

/* -- the file list ------------------------------------------------------- */

static void bcast_bytes(char *buf, uint64_t n)
{
    for (uint64_t off = 0; off < n; off += BCAST_PIECE) {
        uint64_t piece = n - off < BCAST_PIECE ? n - off : BCAST_PIECE;
        MPI_Bcast(buf + off, (int)piece, MPI_CHAR, 0, MPI_COMM_WORLD);
    }
}

static void share_files(cluster *c, const walk_list *files)
{
    uint64_t head[2] = { 0, 0 };  /* files, bytes */
    if (c->rank == 0) {
        head[0] = files->count;
        for (size_t i = 0; i < files->count; i++)
            head[1] += strlen(files->path[i]) + 1;
    }
    MPI_Bcast(head, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    c->n_files = head[0];
    c->packed = must(c, malloc(head[1] ? head[1] : 1));
    c->path = must(c, malloc((head[0] ? head[0] : 1) * sizeof *c->path));
    if (c->rank == 0) {
        char *p = c->packed;
        for (size_t i = 0; i < files->count; i++) {
            size_t n = strlen(files->path[i]) + 1;
            memcpy(p, files->path[i], n);
            p += n;
        }
    }
    bcast_bytes(c->packed, head[1]);
    const char *p = c->packed;
    for (uint64_t i = 0; i < c->n_files; i++) {
        c->path[i] = p;
        p += strlen(p) + 1;
    }
}

/* The index of a path of the list: the strings lie in list order. */
static uint64_t file_index(const cluster *c, const char *path)
{
    uint64_t lo = 0, hi = c->n_files;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (c->path[mid] <= path)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* -- the owned shards ------------------------------------------------------ */

static int mine_cmp(const void *a, const void *b)
{
    const mine *x = a, *y = b;
    return x->file < y->file ? -1 : x->file > y->file;
}

static void open_shards(cluster *c)
{
    const index_shard_set *set = c->set;
    walk_list all = { (char **)c->path, c->n_files, c->n_files, NULL, 0, 0 };
    walk_list *sub = must(c, calloc(set->n, sizeof *sub));
    if (index_shard_split(set, &all, sub) != 0)
        die(c, "out of memory");
    c->own = must(c, calloc(set->n, sizeof *c->own));
    size_t total = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (c->owner[i] != c->rank) {
            free(sub[i].path);
            continue;
        }
        owned *w = &c->own[c->n_own++];
        char err[MASO_CLI_ERRLEN];
        w->shard = i;
        w->files = sub[i];
        if (index_shard_open_store(set, i, &w->store, err) != 0)
            die(c, "shard %zu: %s", i, err);
        int rc = index_plan_build(w->store, &w->files, c->o->rescan,
                                  c->o->prune, &w->plan);
        if (rc)
            die(c, "%s: %s", index_shard_location(set, i),
                rc == ENOMEM ? "out of memory" : maso_store_errmsg(w->store));
        if (maso_store_batch_begin(w->store, &w->batch) != 0)
            die(c, "%s: cannot write: %s", index_shard_location(set, i),
                maso_store_errmsg(w->store));
        c->counts->skipped += w->plan.skipped;
        total += w->plan.n_todo;
    }
    free(sub);
    c->mine = must(c, malloc((total ? total : 1) * sizeof *c->mine));
    for (size_t s = 0; s < c->n_own; s++)
        for (size_t k = 0; k < c->own[s].plan.n_todo; k++) {
            const index_item *it = &c->own[s].plan.todo[k];
            c->mine[c->n_mine++] = (mine){ file_index(c, it->path),
                                           &c->own[s], it };
        }
    qsort(c->mine, c->n_mine, sizeof *c->mine, mine_cmp);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rank 0 learns every file to code, in list order. */
static void gather_todo(cluster *c)
{
    uint64_t *idx = must(c, malloc((c->n_mine ? c->n_mine : 1) *
                                   sizeof *idx));
    for (size_t i = 0; i < c->n_mine; i++)
        idx[i] = c->mine[i].file;
    int n = (int)c->n_mine;
    int *counts = NULL, *displs = NULL;
    if (c->rank == 0) {
        counts = must(c, calloc((size_t)c->size, sizeof *counts));
        displs = must(c, calloc((size_t)c->size, sizeof *displs));
    }
    MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (c->rank == 0) {
        for (int r = 0; r < c->size; r++) {
            displs[r] = (int)c->n_todo;
            c->n_todo += (uint64_t)counts[r];
        }
        c->todo = must(c, malloc((c->n_todo ? c->n_todo : 1) *
                                 sizeof *c->todo));
    }
    MPI_Gatherv(idx, n, MPI_UINT64_T, c->todo, counts, displs, MPI_UINT64_T,
                0, MPI_COMM_WORLD);
    /* Each owner's list is sorted; handed out in list order as a whole. */
    if (c->rank == 0 && c->n_todo > 1)
        qsort(c->todo, c->n_todo, sizeof *c->todo, u64_cmp);
    free(counts);
    free(displs);
    free(idx);
}

/* -- writing (owner side) -------------------------------------------------- */

static void commit(cluster *c, owned *w, int force)
{
    const index_pipeline_options *po = c->o->pipe;
    if (!force && !maso_store_batch_due(w->batch, po->batch_ops,
                                        po->batch_seconds))
        return;
    maso_store_batch *b = w->batch;
    w->batch = NULL;
    if (maso_store_batch_count(b) == 0)
        maso_store_batch_abort(b);
    else if (maso_store_batch_commit(b) != 0)
        die(c, "%s: cannot commit: %s", index_shard_location(c->set,
                                                             w->shard),
            maso_store_errmsg(w->store));
    if (!force && maso_store_batch_begin(w->store, &w->batch) != 0)
        die(c, "%s: cannot write: %s", index_shard_location(c->set, w->shard),
            maso_store_errmsg(w->store));
}

static void prune(cluster *c)
{
    for (size_t s = 0; s < c->n_own; s++) {
        owned *w = &c->own[s];
        for (size_t i = 0; i < w->plan.n_prune; i++) {
            if (maso_store_batch_delete(w->batch, w->plan.prune[i]) != 0)
                die(c, "%s: %s", w->plan.prune[i],
                    maso_store_errmsg(w->store));
            if (c->o->pipe->verbosity >= INDEX_VERBOSE)
                fprintf(stderr, "pruned %s\n", w->plan.prune[i]);
            c->counts->pruned++;
            commit(c, w, 0);
        }
    }
}

static void put_result(cluster *c, const result_header *h,
                       const uint8_t *payload)
{
    mine key = { h->file, NULL, NULL };
    mine *m = bsearch(&key, c->mine, c->n_mine, sizeof *c->mine, mine_cmp);
    if (!m)
        die(c, "a result for file %llu, which is not one of mine",
            (unsigned long long)h->file);
    const index_item *it = m->item;
    maso_store_record r;
    memset(&r, 0, sizeof r);
    r.path = it->path;
    r.size = it->size;
    r.mtime_ns = it->mtime_ns;
    char reason[INDEX_REASON_MAX];
    const uint8_t *orients = NULL;
    if (h->flags & RESULT_FAILED) {
        size_t n = h->bytes < INDEX_REASON_MAX ? h->bytes
                                               : INDEX_REASON_MAX - 1;
        memcpy(reason, payload, n);
        reason[n] = '\0';
        r.status = MASO_RECORD_FAILED;
        r.reason = index_stored_reason(it->path, reason);
        index_progress_clear(&c->progress);
        fprintf(stderr, "maso-index: %s\n", reason);
        c->counts->failed++;
    } else {
        size_t want = c->payload_bytes +
                      (h->flags & RESULT_ORIENTS ? c->orient_bytes : 0);
        if (h->bytes != want)
            die(c, "a result of %u bytes for %s, expected %zu", h->bytes,
                it->path, want);
        if (h->flags & RESULT_ORIENTS)
            orients = payload + c->payload_bytes;
        r.status = MASO_RECORD_OK;
        if (c->set->identity.full_codes)
            r.code = payload;
        else
            r.sketch = payload;
        if (c->o->pipe->verbosity >= INDEX_VERBOSE) {
            index_progress_clear(&c->progress);
            fprintf(stderr, "indexed %s\n", it->path);
        }
        c->counts->indexed++;
    }
    if (maso_store_batch_put_oriented(m->shard->batch, &r, orients) != 0)
        die(c, "%s: %s", it->path, maso_store_errmsg(m->shard->store));
    commit(c, m->shard, 0);
}

/* -- messages --------------------------------------------------------------- */

static void reap(cluster *c)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->n_pend; i++) {
        int done = 0;
        MPI_Test(&c->pend[i].request, &done, MPI_STATUS_IGNORE);
        if (done)
            free(c->pend[i].buffer);
        else
            c->pend[kept++] = c->pend[i];
    }
    c->n_pend = kept;
}

/* Send @p buffer (malloc'ed; freed once sent) without waiting. */
static void post(cluster *c, int dest, int tag, uint8_t *buffer, size_t n)
{
    if (c->n_pend == c->cap_pend) {
        size_t cap = c->cap_pend ? 2 * c->cap_pend : PENDING_MAX;
        c->pend = must(c, realloc(c->pend, cap * sizeof *c->pend));
        c->cap_pend = cap;
    }
    pending *p = &c->pend[c->n_pend++];
    p->buffer = buffer;
    MPI_Isend(buffer, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD,
              &p->request);
}

/* Rank 0: the next chunk for rank @p dest (empty: no more work). */
static void hand_out(cluster *c, int dest)
{
    uint64_t left = *c->o->pipe->stop ? 0 : c->n_todo - c->next_todo;
    uint64_t n = left / (2 * (uint64_t)c->size);
    n = n < 1 ? (left ? 1 : 0) : n > CHUNK_MAX ? CHUNK_MAX : n;
    const uint64_t *chunk = c->todo + c->next_todo;
    c->next_todo += n;
    c->handed += n;
    index_progress_update(&c->progress, c->handed, 0);
    if (dest == 0) {
        memcpy(c->queue + c->queue_n, chunk, n * sizeof *chunk);
        c->queue_n += n;
        c->no_more_work = n == 0;
        c->requested = 0;
        return;
    }
    uint8_t *buf = must(c, malloc(n ? n * sizeof *chunk : 1));
    memcpy(buf, chunk, n * sizeof *chunk);
    post(c, dest, TAG_WORK, buf, n * sizeof *chunk);
}

static void receive(cluster *c, const MPI_Status *st)
{
    int bytes;
    MPI_Get_count(st, MPI_BYTE, &bytes);
    if ((size_t)bytes > c->inbox_cap || !c->inbox) {
        free(c->inbox);
        c->inbox_cap = (size_t)bytes > 4096 ? (size_t)bytes : 4096;
        c->inbox = must(c, malloc(c->inbox_cap));
    }
    MPI_Recv(c->inbox, bytes, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    switch (st->MPI_TAG) {
    case TAG_REQUEST:
        hand_out(c, st->MPI_SOURCE);
        break;
    case TAG_WORK: {
        size_t n = (size_t)bytes / sizeof(uint64_t);
        memcpy(c->queue + c->queue_n, c->inbox, n * sizeof(uint64_t));
        c->queue_n += n;
        c->no_more_work = n == 0;
        c->requested = 0;
        break;
    }
    case TAG_RESULT: {
        result_header h;
        if ((size_t)bytes < sizeof h)
            die(c, "a malformed result from rank %d", st->MPI_SOURCE);
        memcpy(&h, c->inbox, sizeof h);
        if (h.bytes != (size_t)bytes - sizeof h)
            die(c, "a malformed result from rank %d", st->MPI_SOURCE);
        put_result(c, &h, c->inbox + sizeof h);
        break;
    }
    case TAG_DONE:
        c->done_seen++;
        break;
    default:
        die(c, "an unknown message (tag %d) from rank %d", st->MPI_TAG,
            st->MPI_SOURCE);
    }
}

/* Receive what has arrived, finish sends, commit batches that are due. */
static void service(cluster *c)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            break;
        receive(c, &st);
    }
    reap(c);
    for (size_t s = 0; s < c->n_own; s++)
        commit(c, &c->own[s], 0);
}

static void idle(cluster *c)
{
    service(c);
    struct timespec t = { 0, 500000 };
    nanosleep(&t, NULL);
}

/* -- coding (worker side) -------------------------------------------------- */

static void coder_start(cluster *c, const maso_model *model)
{
    const maso_code_layer *layers;
    size_t n = maso_model_code_layers(model, &layers);
    c->code_bytes = maso_model_code_bytes(model);
    int rc = maso_sketch_create(layers, n, &c->set->identity.sketch,
                                &c->sketch);
    if (!rc)
        rc = maso_decoder_create(&c->decoder);
    if (!rc)
        rc = maso_forward_create(model, &c->forward);
    /* only sketches are stored: the last convolution computes only the
     * units they sample, as in one process (pipeline.c) */
    if (!rc && !c->set->identity.full_codes)
        rc = maso_forward_limit_to_sketch(c->forward, c->sketch);
    if (rc)
        die(c, "cannot start coding: %s", maso_strerror(rc));
    c->payload_bytes = c->set->identity.full_codes
                           ? c->code_bytes : maso_sketch_bytes(c->sketch);
    size_t code_alloc = (c->code_bytes + 63) / 64 * 64;
    c->code = must(c, aligned_alloc(64, code_alloc));
    if (!c->o->pipe->no_orient) {
        c->orient_bytes = MASO_STORE_ORIENTS * maso_sketch_bytes(c->sketch);
        c->scratch = must(c, aligned_alloc(64, code_alloc));
        c->orients = must(c, malloc(c->orient_bytes));
    }
}

static void coder_end(cluster *c)
{
    maso_forward_destroy(c->forward);
    maso_decoder_destroy(c->decoder);
    maso_sketch_destroy(c->sketch);
    free(c->code);
    free(c->scratch);
    free(c->orients);
}

/* Code file @p f and deliver the result to its shard's owner; a file the
 * run stopped in (a signal between its orientation passes) is left for the
 * rerun, neither coded nor failed. */
static void code_one(cluster *c, uint64_t f)
{
    const char *path = c->path[f];
    char reason[INDEX_REASON_MAX];
    /* as the pipeline codes a file (pipeline.c): the orientations from the
     * same decode */
    uint8_t *orients = c->orients;
    int failed;
    if (orients) {
        int rc = index_code_orients(c->forward, c->decoder, path, c->sketch,
                                    c->o->pipe->stop, c->code, c->scratch,
                                    orients, reason, sizeof reason);
        if (rc == ECANCELED)
            return;
        failed = rc != 0;
    } else if ((failed = maso_forward_code_file(c->forward, c->decoder, path,
                                                MASO_CODE_TRIM_BORDER,
                                                c->code, NULL) != 0)) {
        snprintf(reason, sizeof reason, "%s",
                 maso_forward_errmsg(c->forward));
    }
    size_t with = orients && !failed ? c->orient_bytes : 0;
    size_t n = failed ? strlen(reason) : c->payload_bytes + with;
    uint8_t *buf = must(c, malloc(sizeof(result_header) + n));
    result_header h = { f, (failed ? RESULT_FAILED : 0) |
                               (with ? RESULT_ORIENTS : 0), (uint32_t)n };
    memcpy(buf, &h, sizeof h);
    uint8_t *payload = buf + sizeof h;
    if (failed)
        memcpy(payload, reason, n);
    else if (c->set->identity.full_codes)
        memcpy(payload, c->code, c->payload_bytes);
    else
        maso_sketch_apply(c->sketch, c->code, payload);
    if (with)
        memcpy(payload + c->payload_bytes, orients, with);
    int dest = c->owner[index_shard_of(c->set, path)];
    if (dest == c->rank) {
        put_result(c, &h, payload);
        free(buf);
        return;
    }
    while (c->n_pend >= PENDING_MAX)
        idle(c);
    post(c, dest, TAG_RESULT, buf, sizeof h + n);
}

static void request_work(cluster *c)
{
    c->requested = 1;
    if (c->rank == 0)
        hand_out(c, 0);
    else
        post(c, 0, TAG_REQUEST, must(c, malloc(1)), 0);
}

static void work(cluster *c)
{
    size_t head = 0;
    for (;;) {
        service(c);
        int stop = *c->o->pipe->stop != 0;
        if (stop)
            head = c->queue_n;  /* what is queued stays for the rerun */
        if (head == c->queue_n)
            head = c->queue_n = 0;
        if (!stop && !c->requested && !c->no_more_work &&
            c->queue_n - head <= 1) {
            /* Keep the queue compact before it grows. */
            memmove(c->queue, c->queue + head,
                    (c->queue_n - head) * sizeof *c->queue);
            c->queue_n -= head;
            head = 0;
            request_work(c);
        }
        if (head < c->queue_n && !stop) {
            code_one(c, c->queue[head++]);
            continue;
        }
        if (!c->done_sent && (c->no_more_work || stop) && !c->requested &&
            head == c->queue_n) {
            while (c->n_pend > 0)
                idle(c);
            for (int r = 0; r < c->size; r++)
                if (r != c->rank)
                    post(c, r, TAG_DONE, must(c, malloc(1)), 0);
            c->done_seen++;
            c->done_sent = 1;
        }
        if (c->done_sent && c->done_seen == c->size && c->n_pend == 0)
            break;
        idle(c);
    }
}

/* Counts of every rank, summed on every rank. */
static void sum_counts(index_counts *k)
{
    unsigned long long v[5] = { k->indexed, k->failed, k->skipped,
                                k->pruned, k->walk_errors };
    MPI_Allreduce(MPI_IN_PLACE, v, 5, MPI_UNSIGNED_LONG_LONG, MPI_SUM,
                  MPI_COMM_WORLD);
    k->indexed = v[0];
    k->failed = v[1];
    k->skipped = v[2];
    k->pruned = v[3];
    k->walk_errors = v[4];
}

int index_sharded_cluster(const index_shard_set *set,
                          const index_shard_options *o, maso_job *job,
                          const maso_model *model, const walk_list *files,
                          index_counts *counts)
{
    cluster c;
    memset(&c, 0, sizeof c);
    c.job = job;
    c.rank = maso_job_rank(job);
    c.size = maso_job_size(job);
    c.set = set;
    c.o = o;
    c.counts = counts;
    double start = index_now();
    c.owner = must(&c, calloc(set->n, sizeof *c.owner));
    const char **hosts = must(&c, calloc(set->n, sizeof *hosts));
    for (size_t i = 0; i < set->n; i++)
        hosts[i] = set->manifest ? maso_shards_host(set->manifest, i)
                                 : MASO_SHARDS_ANY_HOST;
    maso_job_owners(job, hosts, set->n, c.owner);
    free(hosts);
    for (size_t i = 0; i < set->n; i++)
        if (c.owner[i] < 0) {
            if (c.rank == 0)
                fprintf(stderr, "maso-index: shard %zu lives on host %s, "
                        "where no rank of this job runs (start one there, "
                        "or move the shard and edit %s/%s)\n", i,
                        maso_shards_host(set->manifest, i), set->db,
                        MASO_SHARDS_MANIFEST);
            free(c.owner);
            return INDEX_EXIT_ERROR;
        }
    share_files(&c, files);
    coder_start(&c, model);
    open_shards(&c);
    gather_todo(&c);
    index_progress_start(&c.progress, c.n_todo, c.rank == 0 &&
                         o->pipe->verbosity >= INDEX_NORMAL && isatty(2));
    prune(&c);
    work(&c);
    for (size_t s = 0; s < c.n_own; s++) {
        commit(&c, &c.own[s], 1);
        index_plan_free(&c.own[s].plan);
        free(c.own[s].files.path);
        maso_store_destroy(c.own[s].store);
    }
    index_progress_update(&c.progress, c.handed, 1);
    index_progress_clear(&c.progress);
    coder_end(&c);
    sum_counts(counts);
    counts->seconds = index_now() - start;
    free(c.inbox);
    free(c.pend);
    free(c.mine);
    free(c.own);
    free(c.todo);
    free(c.path);
    free(c.packed);
    free(c.owner);
    return 0;
}

#else /* no MPI */

int index_sharded_cluster(const index_shard_set *set,
                          const index_shard_options *o, maso_job *job,
                          const maso_model *model, const walk_list *files,
                          index_counts *counts)
{
    (void)set, (void)o, (void)job, (void)model, (void)files, (void)counts;
    fprintf(stderr, "maso-index: this build has no MPI\n");
    return INDEX_EXIT_ERROR;
}

#endif
