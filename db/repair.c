/*
 * repair.c -- maso_store_repair(): take the damaged records out, so that
 * the store is whole again and their files can be indexed anew.
 *
 * One write transaction: the survey of check.c lists what is damaged;
 * damaged sketch blocks are deleted, each damaged record loses its record,
 * path entries (found by id, since a damaged record no longer says its
 * path), sketch slot and full code; then the counters are recounted from
 * the records that remain.  Nothing is rebuilt from damaged bytes.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int damaged_id(const store_survey *sv, uint64_t id)
{
    size_t lo = 0, hi = sv->n_damaged; /* damaged[] is in id order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sv->damaged[mid].id == id)
            return 1;
        if (sv->damaged[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Every path entry that points to a damaged record. */
static int drop_paths(maso_store *s, MDB_txn *txn, const store_survey *sv)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_paths, &cur);
    if (rc)
        return store_mdb(s, rc, "path index");
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && !rc) {
        if (damaged_id(sv, store_key_id(&v)))
            rc = mdb_cursor_del(cur, 0);
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = mrc;
    return rc ? store_mdb(s, rc, "path index") : 0;
}

/* The counters of what remains (every remaining record is intact). */
static int recount(maso_store *s, MDB_txn *txn, const store_survey *sv)
{
    store_counters c = {1, 0, 0, 0};
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_records, &cur);
    if (rc)
        return store_mdb(s, rc, "cursor");
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; mrc == 0 && !rc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t id = store_key_id(&k);
        store_record_view r;
        rc = store_record_decode(s, id, &v, &r);
        if (rc)
            break;
        if (r.status == MASO_RECORD_OK)
            c.ok++;
        else
            c.failed++;
        c.codes += (r.flags & STORE_FLAG_CODE) != 0;
        if (id >= c.next_id)
            c.next_id = id + 1;
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(s, mrc, "iterate records");
    /* Never hand out an id again that the counter had passed. */
    if (!sv->counters_damaged && sv->counters.next_id > c.next_id)
        c.next_id = sv->counters.next_id;
    return rc ? rc : store_counters_write(s, txn, &c);
}

static int repair_txn(maso_store *s, MDB_txn *txn, store_survey *sv)
{
    int rc = store_survey_run(s, txn, sv);
    for (size_t i = 0; !rc && i < sv->n_bad_blocks; i++)
        rc = store_del_id(s, txn, s->dbi_blocks, sv->bad_blocks[i],
                    "delete sketch block");
    store_block_cache blocks = {NULL, NULL, 0, 0};
    for (size_t i = 0; !rc && i < sv->n_damaged; i++) {
        uint64_t id = sv->damaged[i].id;
        rc = store_del_id(s, txn, s->dbi_records, id, "delete record");
        if (!rc)
            rc = store_del_id(s, txn, s->dbi_codes, id, "delete code");
        if (!rc && s->has_orients)
            rc = store_del_id(s, txn, s->dbi_orients, id,
                              "delete orientations");
        int bad_block = 0;
        for (size_t j = 0; j < sv->n_bad_blocks; j++)
            bad_block |= sv->bad_blocks[j] == id / s->block_records;
        if (!rc && !bad_block)
            rc = store_blocks_set(s, txn, &blocks, id, NULL, NULL);
    }
    if (!rc)
        rc = store_blocks_flush(s, txn, &blocks);
    store_blocks_free(&blocks);
    if (!rc && sv->n_damaged)
        rc = drop_paths(s, txn, sv);
    if (!rc)
        rc = recount(s, txn, sv);
    return rc;
}

int maso_store_repair(maso_store *store, maso_store_damage_fn fn, void *arg,
                      uint64_t *n_removed)
{
    if (n_removed)
        *n_removed = 0;
    if (!store)
        return MASO_EINVAL_ARG;
    if (!store->env || (store->flags & MASO_STORE_RDONLY))
        return store_fail(store, MASO_EINVAL_ARG, "store not open for "
                          "writing");
    store_survey sv;
    int rc;
    for (;;) {
        MDB_txn *txn;
        rc = store_txn_begin(store, 0, &txn);
        if (rc)
            return store_status(rc);
        rc = repair_txn(store, txn, &sv);
        if (rc) {
            mdb_txn_abort(txn);
        } else if ((rc = mdb_txn_commit(txn)) != 0) {
            store_mdb(store, rc, "commit");
        }
        if (rc != MDB_MAP_FULL)
            break;
        store_survey_free(&sv);
        if ((rc = store_grow(store)) != 0)
            return store_status(rc);
    }
    for (size_t i = 0; !rc && fn && i < sv.n_damaged; i++) {
        maso_store_damage d = {sv.damaged[i].id, sv.damaged[i].path,
                               sv.damaged[i].what};
        rc = fn(arg, &d);
    }
    if (!rc && n_removed)
        *n_removed = sv.n_damaged;
    store_survey_free(&sv);
    if (!rc)
        store->errmsg[0] = '\0';
    return store_status(rc);
}
