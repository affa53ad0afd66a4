/*
 * check.c -- maso_store_check() and maso_store_check_damage(): every
 * checksum and the cross-table invariants, in one snapshot.
 *
 * The survey below is shared with repair.c.  It walks the sketch blocks
 * (header and slot checksums, summaries against their sketches), then the
 * records (checksum, path index, sketch, full code), and lists the damaged
 * records instead of stopping at the first: a user needs to know which
 * files to index again, and repair needs the whole list.  A record counts
 * as damaged when any value it consists of is damaged or inconsistent
 * with the others.  Errors that are not about one record (LMDB failures,
 * malformed keys) still end the survey.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int has_key(MDB_txn *txn, MDB_dbi dbi, uint64_t id)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, v;
    return mdb_get(txn, dbi, &k, &v) == 0;
}

static int push_id(maso_store *s, uint64_t **ids, size_t *n, size_t *cap,
                   uint64_t id)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        uint64_t *grown = realloc(*ids, c * sizeof *grown);
        if (!grown)
            return store_fail(s, ENOMEM, "out of memory");
        *ids = grown;
        *cap = c;
    }
    (*ids)[(*n)++] = id;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int has_id(const uint64_t *ids, size_t n, uint64_t id)
{
    return n && bsearch(&id, ids, n, sizeof id, cmp_id) != NULL;
}

int store_path_of_id(maso_store *s, MDB_txn *txn, uint64_t id, char **path)
{
    *path = NULL;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_paths, &cur);
    if (rc)
        return store_mdb(s, rc, "path index");
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *key = k.mv_data;
        if (store_key_id(&v) != id || k.mv_size == 0 || key[0] == '\0')
            continue; /* another record's, or a hashed long path */
        if (!(*path = malloc(k.mv_size + 1)))
            rc = store_fail(s, ENOMEM, "out of memory");
        else {
            memcpy(*path, key, k.mv_size);
            (*path)[k.mv_size] = '\0';
        }
        break;
    }
    mdb_cursor_close(cur);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return store_mdb(s, mrc, "path index");
    return rc;
}

/* Record @p id as damaged (@p what: static text); @p path may be NULL
 * (then the path index is asked). */
static int add_damage(maso_store *s, MDB_txn *txn, store_survey *sv,
                      uint64_t id, const char *what, const char *path,
                      size_t path_len)
{
    if (sv->n_damaged == sv->cap_damaged) {
        size_t c = sv->cap_damaged ? 2 * sv->cap_damaged : 16;
        store_damage_item *grown = realloc(sv->damaged, c * sizeof *grown);
        if (!grown)
            return store_fail(s, ENOMEM, "out of memory");
        sv->damaged = grown;
        sv->cap_damaged = c;
    }
    store_damage_item *d = &sv->damaged[sv->n_damaged];
    d->id = id;
    d->what = what;
    d->path = NULL;
    if (path) {
        if (!(d->path = malloc(path_len + 1)))
            return store_fail(s, ENOMEM, "out of memory");
        memcpy(d->path, path, path_len);
        d->path[path_len] = '\0';
    } else {
        int rc = store_path_of_id(s, txn, id, &d->path);
        if (rc)
            return rc;
    }
    sv->n_damaged++;
    return 0;
}

/* Blocks: damaged headers (whole blocks) and damaged slots. */
static int survey_blocks(maso_store *s, MDB_txn *txn, store_survey *sv)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_blocks, &cur);
    if (rc)
        return store_mdb(s, rc, "cursor");
    uint8_t sum[MASO_SEARCH_SUMMARY_BITS_MAX / 8];
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!rc && mrc == 0) {
        store_block b;
        uint64_t number = store_key_id(&k);
        if (k.mv_size != 8) {
            rc = store_fail(s, MASO_EDATA, "%s: malformed block key",
                            s->path);
            break;
        }
        store_prefetch(v.mv_data, v.mv_size); /* read whole: see open.c */
        if (store_block_parse(s, number, &v, &b) != 0) {
            rc = push_id(s, &sv->bad_blocks, &sv->n_bad_blocks,
                         &sv->cap_bad_blocks, number);
        } else {
            for (size_t i = 0; !rc && i < s->block_records; i++) {
                if (!store_block_has(&b, i))
                    continue;
                sv->sketches++;
                uint64_t id = number * s->block_records + i;
                maso_search_summarize(s->search, b.sketches + i * s->stride,
                                      sum);
                if (store_block_slot_verify(s, &b, i) != 0 ||
                    memcmp(sum, b.summaries + i * s->summary_bytes,
                           s->summary_bytes) != 0)
                    rc = push_id(s, &sv->bad_slots, &sv->n_bad_slots,
                                 &sv->cap_bad_slots, id);
            }
        }
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(s, mrc, "iterate blocks");
    mdb_cursor_close(cur);
    return rc;
}

/* One record: its own value, path entry, sketch and code. */
static int survey_record(maso_store *s, MDB_txn *txn, const MDB_val *k,
                         const MDB_val *v, store_survey *sv)
{
    uint64_t id = store_key_id(k);
    if (id == 0 || (!sv->counters_damaged && id >= sv->counters.next_id))
        return store_fail(s, MASO_EDATA, "%s: record id %llu outside "
                          "[1, next_id %llu)", s->path,
                          (unsigned long long)id,
                          (unsigned long long)sv->counters.next_id);
    if (id > sv->max_id)
        sv->max_id = id;
    store_record_view r;
    if (store_record_decode(s, id, v, &r) != 0)
        return add_damage(s, txn, sv, id, "record", NULL, 0);
#define DAMAGED(what) add_damage(s, txn, sv, id, what, r.path, r.path_len)
    uint64_t found = 0;
    if (store_path_lookup(s, txn, r.path, r.path_len, &found) != 0 ||
        found != id)
        return DAMAGED("path index");
    uint64_t number = id / s->block_records;
    int present = 0;
    /* A damaged block takes the sketches of its OK records with it; a
     * failed record has none there to lose. */
    int bad_block = has_id(sv->bad_blocks, sv->n_bad_blocks, number);
    if (bad_block && r.status == MASO_RECORD_OK)
        return DAMAGED("sketch block");
    if (!bad_block && store_sketch_present(s, txn, id, &present) != 0)
        return DAMAGED("sketch block");
    if (r.status == MASO_RECORD_OK &&
        (!present || has_id(sv->bad_slots, sv->n_bad_slots, id)))
        return DAMAGED("sketch");
    if (r.status == MASO_RECORD_FAILED && present)
        return DAMAGED("sketch");
    const uint8_t *p;
    if (r.flags & STORE_FLAG_CODE) {
        if (store_blob_get(s, txn, s->dbi_codes, STORE_CODE_MAGIC, id,
                           s->code_bytes, &p) != 0)
            return DAMAGED("full code");
        sv->codes++;
    } else if (has_key(txn, s->dbi_codes, id)) {
        return DAMAGED("full code");
    }
    if (s->has_orients && has_key(txn, s->dbi_orients, id) &&
        (r.status != MASO_RECORD_OK ||
         store_blob_get(s, txn, s->dbi_orients, STORE_ORIENTS_MAGIC, id,
                        STORE_ORIENTS_BYTES(s), &p) != 0))
        return DAMAGED("orientation sketches");
#undef DAMAGED
    if (r.status == MASO_RECORD_OK)
        sv->ok++;
    else
        sv->failed++;
    return 0;
}

int store_survey_run(maso_store *s, MDB_txn *txn, store_survey *sv)
{
    memset(sv, 0, sizeof *sv);
    int rc = store_counters_read(s, txn, &sv->counters);
    if (rc == MASO_EDATA)
        sv->counters_damaged = 1;
    else if (rc)
        return rc;
    rc = survey_blocks(s, txn, sv);
    if (rc)
        return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, s->dbi_records, &cur)) != 0)
        return store_mdb(s, rc, "cursor");
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (!rc && mrc == 0) {
        rc = survey_record(s, txn, &k, &v, sv);
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc != MDB_NOTFOUND)
        rc = store_mdb(s, mrc, "iterate records");
    mdb_cursor_close(cur);
    return rc;
}

void store_survey_free(store_survey *sv)
{
    for (size_t i = 0; i < sv->n_damaged; i++)
        free(sv->damaged[i].path);
    free(sv->damaged);
    free(sv->bad_blocks);
    free(sv->bad_slots);
    memset(sv, 0, sizeof *sv);
}

/* With nothing damaged: the counters and the other tables agree with the
 * records. */
static int check_counts(maso_store *s, MDB_txn *txn, const store_survey *sv)
{
    const store_counters *c = &sv->counters;
    MDB_stat paths, codes;
    int rc = mdb_stat(txn, s->dbi_paths, &paths);
    if (!rc)
        rc = mdb_stat(txn, s->dbi_codes, &codes);
    if (rc)
        return store_mdb(s, rc, "stat");
    if (sv->ok != c->ok || sv->failed != c->failed || sv->codes != c->codes)
        return store_fail(s, MASO_EDATA, "%s: counters (ok %llu, failed "
                          "%llu, codes %llu) differ from the records (%llu, "
                          "%llu, %llu)", s->path, (unsigned long long)c->ok,
                          (unsigned long long)c->failed,
                          (unsigned long long)c->codes,
                          (unsigned long long)sv->ok,
                          (unsigned long long)sv->failed,
                          (unsigned long long)sv->codes);
    /* Every path entry belongs to a record reached above, and every OK
     * record's presence bit was seen set, so equal counts mean no stray
     * entries or presence bits. */
    if (paths.ms_entries != sv->ok + sv->failed || sv->sketches != sv->ok ||
        codes.ms_entries != sv->codes)
        return store_fail(s, MASO_EDATA, "%s: stray entries: %zu paths, %llu "
                          "sketches, %zu codes for %llu records", s->path,
                          paths.ms_entries, (unsigned long long)sv->sketches,
                          codes.ms_entries,
                          (unsigned long long)(sv->ok + sv->failed));
    return 0;
}

int maso_store_check_damage(maso_store *store,
                            int (*fn)(void *arg, const maso_store_damage *d),
                            void *arg, uint64_t *n_damaged)
{
    if (n_damaged)
        *n_damaged = 0;
    if (!store)
        return MASO_EINVAL_ARG;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    MDB_txn *txn;
    int rc = store_txn_begin(store, MDB_RDONLY, &txn);
    if (rc)
        return store_status(rc);
    store_survey sv;
    rc = store_survey_run(store, txn, &sv);
    for (size_t i = 0; !rc && fn && i < sv.n_damaged; i++) {
        maso_store_damage d = {sv.damaged[i].id, sv.damaged[i].path,
                               sv.damaged[i].what};
        rc = fn(arg, &d);
    }
    if (!rc && n_damaged)
        *n_damaged = sv.n_damaged;
    if (!rc && sv.n_damaged > 0) {
        const store_damage_item *d = &sv.damaged[0];
        rc = store_fail(store, MASO_EDATA, "%s: %zu damaged records, the "
                        "first: %llu (%s, %s): run maso-index --repair",
                        store->path, sv.n_damaged,
                        (unsigned long long)d->id,
                        d->path ? d->path : "path unknown", d->what);
    } else if (!rc && sv.n_bad_blocks > 0) {
        rc = store_fail(store, MASO_EDATA, "%s: sketch block %llu is "
                        "damaged: run maso-index --repair", store->path,
                        (unsigned long long)sv.bad_blocks[0]);
    } else if (!rc && sv.counters_damaged) {
        rc = store_fail(store, MASO_EDATA, "%s: the record counters are "
                        "damaged: run maso-index --repair", store->path);
    } else if (!rc) {
        rc = check_counts(store, txn, &sv);
    }
    store_survey_free(&sv);
    mdb_txn_abort(txn);
    if (!rc)
        store->errmsg[0] = '\0';
    return store_status(rc);
}

int maso_store_check(maso_store *store)
{
    return maso_store_check_damage(store, NULL, NULL, NULL);
}

int maso_store_checksums(const maso_store *store)
{
    return store && store->env ? store->checksums : 0;
}
