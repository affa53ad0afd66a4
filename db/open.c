/*
 * open.c -- maso_store_open(): find or create the environment, check that
 * its files are whole, open the sub-databases, load and compare the
 * identity.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Named sub-databases and their flags. */
static int open_dbis(maso_store *s, MDB_txn *txn, int create)
{
    static const struct {
        const char *name;
        unsigned flags;
        size_t off;
    } dbs[] = {
        {"meta", 0, offsetof(maso_store, dbi_meta)},
        {"records", 0, offsetof(maso_store, dbi_records)},
        {"paths", MDB_DUPSORT | MDB_DUPFIXED, offsetof(maso_store, dbi_paths)},
        {"blocks", 0, offsetof(maso_store, dbi_blocks)},
        {"codes", 0, offsetof(maso_store, dbi_codes)},
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
        int rc = mdb_dbi_open(txn, dbs[i].name,
                              dbs[i].flags | (create ? MDB_CREATE : 0), dbi);
        if (rc == MDB_NOTFOUND)
            return store_fail(s, MASO_EDATA, "%s: not a maso store (no "
                              "\"%s\" table)", s->path, dbs[i].name);
        if (rc)
            return store_mdb(s, rc, dbs[i].name);
    }
    /* Added after schema 3 was first written: a store opened read-only
     * may predate it (its records then keep no orientation sketches); one
     * opened for writing gets it. */
    int rc = mdb_dbi_open(txn, "orients", create ? MDB_CREATE : 0,
                          &s->dbi_orients);
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb(s, rc, "orients");
    s->has_orients = rc == 0;
    return 0;
}

/*
 * LMDB maps the file and trusts its meta page: if the file was truncated
 * (copied partially, disk full), touching a page past its end raises
 * SIGBUS.  Refuse such files up front.
 */
static int check_file_size(maso_store *s)
{
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(s->env, &info);
    if (!rc)
        rc = mdb_env_stat(s->env, &st);
    if (rc)
        return store_mdb(s, rc, "env info");
    s->page_size = st.ms_psize;
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", s->path);
    struct stat sb;
    if (stat(file, &sb) != 0)
        return store_fail(s, errno, "%s: %s", file, strerror(errno));
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    if ((uint64_t)sb.st_size < need)
        return store_fail(s, MASO_EDATA, "%s: truncated: %llu bytes, the "
                          "store's pages need %llu", file,
                          (unsigned long long)sb.st_size,
                          (unsigned long long)need);
    return 0;
}

/* Locate the directory; report whether data.mdb exists. */
static int find_dir(maso_store *s, unsigned flags, int *exists)
{
    struct stat sb;
    if ((flags & MASO_STORE_CREATE) && !(flags & MASO_STORE_RDONLY) &&
        mkdir(s->path, 0777) != 0 && errno != EEXIST)
        return store_fail(s, errno, "%s: cannot create store directory: %s",
                          s->path, strerror(errno));
    if (stat(s->path, &sb) != 0)
        return store_fail(s, errno, "%s: %s", s->path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return store_fail(s, ENOTDIR, "%s: not a directory", s->path);
    char file[4096];
    snprintf(file, sizeof file, "%s/data.mdb", s->path);
    *exists = stat(file, &sb) == 0 && sb.st_size > 0;
    if (!*exists && !(flags & MASO_STORE_CREATE))
        return store_fail(s, ENOENT, "%s: no maso store here (no data.mdb)",
                          s->path);
    if (!*exists && (flags & MASO_STORE_RDONLY))
        return store_fail(s, ENOENT, "%s: no maso store here (no data.mdb) "
                          "and read-only", s->path);
    return 0;
}

static int open_env(maso_store *s, unsigned flags, int exists)
{
    int rc = mdb_env_create(&s->env);
    if (rc)
        return store_mdb(s, rc, "create environment");
    mdb_env_set_maxdbs(s->env, 8);
    /* An existing store keeps the map size it last grew to. */
    if (!exists)
        mdb_env_set_mapsize(s->env, (size_t)s->init_map_size);
    /* MDB_NOTLS: scans may live in any thread.  MDB_NORDAHEAD: a query
     * touches one summary region every ~490 KB of sketches and then the
     * sketches of its candidates; the kernel's read-around for each page
     * fault (128 KB to several MB) would read the sketches between them
     * too, so on a store larger than the page cache every query read most
     * of the file (4,000,000 records in 30 GB: 18 s per query, against
     * 0.4 s without read-around).  Whole passes (exact scans, duplicates,
     * --check) ask for their pages ahead instead (store_prefetch). */
    unsigned eflags = MDB_NOTLS | MDB_NORDAHEAD;
    if (flags & MASO_STORE_RDONLY)
        eflags |= MDB_RDONLY;
    if (flags & MASO_STORE_NOSYNC)
        eflags |= MDB_NOSYNC;
    rc = mdb_env_open(s->env, s->path, eflags, 0666);
    if (rc) {
        store_mdb(s, rc, "open environment");
        mdb_env_close(s->env);
        s->env = NULL;
        return rc;
    }
    return check_file_size(s);
}

/* Open the tables and load (or, when new, write) the metadata. */
static int open_tables(maso_store *s, unsigned flags,
                       const maso_store_identity *expected)
{
    int rdonly = (flags & MASO_STORE_RDONLY) != 0;
    MDB_txn *txn;
    int rc = store_txn_begin(s, rdonly ? MDB_RDONLY : 0, &txn);
    if (rc)
        return rc;
    rc = open_dbis(s, txn, !rdonly);
    if (rc == 0 && !rdonly) {
        MDB_stat st;
        rc = mdb_stat(txn, s->dbi_meta, &st);
        if (rc == 0 && st.ms_entries == 0) {
            if (!(flags & MASO_STORE_CREATE))
                rc = store_fail(s, MASO_EDATA, "%s: not a maso store (empty)",
                                s->path);
            else if (!expected)
                rc = store_fail(s, MASO_EINVAL_ARG, "%s: creating a store "
                                "needs an identity", s->path);
            else
                rc = store_meta_init(s, txn, expected);
        } else if (rc) {
            store_mdb(s, rc, "meta");
        }
    }
    if (rc == 0)
        rc = store_meta_load(s, txn, expected);
    if (rc == 0) {
        /* dbi handles become usable by other transactions on commit. */
        rc = mdb_txn_commit(txn);
        if (rc)
            store_mdb(s, rc, "commit");
    } else {
        mdb_txn_abort(txn);
    }
    return rc;
}

/* Forget a partly loaded identity after a failed open. */
static void reset(maso_store *s)
{
    if (s->env) {
        mdb_env_close(s->env);
        s->env = NULL;
    }
    maso_sketch_destroy(s->sketch);
    maso_search_destroy(s->search);
    s->search = NULL;
    free(s->layers);
    free(s->layer_names);
    free(s->preprocess);
    s->sketch = NULL;
    s->layers = NULL;
    s->layer_names = NULL;
    s->preprocess = NULL;
    memset(&s->identity, 0, sizeof s->identity);
}

int maso_store_open(maso_store *store, const char *path, unsigned flags,
                    const maso_store_identity *expected)
{
    if (!store)
        return MASO_EINVAL_ARG;
    if (store->env)
        return store_fail(store, MASO_EINVAL_ARG, "%s: already open",
                          store->path);
    if (!path || !*path || strlen(path) > 3900)
        return store_fail(store, MASO_EINVAL_ARG, "store path empty or "
                          "too long");
    free(store->path);
    store->path = strdup(path);
    if (!store->path)
        return store_fail(store, ENOMEM, "out of memory");
    store->flags = flags;
    store->errmsg[0] = '\0';
    int exists = 0;
    int rc = find_dir(store, flags, &exists);
    if (rc == 0)
        rc = open_env(store, flags, exists);
    if (rc == 0)
        rc = open_tables(store, flags, expected);
    if (rc == 0) {
        store->errmsg[0] = '\0';
        return MASO_SUCCESS;
    }
    reset(store);
    return store_status(rc);
}
