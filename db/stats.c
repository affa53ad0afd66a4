/*
 * stats.c -- counts from the meta counters and space from LMDB's page
 * statistics, all from one snapshot.
 */
#include "store_internal.h"

#include <string.h>

static uint64_t pages(const MDB_stat *st)
{
    return (uint64_t)st->ms_branch_pages + st->ms_leaf_pages +
           st->ms_overflow_pages;
}

int maso_store_get_stats(maso_store *store, maso_store_stats *stats)
{
    if (!store || !stats)
        return MASO_EINVAL_ARG;
    memset(stats, 0, sizeof *stats);
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    MDB_txn *txn;
    int rc = store_txn_begin(store, MDB_RDONLY, &txn);
    if (rc)
        return store_status(rc);
    store_counters c;
    rc = store_counters_read(store, txn, &c);
    const struct {
        MDB_dbi dbi;
        uint64_t *out;
    } dbs[] = {
        {store->dbi_meta, &stats->pages_meta},
        {store->dbi_records, &stats->pages_records},
        {store->dbi_paths, &stats->pages_paths},
        {store->dbi_blocks, &stats->pages_sketches},
        {store->dbi_codes, &stats->pages_codes},
    };
    uint64_t total = 0;
    if (!rc && store->has_orients) {
        MDB_stat st;
        rc = mdb_stat(txn, store->dbi_orients, &st);
        if (rc)
            store_mdb(store, rc, "stat");
        stats->orients = st.ms_entries;
        stats->pages_orients = pages(&st);
        total += pages(&st);
    }
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0] && !rc; i++) {
        MDB_stat st;
        rc = mdb_stat(txn, dbs[i].dbi, &st);
        if (rc)
            store_mdb(store, rc, "stat");
        *dbs[i].out = pages(&st);
        total += pages(&st);
    }
    MDB_envinfo info;
    MDB_stat env;
    if (rc) {
        /* the message of the counters or of mdb_stat stands */
    } else if ((rc = mdb_env_info(store->env, &info)) == 0 &&
               (rc = mdb_env_stat(store->env, &env)) == 0) {
        stats->records = c.ok + c.failed;
        stats->ok = c.ok;
        stats->failed = c.failed;
        stats->codes = c.codes;
        stats->next_id = c.next_id;
        stats->page_size = env.ms_psize;
        stats->map_size = info.me_mapsize;
        stats->map_grows = store->map_grows;
        stats->file_bytes = ((uint64_t)info.me_last_pgno + 1) * env.ms_psize;
        if (stats->records)
            stats->bytes_per_record =
                (double)(total * env.ms_psize) / (double)stats->records;
    } else {
        store_mdb(store, rc, "env info");
    }
    mdb_txn_abort(txn);
    return store_status(rc);
}
