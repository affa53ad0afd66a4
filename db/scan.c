/*
 * scan.c -- sketches in id order, read in place from the memory map.
 *
 * This is the query's hot loop over up to millions of values, so a step is
 * one cursor move and a few checks: key size, value size and magic.  The
 * returned pointer is 64-byte aligned by construction (see blob.c); an
 * unaligned one (another LMDB page layout) is copied rather than trusted.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { SCAN_START, SCAN_CURRENT, SCAN_NEXT, SCAN_END };

struct maso_store_scan {
    maso_store *store;
    MDB_txn *txn;
    MDB_cursor *cur;
    size_t bytes;
    int state;
    uint8_t *copy; /* aligned fallback buffer, allocated on first need */
    uint64_t copies;
};

int maso_store_scan_begin(maso_store *store, maso_store_scan **scan)
{
    if (!store || !scan)
        return MASO_EINVAL_ARG;
    *scan = NULL;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    maso_store_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return store_fail(store, ENOMEM, "out of memory");
    sc->store = store;
    sc->bytes = maso_sketch_bytes(store->sketch);
    int rc = store_scan_txn_begin(store, &sc->txn);
    if (rc) {
        free(sc);
        return store_status(rc);
    }
    rc = mdb_cursor_open(sc->txn, store->dbi_sketches, &sc->cur);
    if (rc) {
        store_mdb(store, rc, "scan cursor");
        store_scan_txn_end(store, sc->txn);
        free(sc);
        return store_status(rc);
    }
    *scan = sc;
    return MASO_SUCCESS;
}

int maso_store_scan_seek(maso_store_scan *scan, uint64_t id)
{
    if (!scan)
        return MASO_EINVAL_ARG;
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, v;
    int rc = mdb_cursor_get(scan->cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) {
        scan->state = SCAN_END;
        return MASO_SUCCESS;
    }
    if (rc)
        return store_status(store_mdb(scan->store, rc, "scan seek"));
    scan->state = SCAN_CURRENT;
    return MASO_SUCCESS;
}

int maso_store_scan_next(maso_store_scan *scan, uint64_t *id,
                         const uint8_t **sketch)
{
    if (!scan || !id || !sketch)
        return MASO_EINVAL_ARG;
    static const MDB_cursor_op ops[] = {MDB_FIRST, MDB_GET_CURRENT, MDB_NEXT};
    if (scan->state == SCAN_END)
        return MASO_ENOTFOUND;
    MDB_val k, v;
    int rc = mdb_cursor_get(scan->cur, &k, &v, ops[scan->state]);
    if (rc == MDB_NOTFOUND) {
        scan->state = SCAN_END;
        return MASO_ENOTFOUND;
    }
    if (rc)
        return store_status(store_mdb(scan->store, rc, "scan"));
    scan->state = SCAN_NEXT;
    *id = store_key_id(&k);
    const uint8_t *p = store_blob_payload(&v, STORE_SKETCH_MAGIC, 0,
                                          scan->bytes);
    if (!*id || !p)
        return store_fail(scan->store, MASO_EDATA, "%s: malformed sketch "
                          "value (%zu bytes) at id %llu", scan->store->path,
                          v.mv_size, (unsigned long long)*id);
    if ((uintptr_t)p % 64 != 0) {
        if (!scan->copy) {
            scan->copy = aligned_alloc(64, (scan->bytes + 63) / 64 * 64);
            if (!scan->copy)
                return store_fail(scan->store, ENOMEM, "out of memory");
        }
        memcpy(scan->copy, p, scan->bytes);
        p = scan->copy;
        scan->copies++;
    }
    *sketch = p;
    return MASO_SUCCESS;
}

uint64_t maso_store_scan_copies(const maso_store_scan *scan)
{
    return scan ? scan->copies : 0;
}

void maso_store_scan_end(maso_store_scan *scan)
{
    if (!scan)
        return;
    mdb_cursor_close(scan->cur);
    store_scan_txn_end(scan->store, scan->txn);
    free(scan->copy);
    free(scan);
}
