/*
 * check.c -- maso_store_check(): cross-table invariants in one snapshot.
 * Used by tests after crashes and by tools that want to vouch for a store.
 */
#include "store_internal.h"

#include <string.h>

typedef struct tally {
    uint64_t ok, failed, codes;
} tally;

static int has_key(MDB_txn *txn, MDB_dbi dbi, uint64_t id)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, v;
    return mdb_get(txn, dbi, &k, &v) == 0;
}

static int check_record(maso_store *s, MDB_txn *txn, const MDB_val *k,
                        const MDB_val *v, const store_counters *c, tally *t)
{
    uint64_t id = store_key_id(k);
    if (id == 0 || id >= c->next_id)
        return store_fail(s, MASO_EDATA, "%s: record id %llu outside "
                          "[1, next_id %llu)", s->path,
                          (unsigned long long)id,
                          (unsigned long long)c->next_id);
    store_record_view r;
    int rc = store_record_decode(s, id, v, &r);
    if (rc)
        return rc;
    uint64_t found = 0;
    rc = store_path_lookup(s, txn, r.path, r.path_len, &found);
    if (rc || found != id)
        return store_fail(s, MASO_EDATA, "%s: record %llu is not reachable "
                          "from its path", s->path, (unsigned long long)id);
    const uint8_t *p;
    int present = 0;
    rc = store_sketch_present(s, txn, id, &present);
    if (rc)
        return rc;
    if (r.status == MASO_RECORD_OK) {
        t->ok++;
        if (!present)
            rc = store_fail(s, MASO_EDATA, "%s: OK record %llu has no "
                            "sketch", s->path, (unsigned long long)id);
    } else {
        t->failed++;
        if (present)
            rc = store_fail(s, MASO_EDATA, "%s: failed record %llu has a "
                            "sketch", s->path, (unsigned long long)id);
    }
    if (!rc && (r.flags & STORE_FLAG_CODE)) {
        t->codes++;
        rc = store_blob_get(s, txn, s->dbi_codes, STORE_CODE_MAGIC, id,
                            s->code_bytes, &p);
    } else if (!rc && has_key(txn, s->dbi_codes, id)) {
        rc = store_fail(s, MASO_EDATA, "%s: record %llu has an unflagged "
                        "code", s->path, (unsigned long long)id);
    }
    return rc;
}

/* Every block well-formed, its summaries those of its sketches; returns
 * the number of present slots in @p present. */
static int check_blocks(maso_store *s, MDB_txn *txn, uint64_t *present)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_blocks, &cur);
    if (rc)
        return store_mdb(s, rc, "cursor");
    uint8_t sum[MASO_SEARCH_SUMMARY_BITS_MAX / 8];
    MDB_val k, v;
    *present = 0;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!rc && mrc == 0) {
        store_block b;
        rc = k.mv_size == 8 ? store_block_parse(s, store_key_id(&k), &v, &b)
                            : store_fail(s, MASO_EDATA, "%s: malformed block "
                                         "key", s->path);
        for (size_t i = 0; !rc && i < s->block_records; i++) {
            if (!store_block_has(&b, i))
                continue;
            (*present)++;
            maso_search_summarize(s->search, b.sketches + i * s->stride, sum);
            if (memcmp(sum, b.summaries + i * s->summary_bytes,
                       s->summary_bytes))
                rc = store_fail(s, MASO_EDATA, "%s: stored summary of id "
                                "%llu differs from its sketch's", s->path,
                                (unsigned long long)(b.number *
                                                     s->block_records + i));
        }
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(s, mrc, "iterate blocks");
    mdb_cursor_close(cur);
    return rc;
}

static int check_counts(maso_store *s, MDB_txn *txn, const store_counters *c,
                        const tally *t)
{
    MDB_stat paths, codes;
    uint64_t sketches = 0;
    int rc = mdb_stat(txn, s->dbi_paths, &paths);
    if (!rc)
        rc = mdb_stat(txn, s->dbi_codes, &codes);
    if (rc)
        return store_mdb(s, rc, "stat");
    rc = check_blocks(s, txn, &sketches);
    if (rc)
        return rc;
    if (t->ok != c->ok || t->failed != c->failed || t->codes != c->codes)
        return store_fail(s, MASO_EDATA, "%s: counters (ok %llu, failed "
                          "%llu, codes %llu) differ from the records (%llu, "
                          "%llu, %llu)", s->path, (unsigned long long)c->ok,
                          (unsigned long long)c->failed,
                          (unsigned long long)c->codes,
                          (unsigned long long)t->ok,
                          (unsigned long long)t->failed,
                          (unsigned long long)t->codes);
    /* Every path entry belongs to a record reached above, and every OK
     * record's presence bit was seen set, so equal counts mean no stray
     * entries or presence bits. */
    if (paths.ms_entries != t->ok + t->failed || sketches != t->ok ||
        codes.ms_entries != t->codes)
        return store_fail(s, MASO_EDATA, "%s: stray entries: %zu paths, %llu "
                          "sketches, %zu codes for %llu records", s->path,
                          paths.ms_entries, (unsigned long long)sketches,
                          codes.ms_entries,
                          (unsigned long long)(t->ok + t->failed));
    return 0;
}

int maso_store_check(maso_store *store)
{
    if (!store)
        return MASO_EINVAL_ARG;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    int rc = store_txn_begin(store, MDB_RDONLY, &txn);
    if (rc)
        return store_status(rc);
    store_counters c;
    tally t = {0, 0, 0};
    rc = store_counters_read(store, txn, &c);
    if (!rc && (rc = mdb_cursor_open(txn, store->dbi_records, &cur)) != 0)
        store_mdb(store, rc, "cursor");
    MDB_val k, v;
    int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!rc && mrc == 0) {
        rc = check_record(store, txn, &k, &v, &c, &t);
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(store, mrc, "iterate records");
    if (!rc)
        rc = check_counts(store, txn, &c, &t);
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (!rc)
        store->errmsg[0] = '\0';
    return store_status(rc);
}
