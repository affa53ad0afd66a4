/* pipeline.c -- workers decode and run the network, one writer commits.
 *
 * Workers (pthreads) each own a decoder and a forward context and take the
 * next file of the plan.  A result goes into one of a fixed set of slots
 * (2 per worker + 2): the slots are the bounded queue between the workers
 * and the writer, so memory stays flat however many files there are, and a
 * worker that runs ahead of the writer waits for a free slot.  A slot holds
 * the sketch (computed by the worker: the store's sketch is
 * thread-shareable), or the full code when the store keeps full codes.
 *
 * The writer is the calling thread: it alone owns the store handle (LMDB
 * handles are not shared between threads here), queues records into a
 * batch and commits it every batch_ops records or batch_seconds, so a
 * kill -9 loses at most one batch, and a rerun skips what was committed.
 */
#include "indexer.h"
#include "maso_cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REASON_MAX 1024
/* How long the writer sleeps at most without results: it still has to
 * commit on time and redraw the progress line. */
#define WRITER_TICK_NS 250000000L

typedef struct slot {
    size_t item;             /* index in plan->todo */
    int failed;
    char reason[REASON_MAX]; /* failed: the message, naming the file */
    uint8_t *payload;        /* ok: sketch, or full code */
    uint8_t *orients;        /* ok: orientation sketches, or NULL */
} slot;

typedef struct pipeline {
    pthread_mutex_t lock;
    pthread_cond_t slot_free; /* workers wait for a free slot */
    pthread_cond_t ready;     /* the writer waits for results */
    slot *slots;
    size_t n_slots;
    size_t *free_stack, n_free;
    size_t *ready_ring, ready_head, n_ready;
    size_t next_item;
    int workers_alive;
    int abort;                /* the writer hit a fatal error */
    char fatal[REASON_MAX];   /* a worker could not start: why */
    const index_plan *plan;
    const maso_model *model;
    const maso_sketch *sketch; /* NULL: slots hold full codes */
    const maso_sketch *store_sketch; /* of the orientation sketches */
    int orient;               /* code the orientations too */
    size_t code_bytes;
    volatile sig_atomic_t *stop;
} pipeline;

/* Take the next file, or return 0 when there is none or the run stops. */
static int next_file(pipeline *p, size_t *item)
{
    pthread_mutex_lock(&p->lock);
    int ok = !p->abort && !*p->stop && p->next_item < p->plan->n_todo;
    if (ok)
        *item = p->next_item++;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static slot *take_slot(pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->n_free == 0 && !p->abort)
        pthread_cond_wait(&p->slot_free, &p->lock);
    slot *s = p->abort ? NULL : &p->slots[p->free_stack[--p->n_free]];
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void publish(pipeline *p, slot *s)
{
    pthread_mutex_lock(&p->lock);
    size_t tail = (p->ready_head + p->n_ready) % p->n_slots;
    p->ready_ring[tail] = (size_t)(s - p->slots);
    p->n_ready++;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* A slot taken for a file the run stopped before coding goes back. */
static void give_back(pipeline *p, slot *s)
{
    pthread_mutex_lock(&p->lock);
    p->free_stack[p->n_free++] = (size_t)(s - p->slots);
    pthread_cond_signal(&p->slot_free);
    pthread_mutex_unlock(&p->lock);
}

static void worker_done(pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->workers_alive--;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
    pipeline *p = arg;
    maso_decoder *dec = NULL;
    maso_forward *fw = NULL;
    size_t code_alloc = (p->code_bytes + 63) / 64 * 64;
    uint8_t *code = aligned_alloc(64, code_alloc);
    uint8_t *scratch = p->orient ? aligned_alloc(64, code_alloc) : NULL;
    int rc = code && (scratch || !p->orient) ? maso_decoder_create(&dec)
                                             : ENOMEM;
    if (!rc)
        rc = maso_forward_create(p->model, &fw);
    /* only sketches are stored: the last convolution computes only the
     * units they sample (the same sketches, a fifth less work) */
    if (!rc && p->sketch)
        rc = maso_forward_limit_to_sketch(fw, p->sketch);
    if (rc) {
        pthread_mutex_lock(&p->lock);
        snprintf(p->fatal, sizeof p->fatal, "cannot start a worker: %s",
                 maso_strerror(rc));
        pthread_mutex_unlock(&p->lock);
    }
    size_t item;
    while (!rc && next_file(p, &item)) {
        const char *path = p->plan->todo[item].path;
        slot *s = take_slot(p);
        if (!s)
            break;
        int failed;
        if (p->orient) {
            int orc = index_code_orients(fw, dec, path, p->store_sketch,
                                         p->stop, code, scratch, s->orients,
                                         s->reason, sizeof s->reason);
            if (orc == ECANCELED) { /* stopped: not coded, not failed */
                give_back(p, s);
                break;
            }
            failed = orc != 0;
        } else if ((failed = maso_forward_code_file(fw, dec, path,
                                                  MASO_CODE_TRIM_BORDER,
                                                  code, NULL) != 0))
            snprintf(s->reason, sizeof s->reason, "%s",
                     maso_forward_errmsg(fw));
        s->item = item;
        s->failed = failed;
        if (!failed && p->sketch)
            maso_sketch_apply(p->sketch, code, s->payload);
        else if (!failed)
            memcpy(s->payload, code, p->code_bytes);
        publish(p, s);
    }
    maso_forward_destroy(fw);
    maso_decoder_destroy(dec);
    free(code);
    free(scratch);
    worker_done(p);
    return NULL;
}

/* The reason stored for a failed file, without the "path: " prefix the
 * messages start with: the record already holds the path. */
const char *index_stored_reason(const char *path, const char *message)
{
    size_t n = strlen(path);
    if (strncmp(message, path, n) == 0 && message[n] == ':' &&
        message[n + 1] == ' ')
        return message + n + 2;
    return message;
}

/* The writer's state: the store, the open batch and the run's counts.
 * What the open batch holds is counted in @c pending and moves to
 * @c counts when the batch commits: the summary counts only what the
 * store has (a failed commit, such as on a full disk, stores nothing). */
typedef struct writer {
    maso_store *store;
    maso_store_batch *batch;
    const index_pipeline_options *opt;
    index_progress *progress;
    index_counts *counts;
    int full_codes;
    index_counts pending;
} writer;

static int writer_fail(writer *w, const char *what)
{
    index_progress_clear(w->progress);
    fprintf(stderr, "maso-index: %s: %s\n", what,
            maso_store_errmsg(w->store));
    return INDEX_EXIT_ERROR;
}

/* Commit when the policy says so (or @p force), then open the next batch. */
static int writer_commit(writer *w, int force)
{
    if (!force && !maso_store_batch_due(w->batch, w->opt->batch_ops,
                                        w->opt->batch_seconds))
        return 0;
    maso_store_batch *b = w->batch;
    w->batch = NULL;
    if (maso_store_batch_count(b) == 0)
        maso_store_batch_abort(b);
    else if (maso_store_batch_commit(b) != 0)
        return writer_fail(w, "cannot commit");
    w->counts->indexed += w->pending.indexed;
    w->counts->failed += w->pending.failed;
    w->counts->pruned += w->pending.pruned;
    memset(&w->pending, 0, sizeof w->pending);
    if (!force && maso_store_batch_begin(w->store, &w->batch) != 0)
        return writer_fail(w, "cannot write");
    return 0;
}

static int writer_put(writer *w, const index_item *item, const slot *s)
{
    maso_store_record r;
    memset(&r, 0, sizeof r);
    r.path = item->path;
    r.size = item->size;
    r.mtime_ns = item->mtime_ns;
    if (s->failed) {
        r.status = MASO_RECORD_FAILED;
        r.reason = index_stored_reason(item->path, s->reason);
        index_progress_clear(w->progress);
        maso_cli_print_error("maso-index", s->reason); /* names escaped */
        w->pending.failed++;
    } else {
        r.status = MASO_RECORD_OK;
        if (w->full_codes)
            r.code = s->payload;
        else
            r.sketch = s->payload;
        if (w->opt->verbosity >= INDEX_VERBOSE) {
            index_progress_clear(w->progress);
            fputs("indexed ", stderr);
            maso_cli_text_escaped(stderr, item->path);
            fputc('\n', stderr);
        }
        w->pending.indexed++;
    }
    if (maso_store_batch_put_oriented(w->batch, &r,
                                      s->failed ? NULL : s->orients) != 0)
        return writer_fail(w, item->path);
    return writer_commit(w, 0);
}

static int writer_prune(writer *w, const index_plan *plan)
{
    for (size_t i = 0; i < plan->n_prune; i++) {
        if (maso_store_batch_delete(w->batch, plan->prune[i]) != 0)
            return writer_fail(w, plan->prune[i]);
        if (w->opt->verbosity >= INDEX_VERBOSE)
        {
            fputs("pruned ", stderr);
            maso_cli_text_escaped(stderr, plan->prune[i]);
            fputc('\n', stderr);
        }
        w->pending.pruned++;
        int rc = writer_commit(w, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Wait for results (at most one tick) and move them to @p taken. */
static size_t writer_take(pipeline *p, size_t *taken, int *alive)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += WRITER_TICK_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    if (p->n_ready == 0 && p->workers_alive > 0)
        pthread_cond_timedwait(&p->ready, &p->lock, &until);
    size_t n = 0;
    for (; p->n_ready > 0; p->n_ready--, n++) {
        taken[n] = p->ready_ring[p->ready_head];
        p->ready_head = (p->ready_head + 1) % p->n_slots;
    }
    *alive = p->workers_alive;
    pthread_mutex_unlock(&p->lock);
    return n;
}

static void release_slots(pipeline *p, const size_t *taken, size_t n)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < n; i++)
        p->free_stack[p->n_free++] = taken[i];
    pthread_cond_broadcast(&p->slot_free);
    pthread_mutex_unlock(&p->lock);
}

/* The writer loop: runs until every worker has finished and every result
 * is queued in a batch, or a fatal error. */
static int writer_run(pipeline *p, writer *w)
{
    size_t *taken = malloc(p->n_slots * sizeof *taken);
    if (!taken) {
        fprintf(stderr, "maso-index: out of memory\n");
        return INDEX_EXIT_ERROR;
    }
    int rc = 0, alive = 1;
    while (!rc) {
        size_t n = writer_take(p, taken, &alive);
        for (size_t i = 0; i < n && !rc; i++) {
            const slot *s = &p->slots[taken[i]];
            rc = writer_put(w, &p->plan->todo[s->item], s);
        }
        release_slots(p, taken, n);
        if (!rc)
            rc = writer_commit(w, 0);
        index_progress_update(w->progress,
                              w->counts->indexed + w->counts->failed +
                                  w->pending.indexed + w->pending.failed, 0);
        if (n == 0 && alive == 0)
            break;
    }
    free(taken);
    return rc;
}

static int pipeline_init(pipeline *p, maso_store *store,
                         const maso_model *model, const index_plan *plan,
                         const index_pipeline_options *opt)
{
    memset(p, 0, sizeof *p);
    p->plan = plan;
    p->model = model;
    p->stop = opt->stop;
    int full = maso_store_get_identity(store)->full_codes;
    p->sketch = full ? NULL : maso_store_sketch(store);
    p->store_sketch = maso_store_sketch(store);
    p->orient = !opt->no_orient;
    p->code_bytes = maso_model_code_bytes(model);
    size_t payload = full ? p->code_bytes : maso_sketch_bytes(p->sketch);
    payload = (payload + 63) / 64 * 64;
    p->n_slots = 2 * (size_t)opt->jobs + 2;
    p->slots = calloc(p->n_slots, sizeof *p->slots);
    p->free_stack = malloc(p->n_slots * sizeof *p->free_stack);
    p->ready_ring = malloc(p->n_slots * sizeof *p->ready_ring);
    if (!p->slots || !p->free_stack || !p->ready_ring)
        return ENOMEM;
    for (size_t i = 0; i < p->n_slots; i++) {
        p->slots[i].payload = aligned_alloc(64, payload);
        if (!p->slots[i].payload)
            return ENOMEM;
        if (p->orient && !(p->slots[i].orients = aligned_alloc(
                               64, MASO_STORE_ORIENTS * ((maso_sketch_bytes(
                                       p->store_sketch) + 63) / 64 * 64))))
            return ENOMEM;
        p->free_stack[p->n_free++] = i;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->slot_free, NULL);
    pthread_cond_init(&p->ready, &attr);
    pthread_condattr_destroy(&attr);
    return 0;
}

static void pipeline_free(pipeline *p)
{
    if (p->slots) {
        for (size_t i = 0; i < p->n_slots; i++)
        {
            free(p->slots[i].payload);
            free(p->slots[i].orients);
        }
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->slot_free);
        pthread_cond_destroy(&p->ready);
    }
    free(p->slots);
    free(p->free_stack);
    free(p->ready_ring);
}

int index_pipeline_run(maso_store *store, const maso_model *model,
                       const index_plan *plan,
                       const index_pipeline_options *opt,
                       index_progress *progress, index_counts *counts)
{
    pipeline p;
    writer w = { store, NULL, opt, progress, counts,
                 maso_store_get_identity(store)->full_codes, { 0 } };
    double start = index_now();
    int rc = pipeline_init(&p, store, model, plan, opt);
    if (rc) {
        pipeline_free(&p);
        fprintf(stderr, "maso-index: %s\n", maso_strerror(rc));
        return INDEX_EXIT_ERROR;
    }
    if (maso_store_batch_begin(store, &w.batch) != 0) {
        pipeline_free(&p);
        return writer_fail(&w, "cannot write");
    }
    rc = writer_prune(&w, plan);

    /* Workers block SIGINT and SIGTERM (they inherit the mask), so that
     * the handler runs in this thread and never interrupts a worker's
     * read(): an EINTR there would record a good file as failed. */
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    pthread_t *threads = calloc((size_t)opt->jobs, sizeof *threads);
    int started = 0;
    for (; !rc && threads && started < opt->jobs; started++) {
        pthread_mutex_lock(&p.lock);
        p.workers_alive++;
        pthread_mutex_unlock(&p.lock);
        if (pthread_create(&threads[started], NULL, worker_main, &p) != 0) {
            pthread_mutex_lock(&p.lock);
            p.workers_alive--;
            pthread_mutex_unlock(&p.lock);
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (!rc && started == 0) {
        fprintf(stderr, "maso-index: cannot start the worker threads\n");
        rc = INDEX_EXIT_ERROR;
    }
    if (!rc)
        rc = writer_run(&p, &w);
    /* On a fatal error the workers must not wait for slots forever. */
    pthread_mutex_lock(&p.lock);
    if (rc)
        p.abort = 1;
    pthread_cond_broadcast(&p.slot_free);
    pthread_mutex_unlock(&p.lock);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    if (!rc && p.fatal[0]) {
        index_progress_clear(progress);
        fprintf(stderr, "maso-index: %s\n", p.fatal);
        rc = INDEX_EXIT_ERROR;
    }
    /* What was done is committed even after a worker failed to start or
     * an interruption: the rerun then starts from there. */
    if (w.batch) {
        int frc = writer_commit(&w, 1);
        rc = rc ? rc : frc;
    }
    index_progress_update(progress, counts->indexed + counts->failed, 1);
    index_progress_clear(progress);
    counts->seconds = index_now() - start;
    pipeline_free(&p);
    return rc;
}
