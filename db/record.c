/*
 * record.c -- the "records" table (one value per file: status, size,
 * mtime, path, failure reason) and lookups by id or path.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t store_record_size(size_t path_len, size_t reason_len)
{
    /* each string is followed by a NUL, so views can point into the map */
    return STORE_RECORD_HEADER + path_len + 1 + reason_len + 1;
}

void store_record_fill(const maso_store *s, uint8_t *value, uint64_t id,
                       const store_record_view *v)
{
    memset(value, 0, STORE_RECORD_HEADER);
    value[0] = v->status;
    value[1] = v->flags;
    store_set_le32(value + 4, (uint32_t)v->path_len);
    store_set_le32(value + 8, (uint32_t)v->reason_len);
    store_set_le64(value + 16, v->size);
    store_set_le64(value + 24, (uint64_t)v->mtime_ns);
    uint8_t *p = value + STORE_RECORD_HEADER;
    memcpy(p, v->path, v->path_len);
    p[v->path_len] = '\0';
    p += v->path_len + 1;
    if (v->reason_len)
        memcpy(p, v->reason, v->reason_len);
    p[v->reason_len] = '\0';
    if (s->checksums)
        store_set_le32(value + 12, store_record_sum(value, store_record_size(
                                        v->path_len, v->reason_len), id));
}

int store_record_decode(maso_store *s, uint64_t id, const MDB_val *val,
                        store_record_view *v)
{
    const uint8_t *p = val->mv_data;
    if (val->mv_size < STORE_RECORD_HEADER)
        goto bad;
    v->status = p[0];
    v->flags = p[1];
    v->path_len = store_le32(p + 4);
    v->reason_len = store_le32(p + 8);
    v->size = store_le64(p + 16);
    v->mtime_ns = (int64_t)store_le64(p + 24);
    v->path = (const char *)p + STORE_RECORD_HEADER;
    v->reason = v->path + v->path_len + 1;
    /* sizes first: the string checks below must stay inside the value */
    if (v->status > MASO_RECORD_FAILED || v->path_len == 0 ||
        (v->flags & ~STORE_FLAG_CODE) || v->path_len > val->mv_size ||
        v->reason_len > val->mv_size ||
        val->mv_size != store_record_size(v->path_len, v->reason_len) ||
        v->path[v->path_len] || memchr(v->path, 0, v->path_len) ||
        v->reason[v->reason_len] || memchr(v->reason, 0, v->reason_len))
        goto bad;
    if (s->checksums &&
        store_le32(p + 12) != store_record_sum(p, val->mv_size, id))
        return store_fail(s, MASO_EDATA, "%s: record %llu is damaged "
                          "(checksum mismatch)", s->path,
                          (unsigned long long)id);
    return 0;
bad:
    return store_fail(s, MASO_EDATA, "%s: malformed record %llu (%zu bytes)",
                      s->path, (unsigned long long)id, val->mv_size);
}

int store_record_read(maso_store *s, MDB_txn *txn, uint64_t id,
                      store_record_view *v)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, val;
    int rc = mdb_get(txn, s->dbi_records, &k, &val);
    if (rc == MDB_NOTFOUND)
        return store_fail(s, MASO_ENOTFOUND, "%s: no record %llu", s->path,
                          (unsigned long long)id);
    if (rc)
        return store_mdb(s, rc, "read record");
    return store_record_decode(s, id, &val, v);
}

static char *dup_text(const char *p, size_t n)
{
    char *t = malloc(n + 1);
    if (t) {
        memcpy(t, p, n);
        t[n] = '\0';
    }
    return t;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *t = malloc(n ? n : 1);
    if (t)
        memcpy(t, p, n);
    return t;
}

/* Copy record @p id (and what @p want asks for) out of the snapshot. */
static int copy_out(maso_store *s, MDB_txn *txn, uint64_t id, unsigned want,
                    maso_store_record *out)
{
    store_record_view v;
    int rc = store_record_read(s, txn, id, &v);
    if (rc)
        return rc;
    out->id = id;
    out->size = v.size;
    out->mtime_ns = v.mtime_ns;
    out->status = (maso_record_status)v.status;
    out->path = dup_text(v.path, v.path_len);
    if (!out->path)
        return store_fail(s, ENOMEM, "out of memory");
    if (v.status == MASO_RECORD_FAILED) {
        out->reason = dup_text(v.reason, v.reason_len);
        if (!out->reason)
            return store_fail(s, ENOMEM, "out of memory");
    }
    const uint8_t *p;
    if ((want & MASO_STORE_WANT_SKETCH) && v.status == MASO_RECORD_OK) {
        size_t n = maso_sketch_bytes(s->sketch);
        rc = store_sketch_get(s, txn, id, &p);
        if (rc)
            return rc;
        if (!(out->sketch = dup_bytes(p, n)))
            return store_fail(s, ENOMEM, "out of memory");
    }
    if ((want & MASO_STORE_WANT_CODE) && (v.flags & STORE_FLAG_CODE)) {
        rc = store_blob_get(s, txn, s->dbi_codes, STORE_CODE_MAGIC, id,
                            s->code_bytes, &p);
        if (rc)
            return rc;
        if (!(out->code = dup_bytes(p, s->code_bytes)))
            return store_fail(s, ENOMEM, "out of memory");
    }
    return 0;
}

/* Shared by both lookups: id 0 means "find it by path". */
static int get_record(maso_store *s, uint64_t id, const char *path,
                      unsigned want, maso_store_record *out)
{
    if (!s || !out)
        return MASO_EINVAL_ARG;
    memset(out, 0, sizeof *out);
    if (!s->env)
        return store_fail(s, MASO_EINVAL_ARG, "store not open");
    MDB_txn *txn;
    int rc = store_txn_begin(s, MDB_RDONLY, &txn);
    if (rc)
        return store_status(rc);
    if (path) {
        rc = store_path_check(s, path);
        if (!rc)
            rc = store_path_lookup(s, txn, path, strlen(path), &id);
    }
    if (!rc)
        rc = copy_out(s, txn, id, want, out);
    mdb_txn_abort(txn);
    if (rc)
        maso_store_record_free(out);
    else
        s->errmsg[0] = '\0';
    return store_status(rc);
}

int maso_store_get_by_id(maso_store *store, uint64_t id, unsigned want,
                         maso_store_record *out)
{
    if (id == 0) {
        if (out)
            memset(out, 0, sizeof *out);
        return store ? store_fail(store, MASO_ENOTFOUND, "no record 0")
                     : MASO_EINVAL_ARG;
    }
    return get_record(store, id, NULL, want, out);
}

int maso_store_get_by_path(maso_store *store, const char *path, unsigned want,
                           maso_store_record *out)
{
    if (!path)
        return MASO_EINVAL_ARG;
    return get_record(store, 0, path, want, out);
}

void maso_store_record_free(maso_store_record *record)
{
    if (!record)
        return;
    free((void *)record->path);
    free((void *)record->reason);
    free((void *)record->sketch);
    free((void *)record->code);
    memset(record, 0, sizeof *record);
}
