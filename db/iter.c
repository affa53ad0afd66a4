/*
 * iter.c -- maso_store_foreach(): every record in id order, in one
 * snapshot, with sketches and codes read in place.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Path and reason as NUL-terminated strings in one reusable buffer. */
typedef struct text_buf {
    char *p;
    size_t cap;
} text_buf;

static int set_text(text_buf *t, const store_record_view *v)
{
    size_t need = v->path_len + v->reason_len + 2;
    if (need > t->cap) {
        char *p = realloc(t->p, need);
        if (!p)
            return ENOMEM;
        t->p = p;
        t->cap = need;
    }
    memcpy(t->p, v->path, v->path_len);
    t->p[v->path_len] = '\0';
    memcpy(t->p + v->path_len + 1, v->reason, v->reason_len);
    t->p[v->path_len + 1 + v->reason_len] = '\0';
    return 0;
}

static int visit(maso_store *s, MDB_txn *txn, const MDB_val *k,
                 const MDB_val *v, unsigned want, text_buf *text,
                 int (*fn)(const maso_store_record *, void *), void *arg)
{
    uint64_t id = store_key_id(k);
    store_record_view view;
    int rc = id ? store_record_decode(s, id, v, &view)
                : store_fail(s, MASO_EDATA, "%s: malformed record key",
                             s->path);
    if (rc)
        return rc;
    if (set_text(text, &view))
        return store_fail(s, ENOMEM, "out of memory");
    maso_store_record r = {id, text->p, view.size, view.mtime_ns,
                           (maso_record_status)view.status, NULL, NULL, NULL};
    if (view.status == MASO_RECORD_FAILED)
        r.reason = text->p + view.path_len + 1;
    if ((want & MASO_STORE_WANT_SKETCH) && view.status == MASO_RECORD_OK)
        rc = store_sketch_get(s, txn, id, &r.sketch);
    if (!rc && (want & MASO_STORE_WANT_CODE) && (view.flags & STORE_FLAG_CODE))
        rc = store_blob_get(s, txn, s->dbi_codes, STORE_CODE_MAGIC, id,
                            s->code_bytes, &r.code);
    return rc ? rc : fn(&r, arg);
}

int maso_store_foreach(maso_store *store, unsigned want,
                       int (*fn)(const maso_store_record *record, void *arg),
                       void *arg)
{
    if (!store || !fn)
        return MASO_EINVAL_ARG;
    if (!store->env)
        return store_fail(store, MASO_EINVAL_ARG, "store not open");
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = store_txn_begin(store, MDB_RDONLY, &txn);
    if (rc)
        return store_status(rc);
    rc = mdb_cursor_open(txn, store->dbi_records, &cur);
    if (rc) {
        mdb_txn_abort(txn);
        return store_status(store_mdb(store, rc, "cursor"));
    }
    text_buf text = {NULL, 0};
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && rc == 0) {
        rc = visit(store, txn, &k, &v, want, &text, fn, arg);
        if (rc == 0)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0 && mrc != MDB_NOTFOUND)
        rc = store_status(store_mdb(store, mrc, "iterate records"));
    free(text.p);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    /* Internal failures are status codes; fn's own values pass through. */
    return store_status(rc);
}
