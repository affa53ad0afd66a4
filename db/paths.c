/*
 * paths.c -- the "paths" table: path -> id.
 *
 * LMDB keys are limited to 511 bytes, and paths are not.  A path of at most
 * MASO_STORE_SHORT_PATH bytes is its own key; a longer one is keyed by a NUL
 * byte followed by its SHA-256 (a path never contains NUL, so the two key
 * kinds cannot collide).  The table is DUPSORT: a hashed key may hold the
 * ids of several paths, and a lookup compares the path kept in each
 * candidate's record, so even a SHA-256 collision stays correct.
 */
#include "store_internal.h"

#include <string.h>

#define MAX_PATH_BYTES (1u << 20)

typedef struct path_key {
    uint8_t hashed[33];
    MDB_val val;
} path_key;

static void make_key(const char *path, size_t len, path_key *k)
{
    if (len <= MASO_STORE_SHORT_PATH) {
        k->val.mv_size = len;
        k->val.mv_data = (void *)path;
        return;
    }
    maso_sha256 ctx;
    maso_sha256_init(&ctx);
    maso_sha256_update(&ctx, path, len);
    k->hashed[0] = 0;
    maso_sha256_final(&ctx, k->hashed + 1);
    k->val.mv_size = sizeof k->hashed;
    k->val.mv_data = k->hashed;
}

int store_path_check(maso_store *s, const char *path)
{
    size_t len = path ? strlen(path) : 0;
    if (len == 0 || len > MAX_PATH_BYTES)
        return store_fail(s, MASO_EINVAL_ARG, "path empty or longer than "
                          "%u bytes", MAX_PATH_BYTES);
    return 0;
}

int store_path_lookup(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t *id)
{
    path_key k;
    make_key(path, len, &k);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, s->dbi_paths, &cur);
    if (rc)
        return store_mdb(s, rc, "path index");
    MDB_val v;
    rc = mdb_cursor_get(cur, &k.val, &v, MDB_SET_KEY);
    while (rc == 0) {
        uint64_t cand = store_key_id(&v);
        if (cand == 0) {
            rc = store_fail(s, MASO_EDATA, "%s: malformed path index entry "
                            "for %s", s->path, path);
            break;
        }
        if (len <= MASO_STORE_SHORT_PATH) {
            *id = cand;
            break;
        }
        store_record_view rec;
        rc = store_record_read(s, txn, cand, &rec);
        if (rc == MASO_ENOTFOUND)
            rc = store_fail(s, MASO_EDATA, "%s: path index entry of %s "
                            "points to missing record %llu", s->path, path,
                            (unsigned long long)cand);
        if (rc)
            break;
        if (rec.path_len == len && memcmp(rec.path, path, len) == 0) {
            *id = cand;
            break;
        }
        rc = mdb_cursor_get(cur, &k.val, &v, MDB_NEXT_DUP);
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        return store_fail(s, MASO_ENOTFOUND, "%s: not in the store", path);
    if (rc < 0 && rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return store_mdb(s, rc, "path index");
    return rc;
}

/* The key of @p path and the value holding @p id, for put and delete. */
static void make_entry(const char *path, size_t len, uint64_t id,
                       path_key *k, uint8_t idb[8], MDB_val *v)
{
    make_key(path, len, k);
    store_id_key(id, idb);
    v->mv_size = 8;
    v->mv_data = idb;
}

int store_path_insert(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t id)
{
    path_key k;
    uint8_t idb[8];
    MDB_val v;
    make_entry(path, len, id, &k, idb, &v);
    int rc = mdb_put(txn, s->dbi_paths, &k.val, &v, MDB_NODUPDATA);
    return rc ? store_mdb(s, rc, "insert path") : 0;
}

int store_path_remove(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t id)
{
    path_key k;
    uint8_t idb[8];
    MDB_val v;
    make_entry(path, len, id, &k, idb, &v);
    int rc = mdb_del(txn, s->dbi_paths, &k.val, &v);
    if (rc == MDB_NOTFOUND)
        return store_fail(s, MASO_EDATA, "%s: path index lacks %s", s->path,
                          path);
    return rc ? store_mdb(s, rc, "remove path") : 0;
}
