/*
 * scan.c -- sketches in id order, read in place from the memory map.
 *
 * A step walks the presence bits of the current block; the cursor moves
 * (and the next block's header is checked) once per block, not per
 * sketch.  Sketches are 64-byte aligned by construction (see block.c); an
 * unaligned one (another LMDB page layout) is copied rather than trusted.
 */
#include "scan_internal.h"
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store_scan {
    maso_store *store;
    MDB_txn *txn;
    MDB_cursor *cur;
    size_t bytes;
    MDB_cursor_op next_op; /* how to fetch the next block */
    int have_block, at_end;
    store_block block;
    size_t slot;           /* next slot of block to look at */
    uint8_t *copy; /* aligned fallback buffer, allocated on first need */
    uint64_t copies;
};

int store_scan_begin(maso_store *store, store_scan **scan)
{
    if (!store || !scan)
        return MASO_EINVAL_ARG;
    *scan = NULL;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    store_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return store_fail(store, ENOMEM, "out of memory");
    sc->store = store;
    sc->bytes = maso_sketch_bytes(store->sketch);
    sc->next_op = MDB_FIRST;
    int rc = store_scan_txn_begin(store, &sc->txn);
    if (rc) {
        free(sc);
        return store_status(rc);
    }
    rc = mdb_cursor_open(sc->txn, store->dbi_blocks, &sc->cur);
    if (rc) {
        store_mdb(store, rc, "scan cursor");
        store_scan_txn_end(store, sc->txn);
        free(sc);
        return store_status(rc);
    }
    *scan = sc;
    return MASO_SUCCESS;
}

/* Fetch a block with cursor operation @p op (key @p k for MDB_SET_RANGE). */
static int fetch(store_scan *sc, MDB_val *k, MDB_cursor_op op)
{
    MDB_val v;
    int rc = mdb_cursor_get(sc->cur, k, &v, op);
    sc->have_block = 0;
    if (rc == MDB_NOTFOUND) {
        sc->at_end = 1;
        return 0;
    }
    if (rc)
        return store_mdb(sc->store, rc, "scan");
    if (k->mv_size != 8)
        return store_fail(sc->store, MASO_EDATA, "%s: malformed sketch block "
                          "key (%zu bytes)", sc->store->path, k->mv_size);
    uint64_t number = store_key_id(k);
    rc = store_block_parse(sc->store, number, &v, &sc->block);
    if (rc)
        return rc;
    sc->have_block = 1;
    sc->slot = 0;
    sc->next_op = MDB_NEXT;
    return 0;
}

int store_scan_seek(store_scan *scan, uint64_t id)
{
    if (!scan)
        return MASO_EINVAL_ARG;
    size_t B = scan->store->block_records;
    uint8_t kb[8];
    store_id_key(id / B, kb);
    MDB_val k = {8, kb};
    scan->at_end = 0;
    int rc = fetch(scan, &k, MDB_SET_RANGE);
    if (rc)
        return store_status(rc);
    if (scan->have_block && scan->block.number == id / B)
        scan->slot = id % B;
    return MASO_SUCCESS;
}

int store_scan_next(store_scan *scan, uint64_t *id,
                    const uint8_t **sketch)
{
    if (!scan || !id || !sketch)
        return MASO_EINVAL_ARG;
    size_t B = scan->store->block_records;
    for (;;) {
        if (scan->at_end)
            return MASO_ENOTFOUND;
        if (!scan->have_block) {
            MDB_val k;
            int rc = fetch(scan, &k, scan->next_op);
            if (rc)
                return store_status(rc);
            continue;
        }
        while (scan->slot < B && !store_block_has(&scan->block, scan->slot))
            scan->slot++;
        if (scan->slot == B) {
            scan->have_block = 0;
            continue;
        }
        break;
    }
    size_t slot = scan->slot++;
    *id = scan->block.number * B + slot;
    const uint8_t *p = scan->block.sketches + slot * scan->store->stride;
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

uint64_t store_scan_copies(const store_scan *scan)
{
    return scan ? scan->copies : 0;
}

void store_scan_end(store_scan *scan)
{
    if (!scan)
        return;
    mdb_cursor_close(scan->cur);
    store_scan_txn_end(scan->store, scan->txn);
    free(scan->copy);
    free(scan);
}
