/* sharded.c -- the shard set of a run (the manifest, or the single store
 * DB) and the run without MPI: every file goes to the shard its path
 * hashes to, and each shard gets the single-store plan and pipeline in
 * turn (see sharded.h). */
#include "sharded.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MASO_HAVE_MPI
#include <mpi.h>
#endif

int index_sharded_wanted(const index_shard_options *o, const maso_job *job)
{
    return maso_job_size(job) > 1 || o->shards >= 2 || o->shard_dir ||
           maso_shards_is_sharded(o->db);
}

/* 1 when DB holds a single store already (an LMDB data file). */
static int is_single_store(const char *db)
{
    char f[4096];
    struct stat st;
    snprintf(f, sizeof f, "%s/data.mdb", db);
    return stat(f, &st) == 0;
}

/* Rank 0: write the manifest of a new sharded index.  0 or a status. */
static int create_manifest(index_shard_set *set, const index_shard_options *o,
                           const maso_job *job)
{
    if (is_single_store(o->db)) {
        fprintf(stderr, "maso-index: %s is a single store: --shards and "
                "--shard-dir apply to new indexes (index into another DB)\n",
                o->db);
        return INDEX_EXIT_ERROR;
    }
    size_t n_hosts;
    const char *const *hosts = maso_job_distinct_hosts(job, &n_hosts);
    maso_shards *m = set->manifest;
    int rc = maso_shards_init(m, o->db, o->shards ? o->shards : 1,
                              o->shard_dir, hosts, n_hosts, &set->identity);
    if (!rc)
        rc = maso_shards_write(m);
    if (rc) {
        fprintf(stderr, "maso-index: %s\n", maso_shards_errmsg(m));
        return INDEX_EXIT_ERROR;
    }
    return 0;
}

/* Every rank: read the manifest and check it against the options and the
 * model.  Only rank 0 speaks: the others see the same. */
static int read_manifest(index_shard_set *set, const index_shard_options *o,
                         int speak)
{
    maso_shards *m = set->manifest;
    maso_store_identity model_id = set->identity;
    int rc = maso_shards_open(m, o->db);
    if (!rc)
        rc = maso_shards_identity(m, &model_id, &set->identity);
    if (rc) {
        if (speak)
            fprintf(stderr, "maso-index: %s%s\n",
                    rc == MASO_EMISMATCH ? "model mismatch: " : "",
                    maso_shards_errmsg(m));
        return INDEX_EXIT_ERROR;
    }
    set->n = maso_shards_count(m);
    if (o->shards && o->shards != set->n) {
        if (speak)
            fprintf(stderr, "maso-index: %s has %zu shards, not %zu: the "
                    "number is fixed when the index is created\n", o->db,
                    set->n, o->shards);
        return INDEX_EXIT_ERROR;
    }
    if (speak && o->full_codes && !set->identity.full_codes)
        fprintf(stderr, "maso-index: warning: %s was created without full "
                "codes; --full-codes applies to new indexes only\n", o->db);
    return 0;
}

int index_sharded_agree(const maso_job *job, int status)
{
#ifdef MASO_HAVE_MPI
    if (maso_job_is_mpi(job))
        MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX,
                      MPI_COMM_WORLD);
#else
    (void)job;
#endif
    return status;
}

void index_sharded_abort(const maso_job *job, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "maso-index: rank %d on %s: %s\n", maso_job_rank(job),
            maso_job_host(job), msg);
    fflush(stderr);
#ifdef MASO_HAVE_MPI
    if (maso_job_is_mpi(job))
        MPI_Abort(MPI_COMM_WORLD, INDEX_EXIT_ERROR);
#endif
    _exit(INDEX_EXIT_ERROR);
}

int index_shard_set_open(index_shard_set *set, const index_shard_options *o,
                         const maso_job *job, const maso_model *model)
{
    memset(set, 0, sizeof *set);
    set->db = o->db;
    maso_cli_store_identity(model, &set->identity, set->pre);
    set->identity.full_codes = o->full_codes;
    int rank0 = maso_job_rank(job) == 0;
    int sharded = maso_shards_is_sharded(o->db);
    int create = !sharded && (o->shards >= 2 || o->shard_dir);
    int status = 0;
    if (sharded || create) {
        if (maso_shards_create(&set->manifest) != 0)
            status = INDEX_EXIT_ERROR;
    }
    if (!status && sharded && o->shard_dir && rank0)
        fprintf(stderr, "maso-index: warning: %s exists: --shard-dir "
                "applies to new indexes (edit its manifest to move "
                "shards)\n", o->db);
    if (!status && create && rank0)
        status = create_manifest(set, o, job);
    /* The others read the manifest once rank 0 has written it. */
    status = index_sharded_agree(job, status);
    if (!status && (sharded || create))
        status = index_sharded_agree(job, read_manifest(set, o, rank0));
    if (!status && !set->manifest)
        set->n = 1;
    if (status)
        index_shard_set_close(set);
    return status;
}

void index_shard_set_close(index_shard_set *set)
{
    maso_shards_destroy(set->manifest);
    set->manifest = NULL;
}

const char *index_shard_location(const index_shard_set *set, size_t i)
{
    return set->manifest ? maso_shards_location(set->manifest, i) : set->db;
}

size_t index_shard_of(const index_shard_set *set, const char *path)
{
    return set->manifest ? maso_shards_of_path(set->manifest, path) : 0;
}

/* mkdir -p of the folders above @p path (node-local shard folders such
 * as /local/HOST/maso/shard-000 start out missing). */
static void make_parents(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0777);   /* EEXIST is fine; other errors show later */
        *p = '/';
    }
}

int index_shard_open_store(const index_shard_set *set, size_t i,
                           maso_store **store, char err[MASO_CLI_ERRLEN])
{
    const char *where = index_shard_location(set, i);
    *store = NULL;
    if (set->manifest)
        make_parents(where);
    maso_store *s = NULL;
    int rc = maso_store_create(&s);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_strerror(rc));
        return rc;
    }
    rc = maso_store_open(s, where, MASO_STORE_CREATE, &set->identity);
    if (rc == MASO_EMISMATCH)
        snprintf(err, MASO_CLI_ERRLEN, "model mismatch: %s (index with the "
                 "model the store was built with, or into another DB)",
                 maso_store_errmsg(s));
    else if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "cannot open the store %s: %s", where,
                 maso_store_errmsg(s));
    if (rc) {
        maso_store_destroy(s);
        return rc;
    }
    *store = s;
    return 0;
}

int index_shard_split(const index_shard_set *set, const walk_list *files,
                      walk_list *sub)
{
    size_t *count = calloc(set->n, sizeof *count);
    if (!count)
        return ENOMEM;
    for (size_t f = 0; f < files->count; f++)
        count[index_shard_of(set, files->path[f])]++;
    int rc = 0;
    for (size_t i = 0; i < set->n; i++) {
        sub[i].count = 0;
        sub[i].capacity = count[i];
        sub[i].path = malloc((count[i] ? count[i] : 1) * sizeof *sub[i].path);
        if (!sub[i].path)
            rc = ENOMEM;
    }
    for (size_t f = 0; !rc && f < files->count; f++) {
        walk_list *s = &sub[index_shard_of(set, files->path[f])];
        s->path[s->count++] = files->path[f];
    }
    free(count);
    return rc;
}

void index_shards_summary(const index_shard_set *set)
{
    uint64_t images = 0, bytes = 0;
    size_t opened = 0;
    for (size_t i = 0; i < set->n; i++) {
        maso_store *s = NULL;
        maso_store_stats st;
        if (maso_store_create(&s) == 0 &&
            maso_store_open(s, index_shard_location(set, i),
                            MASO_STORE_RDONLY, NULL) == 0 &&
            maso_store_get_stats(s, &st) == 0) {
            images += st.ok;
            bytes += st.file_bytes;
            opened++;
        }
        maso_store_destroy(s);
    }
    fprintf(stderr, "maso-index: %s: %zu shards, %llu images, %.1f MB\n",
            set->db, set->n, (unsigned long long)images, (double)bytes / 1e6);
}

/* What the local run holds per shard. */
typedef struct shard_run {
    maso_store *store;
    walk_list files;
    index_plan plan;
} shard_run;

int index_sharded_local(const index_shard_set *set,
                        const index_shard_options *o,
                        const maso_model *model, const walk_list *files,
                        index_counts *counts)
{
    shard_run *run = calloc(set->n, sizeof *run);
    walk_list *sub = calloc(set->n, sizeof *sub);
    int status = INDEX_EXIT_ERROR;
    char err[MASO_CLI_ERRLEN];
    if (!run || !sub || index_shard_split(set, files, sub) != 0) {
        fprintf(stderr, "maso-index: out of memory\n");
        goto done;
    }
    /* Every shard is planned first, so that the progress line counts all
     * the files and a store that cannot be opened stops the run before
     * anything is written. */
    size_t total = 0;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    for (size_t i = 0; i < set->n; i++) {
        run[i].files = sub[i];
        /* A node-local shard of another machine is not created here. */
        const char *h = set->manifest ? maso_shards_host(set->manifest, i)
                                      : MASO_SHARDS_ANY_HOST;
        if (strcmp(h, MASO_SHARDS_ANY_HOST) != 0 && strcmp(h, host) != 0) {
            fprintf(stderr, "maso-index: shard %zu lives on host %s, not "
                    "on %s: run maso-index there, or under mpirun with a "
                    "rank there (or move the shard and edit %s/%s)\n", i,
                    h, host, set->db, MASO_SHARDS_MANIFEST);
            goto done;
        }
        if (index_shard_open_store(set, i, &run[i].store, err) != 0) {
            fprintf(stderr, "maso-index: shard %zu: %s\n", i, err);
            goto done;
        }
        int rc = index_plan_build(run[i].store, &run[i].files, o->rescan,
                                  o->prune, &run[i].plan);
        if (rc) {
            fprintf(stderr, "maso-index: %s: %s\n",
                    index_shard_location(set, i),
                    rc == ENOMEM ? "out of memory"
                                 : maso_store_errmsg(run[i].store));
            goto done;
        }
        counts->skipped += run[i].plan.skipped;
        total += run[i].plan.n_todo;
    }
    index_progress progress;
    index_progress_start(&progress, total, o->pipe->verbosity >=
                                               INDEX_NORMAL && isatty(2));
    double seconds = 0;
    status = 0;
    for (size_t i = 0; i < set->n && !status; i++) {
        if (*o->pipe->stop)
            break;
        if (run[i].plan.n_todo == 0 && run[i].plan.n_prune == 0)
            continue;
        if (index_pipeline_run(run[i].store, model, &run[i].plan, o->pipe,
                               &progress, counts) != 0)
            status = INDEX_EXIT_ERROR;
        seconds += counts->seconds;
    }
    counts->seconds = seconds;
done:
    for (size_t i = 0; run && i < set->n; i++) {
        index_plan_free(&run[i].plan);
        maso_store_destroy(run[i].store);
    }
    for (size_t i = 0; sub && i < set->n; i++)
        free(sub[i].path);
    free(sub);
    free(run);
    return status;
}
