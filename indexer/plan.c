/* plan.c -- what this run has to do: compare the walked files with the
 * store and split them into files to index, files to skip, and stored
 * paths to prune.
 *
 * The store is read once, in one snapshot (maso_store_foreach), into a
 * path-sorted array; the walk list is path-sorted too, so one merge pass
 * decides every file: unchanged coded files are skipped, everything else
 * (new, changed, or recorded as failed) is indexed.  That is one read transaction for 100,000 files
 * instead of one lookup (and transaction) per file.  Only path, size,
 * mtime and status are kept: a few tens of bytes per record.
 */
#include "indexer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct stored {
    char *path;
    uint64_t size;
    int64_t mtime_ns;
    maso_record_status status;
} stored;

typedef struct snapshot {
    stored *rec;
    size_t n, cap;
} snapshot;

static int collect(const maso_store_record *r, void *arg)
{
    snapshot *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        stored *grown = realloc(s->rec, cap * sizeof *grown);
        if (!grown)
            return ENOMEM;
        s->rec = grown;
        s->cap = cap;
    }
    stored *o = &s->rec[s->n];
    o->path = strdup(r->path);
    if (!o->path)
        return ENOMEM;
    o->size = r->size;
    o->mtime_ns = r->mtime_ns;
    o->status = r->status;
    s->n++;
    return 0;
}

static int compare_stored(const void *a, const void *b)
{
    return strcmp(((const stored *)a)->path, ((const stored *)b)->path);
}

static void snapshot_free(snapshot *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->rec[i].path);
    free(s->rec);
}

/* A stored file is gone when its path (or a directory on it) no longer
 * exists; any other stat() failure (EACCES, EIO) is not proof of that,
 * so the record is kept. */
static int is_gone(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return 0;
    return errno == ENOENT || errno == ENOTDIR;
}

static int push_prune(index_plan *plan, const char *path, size_t *cap)
{
    if (plan->n_prune == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        char **grown = realloc(plan->prune, c * sizeof *grown);
        if (!grown)
            return ENOMEM;
        plan->prune = grown;
        *cap = c;
    }
    char *copy = strdup(path);
    if (!copy)
        return ENOMEM;
    plan->prune[plan->n_prune++] = copy;
    return 0;
}

/* The record a file will get.  A file that vanished since the walk still
 * goes to the workers, whose decoder then names the cause. */
static void describe(index_item *item, const char *path)
{
    struct stat st;
    item->path = path;
    item->size = 0;
    item->mtime_ns = 0;
    if (stat(path, &st) == 0) {
        item->size = (uint64_t)st.st_size;
        item->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                         st.st_mtim.tv_nsec;
    }
}

int index_plan_build(maso_store *store, const walk_list *files, int rescan,
                     int prune, index_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    snapshot snap = { NULL, 0, 0 };
    int rc = maso_store_foreach(store, 0, collect, &snap);
    if (rc) {
        snapshot_free(&snap);
        return rc;
    }
    if (snap.n > 1)
        qsort(snap.rec, snap.n, sizeof *snap.rec, compare_stored);

    plan->todo = malloc((files->count ? files->count : 1) * sizeof *plan->todo);
    if (!plan->todo) {
        snapshot_free(&snap);
        return ENOMEM;
    }
    size_t prune_cap = 0, j = 0;
    for (size_t i = 0; i < files->count && !rc; i++) {
        const char *path = files->path[i];
        /* Stored paths before this one are not on the command line. */
        for (; j < snap.n && strcmp(snap.rec[j].path, path) < 0 && !rc; j++)
            if (prune && is_gone(snap.rec[j].path))
                rc = push_prune(plan, snap.rec[j].path, &prune_cap);
        index_item item;
        describe(&item, path);
        const stored *old = NULL;
        if (j < snap.n && strcmp(snap.rec[j].path, path) == 0)
            old = &snap.rec[j++];
        /* A file recorded as failed is tried again even when unchanged:
         * its failure may have come from this program (a bug, a full
         * disk, memory) rather than from its bytes, and failures are few
         * and fail fast. */
        if (old && !rescan && old->status == MASO_RECORD_OK &&
            old->size == item.size && old->mtime_ns == item.mtime_ns &&
            item.mtime_ns != 0) {
            plan->skipped++;
            continue;
        }
        plan->todo[plan->n_todo++] = item;
    }
    for (; j < snap.n && !rc; j++)
        if (prune && is_gone(snap.rec[j].path))
            rc = push_prune(plan, snap.rec[j].path, &prune_cap);
    snapshot_free(&snap);
    if (rc)
        index_plan_free(plan);
    return rc;
}

void index_plan_free(index_plan *plan)
{
    for (size_t i = 0; i < plan->n_prune; i++)
        free(plan->prune[i]);
    free(plan->prune);
    free(plan->todo);
    memset(plan, 0, sizeof *plan);
}
