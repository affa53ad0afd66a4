/*
 * batch.c -- buffered writes applied in one transaction.
 *
 * Why buffer: when the map is full LMDB fails the put (MDB_MAP_FULL) and
 * the transaction must be aborted before the map can grow, which throws
 * away every put made so far.  Keeping the batch's operations in memory
 * lets commit abort, double the map and replay them, so callers never see
 * a full map.  The transaction is also the unit of durability: a kill in
 * the middle of commit leaves the previous commit intact.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

typedef struct batch_op {
    int is_delete;
    char *path;
    size_t path_len;
    uint64_t size;
    int64_t mtime_ns;
    maso_record_status status;
    char *reason;
    uint8_t *sketch; /* OK records */
    uint8_t *summary; /* of the sketch, computed once at put */
    uint8_t *code;   /* only when the store keeps full codes */
    uint8_t *orients; /* orientation sketches, or NULL */
} batch_op;

struct maso_store_batch {
    maso_store *store;
    batch_op *ops;
    size_t n, cap;
    struct timespec begun;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int maso_store_batch_begin(maso_store *store, maso_store_batch **batch)
{
    if (!store || !batch)
        return MASO_EINVAL_ARG;
    *batch = NULL;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    if (store->flags & MASO_STORE_RDONLY)
        return store_fail(store, MASO_EINVAL_ARG, "%s: opened read-only",
                          store->path);
    if (store->batch_open)
        return store_fail(store, MASO_EINVAL_ARG, "%s: a batch is already "
                          "open on this handle", store->path);
    maso_store_batch *b = calloc(1, sizeof *b);
    if (!b)
        return store_fail(store, ENOMEM, "out of memory");
    b->store = store;
    clock_gettime(CLOCK_MONOTONIC, &b->begun);
    store->batch_open = 1;
    *batch = b;
    return MASO_SUCCESS;
}

static void free_op(batch_op *op)
{
    free(op->path);
    free(op->reason);
    free(op->sketch);
    free(op->summary);
    free(op->code);
    free(op->orients);
}

void maso_store_batch_abort(maso_store_batch *batch)
{
    if (!batch)
        return;
    for (size_t i = 0; i < batch->n; i++)
        free_op(&batch->ops[i]);
    free(batch->ops);
    batch->store->batch_open = 0;
    free(batch);
}

size_t maso_store_batch_count(const maso_store_batch *batch)
{
    return batch ? batch->n : 0;
}

int maso_store_batch_due(const maso_store_batch *batch, size_t max_ops,
                         double max_seconds)
{
    if (!batch)
        return 0;
    if (batch->n >= max_ops)
        return 1;
    double begun = (double)batch->begun.tv_sec + batch->begun.tv_nsec * 1e-9;
    return batch->n > 0 && now_seconds() - begun >= max_seconds;
}

/* Make room for one more operation and copy its path into it. */
static int new_op(maso_store_batch *b, const char *path, batch_op **out)
{
    maso_store *s = b->store;
    int rc = store_path_check(s, path);
    if (rc)
        return rc;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        batch_op *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops)
            return store_fail(s, ENOMEM, "out of memory");
        b->ops = ops;
        b->cap = cap;
    }
    batch_op *op = &b->ops[b->n];
    memset(op, 0, sizeof *op);
    op->path_len = strlen(path);
    op->path = malloc(op->path_len + 1);
    if (!op->path)
        return store_fail(s, ENOMEM, "out of memory");
    memcpy(op->path, path, op->path_len + 1);
    *out = op;
    return 0;
}

static int copy_payloads(maso_store *s, batch_op *op,
                         const maso_store_record *r, const uint8_t *orients)
{
    size_t sk = maso_sketch_bytes(s->sketch);
    if (r->status == MASO_RECORD_FAILED) {
        const char *why = r->reason ? r->reason : "";
        op->reason = malloc(strlen(why) + 1);
        if (!op->reason)
            return store_fail(s, ENOMEM, "out of memory");
        memcpy(op->reason, why, strlen(why) + 1);
        return 0;
    }
    if (!r->code && (!r->sketch || s->identity.full_codes))
        return store_fail(s, MASO_EINVAL_ARG, "%s: an OK record needs its "
                          "code%s", r->path, s->identity.full_codes ? ""
                          : " or sketch");
    op->sketch = malloc(sk);
    op->summary = malloc(s->summary_bytes);
    if (!op->sketch || !op->summary)
        return store_fail(s, ENOMEM, "out of memory");
    if (r->code)
        maso_sketch_apply(s->sketch, r->code, op->sketch);
    else
        memcpy(op->sketch, r->sketch, sk);
    int rc = maso_search_summarize(s->search, op->sketch, op->summary);
    if (rc)
        return store_fail(s, rc, "summary: %s", maso_search_errmsg(s->search));
    if (s->identity.full_codes) {
        op->code = malloc(s->code_bytes);
        if (!op->code)
            return store_fail(s, ENOMEM, "out of memory");
        memcpy(op->code, r->code, s->code_bytes);
    }
    if (orients) {
        op->orients = malloc(STORE_ORIENTS_BYTES(s));
        if (!op->orients)
            return store_fail(s, ENOMEM, "out of memory");
        memcpy(op->orients, orients, STORE_ORIENTS_BYTES(s));
    }
    return 0;
}

int maso_store_batch_put(maso_store_batch *batch,
                         const maso_store_record *record)
{
    return maso_store_batch_put_oriented(batch, record, NULL);
}

int maso_store_batch_put_oriented(maso_store_batch *batch,
                                  const maso_store_record *record,
                                  const uint8_t *orients)
{
    if (!batch || !record)
        return MASO_EINVAL_ARG;
    maso_store *s = batch->store;
    if (record->status != MASO_RECORD_OK &&
        record->status != MASO_RECORD_FAILED)
        return store_fail(s, MASO_EINVAL_ARG, "bad record status %d",
                          (int)record->status);
    batch_op *op = NULL;
    int rc = new_op(batch, record->path, &op);
    if (rc)
        return rc;
    op->size = record->size;
    op->mtime_ns = record->mtime_ns;
    op->status = record->status;
    rc = copy_payloads(s, op, record, orients);
    if (rc) {
        free_op(op);
        return rc;
    }
    batch->n++;
    s->errmsg[0] = '\0';
    return MASO_SUCCESS;
}

int maso_store_batch_delete(maso_store_batch *batch, const char *path)
{
    if (!batch)
        return MASO_EINVAL_ARG;
    batch_op *op = NULL;
    int rc = new_op(batch, path, &op);
    if (rc)
        return rc;
    op->is_delete = 1;
    batch->n++;
    return MASO_SUCCESS;
}

/* Put an aligned blob (sketch or code) under @p id, writing it straight
 * into the map (MDB_RESERVE). */
static int put_blob(maso_store *s, MDB_txn *txn, MDB_dbi dbi,
                    const char *magic, uint64_t id, const uint8_t *payload,
                    size_t n, unsigned flags)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, v = {store_blob_size(s, n), NULL};
    int rc = mdb_put(txn, dbi, &k, &v, flags | MDB_RESERVE);
    if (rc == MDB_KEYEXIST)
        return store_fail(s, MASO_EDATA, "%s: id %llu already has a %s "
                          "value (next_id counter behind)", s->path,
                          (unsigned long long)id, magic);
    if (rc)
        return store_mdb(s, rc, magic);
    store_blob_fill(s, v.mv_data, v.mv_size, magic, id, payload, n);
    return 0;
}

int store_del_id(maso_store *s, MDB_txn *txn, MDB_dbi dbi, uint64_t id,
                 const char *what)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb};
    int rc = mdb_del(txn, dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return 0;
    return rc ? store_mdb(s, rc, what) : 0;
}

/* What one commit's operations share. */
typedef struct apply_ctx {
    maso_store *s;
    MDB_txn *txn;
    store_counters c;
    store_block_cache blocks;
} apply_ctx;

/* Remove the old record's sketch, code and counts (its path entry stays). */
static int drop_old(apply_ctx *a, uint64_t id)
{
    maso_store *s = a->s;
    MDB_txn *txn = a->txn;
    store_counters *c = &a->c;
    store_record_view old;
    int rc = store_record_read(s, txn, id, &old);
    if (rc)
        return rc;
    if (old.status == MASO_RECORD_OK) {
        c->ok--;
        rc = store_blocks_set(s, txn, &a->blocks, id, NULL, NULL);
    } else {
        c->failed--;
    }
    if (old.flags & STORE_FLAG_CODE)
        c->codes--;
    if (!rc)
        rc = store_del_id(s, txn, s->dbi_codes, id, "delete code");
    if (!rc)
        rc = store_del_id(s, txn, s->dbi_orients, id, "delete orientations");
    return rc;
}

static int apply_put(apply_ctx *a, const batch_op *op)
{
    maso_store *s = a->s;
    MDB_txn *txn = a->txn;
    store_counters *c = &a->c;
    uint64_t id;
    int rc = store_path_lookup(s, txn, op->path, op->path_len, &id);
    int is_new = rc == MASO_ENOTFOUND;
    if (is_new) {
        id = c->next_id++;
        rc = store_path_insert(s, txn, op->path, op->path_len, id);
    } else if (rc == 0) {
        rc = drop_old(a, id);
    }
    if (rc)
        return rc;
    /* New ids exceed every stored one: append, which also packs pages. */
    unsigned flags = is_new ? MDB_APPEND : 0;
    store_record_view v = {(uint8_t)op->status,
                           op->code ? STORE_FLAG_CODE : 0,
                           op->size, op->mtime_ns, op->path, op->path_len,
                           op->reason, op->reason ? strlen(op->reason) : 0};
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb};
    MDB_val val = {store_record_size(v.path_len, v.reason_len), NULL};
    rc = mdb_put(txn, s->dbi_records, &k, &val, flags | MDB_RESERVE);
    if (rc)
        return store_mdb(s, rc, "put record");
    store_record_fill(s, val.mv_data, id, &v);
    if (op->status == MASO_RECORD_OK) {
        c->ok++;
        rc = store_blocks_set(s, txn, &a->blocks, id, op->sketch,
                              op->summary);
    } else {
        c->failed++;
    }
    if (!rc && op->code) {
        c->codes++;
        rc = put_blob(s, txn, s->dbi_codes, STORE_CODE_MAGIC, id, op->code,
                      s->code_bytes, flags);
    }
    if (!rc && op->orients)
        rc = put_blob(s, txn, s->dbi_orients, STORE_ORIENTS_MAGIC, id,
                      op->orients, STORE_ORIENTS_BYTES(s), flags);
    return rc;
}

static int apply_delete(apply_ctx *a, const batch_op *op)
{
    maso_store *s = a->s;
    MDB_txn *txn = a->txn;
    uint64_t id;
    int rc = store_path_lookup(s, txn, op->path, op->path_len, &id);
    if (rc == MASO_ENOTFOUND)
        return 0;
    if (!rc)
        rc = drop_old(a, id);
    if (!rc)
        rc = store_path_remove(s, txn, op->path, op->path_len, id);
    if (!rc)
        rc = store_del_id(s, txn, s->dbi_records, id, "delete record");
    return rc;
}

static int apply_all(maso_store *s, MDB_txn *txn, const maso_store_batch *b)
{
    apply_ctx a = {s, txn, {0, 0, 0, 0}, {NULL, NULL, 0, 0}};
    int rc = store_counters_read(s, txn, &a.c);
    for (size_t i = 0; i < b->n && !rc; i++)
        rc = b->ops[i].is_delete ? apply_delete(&a, &b->ops[i])
                                 : apply_put(&a, &b->ops[i]);
    if (!rc)
        rc = store_blocks_flush(s, txn, &a.blocks);
    if (!rc)
        rc = store_counters_write(s, txn, &a.c);
    store_blocks_free(&a.blocks);
    return rc;
}

/* LMDB reports a short write (what write() does when the disk fills up
 * in the middle of it) as EIO.  When the store's file system has (next
 * to) nothing left, the cause is a full disk, and the user can do
 * something about that: say so. */
static int commit_failed(maso_store *s, int rc)
{
    struct statvfs fs;
    if ((rc == EIO || rc == ENOSPC) && statvfs(s->path, &fs) == 0) {
        /* root may use the blocks reserved for it, others may not */
        uint64_t blocks = geteuid() == 0 ? fs.f_bfree : fs.f_bavail;
        if (rc == ENOSPC || blocks * fs.f_frsize < ((uint64_t)1 << 20))
            return store_fail(s, ENOSPC, "%s: no space left on device "
                              "(nothing of this batch was written; what "
                              "was committed before is intact)", s->path);
    }
    return store_mdb(s, rc, "commit");
}

int maso_store_batch_commit(maso_store_batch *batch)
{
    if (!batch)
        return MASO_EINVAL_ARG;
    maso_store *s = batch->store;
    int rc;
    for (;;) {
        MDB_txn *txn;
        rc = store_txn_begin(s, 0, &txn);
        if (rc)
            break;
        rc = apply_all(s, txn, batch);
        if (rc) {
            mdb_txn_abort(txn);
        } else {
            rc = mdb_txn_commit(txn); /* frees txn even when failing */
            if (rc)
                rc = commit_failed(s, rc);
        }
        if (rc != MDB_MAP_FULL)
            break;
        rc = store_grow(s);
        if (rc)
            break;
    }
    maso_store_batch_abort(batch);
    if (!rc)
        s->errmsg[0] = '\0';
    return store_status(rc);
}
