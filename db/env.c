/*
 * env.c -- the store handle: lifetime, messages, status codes, transactions
 * and map growth.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Default initial map: large enough that small indexes never grow, small
 * enough for 32-bit address spaces.  The file only holds used pages. */
#define STORE_DEFAULT_MAP (1ull << 30)
/* Growth stops here (the map must fit the address space). */
#define STORE_MAX_MAP (1ull << 44)

int maso_store_create(maso_store **store)
{
    if (!store)
        return MASO_EINVAL_ARG;
    maso_store *s = calloc(1, sizeof *s);
    if (!s) {
        *store = NULL;
        return ENOMEM;
    }
    s->init_map_size = STORE_DEFAULT_MAP;
    s->block_records_init = STORE_BLOCK_DEFAULT;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        *store = NULL;
        return ENOMEM;
    }
    *store = s;
    return MASO_SUCCESS;
}

void maso_store_destroy(maso_store *store)
{
    if (!store)
        return;
    if (store->env)
        mdb_env_close(store->env); /* closes the dbi handles too */
    maso_sketch_destroy(store->sketch);
    maso_search_destroy(store->search);
    free(store->layers);
    free(store->layer_names);
    free(store->preprocess);
    free(store->path);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

int maso_store_set_map_size(maso_store *store, uint64_t bytes)
{
    if (!store)
        return MASO_EINVAL_ARG;
    if (store->env || bytes < 65536 || bytes > STORE_MAX_MAP)
        return store_fail(store, MASO_EINVAL_ARG,
                          "map size %llu: must be set before open, between "
                          "64 KiB and 16 TiB", (unsigned long long)bytes);
    store->init_map_size = bytes;
    store->errmsg[0] = '\0';
    return MASO_SUCCESS;
}

int maso_store_set_block_records(maso_store *store, size_t records)
{
    if (!store)
        return MASO_EINVAL_ARG;
    if (store->env || records < STORE_BLOCK_MIN || records > STORE_BLOCK_MAX ||
        records % 8)
        return store_fail(store, MASO_EINVAL_ARG, "block size %zu: must be "
                          "set before open, a multiple of 8 in [%d, %d]",
                          records, STORE_BLOCK_MIN, STORE_BLOCK_MAX);
    store->block_records_init = records;
    store->errmsg[0] = '\0';
    return MASO_SUCCESS;
}

const char *maso_store_errmsg(const maso_store *store)
{
    return store ? store->errmsg : "no store";
}

const maso_store_identity *maso_store_get_identity(const maso_store *store)
{
    return store && store->env ? &store->identity : NULL;
}

const maso_sketch *maso_store_sketch(const maso_store *store)
{
    return store ? store->sketch : NULL;
}

int store_mdb(maso_store *s, int rc, const char *what)
{
    return store_fail(s, rc, "%s: %s: %s", s->path ? s->path : "store", what,
                      mdb_strerror(rc));
}

int store_status(int rc)
{
    switch (rc) {
    case MDB_SUCCESS: return MASO_SUCCESS;
    case MDB_NOTFOUND: return MASO_ENOTFOUND;
    case MDB_MAP_FULL: return ENOSPC;
    case MDB_READERS_FULL:
    case MDB_MAP_RESIZED: return EAGAIN;
    case MDB_TXN_FULL: return EFBIG;
    case MDB_VERSION_MISMATCH: return MASO_EMISMATCH;
    default: break;
    }
    /* Every other LMDB code means the files are not what we expect
     * (MDB_INVALID, MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INCOMPATIBLE...). */
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return MASO_EDATA;
    return rc;
}

/* Called with s->lock held. */
static int begin_locked(maso_store *s, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(s->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED && s->scans_open == 0) {
        /* Another process grew the map: adopt its size and retry.  Safe
         * only while no transaction of ours uses the old mapping. */
        rc = mdb_env_set_mapsize(s->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin(s->env, NULL, flags, txn);
    }
    return rc;
}

int store_txn_begin(maso_store *s, unsigned flags, MDB_txn **txn)
{
    pthread_mutex_lock(&s->lock);
    int rc = begin_locked(s, flags, txn);
    pthread_mutex_unlock(&s->lock);
    if (rc == MDB_MAP_RESIZED)
        return store_fail(s, rc, "%s: the store grew in another process; "
                          "end the open scans and retry", s->path);
    return rc ? store_mdb(s, rc, "begin transaction") : 0;
}

int store_scan_txn_begin(maso_store *s, MDB_txn **txn)
{
    pthread_mutex_lock(&s->lock);
    int rc = begin_locked(s, MDB_RDONLY, txn);
    if (rc == 0)
        s->scans_open++;
    pthread_mutex_unlock(&s->lock);
    if (rc == MDB_MAP_RESIZED)
        return store_fail(s, rc, "%s: the store grew in another process; "
                          "end the open scans and retry", s->path);
    return rc ? store_mdb(s, rc, "begin scan") : 0;
}

void store_scan_txn_end(maso_store *s, MDB_txn *txn)
{
    pthread_mutex_lock(&s->lock);
    mdb_txn_abort(txn);
    s->scans_open--;
    pthread_mutex_unlock(&s->lock);
}

int store_grow(maso_store *s)
{
    MDB_envinfo info;
    int rc = mdb_env_info(s->env, &info);
    if (rc)
        return store_mdb(s, rc, "env info");
    uint64_t size = (uint64_t)info.me_mapsize * 2;
    if (size > STORE_MAX_MAP)
        return store_fail(s, ENOSPC, "%s: map full at %llu bytes (limit)",
                          s->path, (unsigned long long)info.me_mapsize);
    pthread_mutex_lock(&s->lock);
    int scans = s->scans_open;
    pthread_mutex_unlock(&s->lock);
    if (scans > 0)
        return store_fail(s, ENOSPC, "%s: map full and cannot grow while a "
                          "scan of this handle is open", s->path);
    rc = mdb_env_set_mapsize(s->env, (size_t)size);
    if (rc)
        return store_mdb(s, rc, "grow map");
    s->map_grows++;
    return 0;
}

void store_prefetch(const void *data, size_t n)
{
    static const uintptr_t fallback = 4096;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t mask = (page > 0 ? (uintptr_t)page : fallback) - 1;
    uintptr_t from = (uintptr_t)data & ~mask;
    uintptr_t to = ((uintptr_t)data + n + mask) & ~mask;
    if (n)
        (void)posix_madvise((void *)from, to - from, POSIX_MADV_WILLNEED);
}
