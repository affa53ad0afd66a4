/*
 * meta.c -- the "meta" table: schema version, identity, layout, counters.
 *
 * Counters (next id, per-status counts) are updated in the same
 * transaction as the records they count, so they are exact in every
 * committed snapshot and stats need no scan.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* With checksums (schema 3) every meta value is followed by 8 bytes of
 * store_meta_sum(key, value), added here and checked and cut off by
 * get_value(). */
static int put_value(maso_store *s, MDB_txn *txn, const char *key,
                     const void *data, size_t n)
{
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v = {n + (s->checksums ? 8 : 0), NULL};
    int rc = mdb_put(txn, s->dbi_meta, &k, &v, MDB_RESERVE);
    if (rc)
        return store_mdb(s, rc, key);
    memcpy(v.mv_data, data, n);
    if (s->checksums)
        store_set_le64((uint8_t *)v.mv_data + n,
                       store_meta_sum(key, data, n));
    return 0;
}

static int get_raw(maso_store *s, MDB_txn *txn, const char *key, MDB_val *v)
{
    MDB_val k = {strlen(key), (void *)key};
    int rc = mdb_get(txn, s->dbi_meta, &k, v);
    if (rc == MDB_NOTFOUND)
        return store_fail(s, MASO_EDATA, "%s: not a maso store (no \"%s\" "
                          "in meta)", s->path, key);
    return rc ? store_mdb(s, rc, key) : 0;
}

/* Check and cut off the checksum of meta value @p v of @p key. */
static int verify_value(maso_store *s, const char *key, MDB_val *v)
{
    if (!s->checksums)
        return 0;
    if (v->mv_size >= 8) {
        v->mv_size -= 8;
        if (store_le64((const uint8_t *)v->mv_data + v->mv_size) ==
            store_meta_sum(key, v->mv_data, v->mv_size))
            return 0;
    }
    return store_fail(s, MASO_EDATA, "%s: meta \"%s\" is damaged (checksum "
                      "mismatch)", s->path, key);
}

static int get_value(maso_store *s, MDB_txn *txn, const char *key,
                     MDB_val *v)
{
    int rc = get_raw(s, txn, key, v);
    return rc ? rc : verify_value(s, key, v);
}

static int put_u64(maso_store *s, MDB_txn *txn, const char *key, uint64_t v)
{
    uint8_t b[8];
    store_set_le64(b, v);
    return put_value(s, txn, key, b, 8);
}

static int get_u64(maso_store *s, MDB_txn *txn, const char *key, uint64_t *v)
{
    MDB_val val;
    int rc = get_value(s, txn, key, &val);
    if (rc)
        return rc;
    if (val.mv_size != 8)
        return store_fail(s, MASO_EDATA, "%s: meta \"%s\" is %zu bytes, "
                          "not 8", s->path, key, val.mv_size);
    *v = store_le64(val.mv_data);
    return 0;
}

int store_counters_read(maso_store *s, MDB_txn *txn, store_counters *c)
{
    int rc = get_u64(s, txn, "next_id", &c->next_id);
    if (!rc)
        rc = get_u64(s, txn, "count_ok", &c->ok);
    if (!rc)
        rc = get_u64(s, txn, "count_failed", &c->failed);
    if (!rc)
        rc = get_u64(s, txn, "count_codes", &c->codes);
    return rc;
}

int store_counters_write(maso_store *s, MDB_txn *txn, const store_counters *c)
{
    int rc = put_u64(s, txn, "next_id", c->next_id);
    if (!rc)
        rc = put_u64(s, txn, "count_ok", c->ok);
    if (!rc)
        rc = put_u64(s, txn, "count_failed", c->failed);
    if (!rc)
        rc = put_u64(s, txn, "count_codes", c->codes);
    return rc;
}

/* "blocks": u32 records per block, u32 stride, u32 summary bytes, u32
 * summary version.  The last three follow from the sketch and the search
 * library; storing them lets a newer library refuse blocks it would
 * misread instead of searching with mismatched summaries. */
static int put_blocks(maso_store *s, MDB_txn *txn, const maso_sketch *sk)
{
    uint8_t b[16];
    store_set_le32(b, (uint32_t)s->block_records_init);
    store_set_le32(b + 4, (uint32_t)maso_sketch_bytes(sk));
    store_set_le32(b + 8, STORE_SUMMARY_BYTES);
    store_set_le32(b + 12, MASO_SEARCH_SUMMARY_VERSION);
    return put_value(s, txn, "blocks", b, sizeof b);
}

static int load_blocks(maso_store *s, MDB_txn *txn)
{
    MDB_val v;
    int rc = get_value(s, txn, "blocks", &v);
    if (rc)
        return rc;
    if (v.mv_size != 16)
        return store_fail(s, MASO_EDATA, "%s: malformed \"blocks\" meta",
                          s->path);
    const uint8_t *b = v.mv_data;
    size_t B = store_le32(b), stride = store_le32(b + 4);
    size_t sum = store_le32(b + 8);
    uint32_t version = store_le32(b + 12);
    if (B < STORE_BLOCK_MIN || B > STORE_BLOCK_MAX || B % 8)
        return store_fail(s, MASO_EDATA, "%s: bad block size %zu", s->path,
                          B);
    rc = store_search_make(s, s->sketch, &s->search);
    if (rc)
        return rc;
    size_t want_sum = STORE_SUMMARY_BYTES;
    if (stride != maso_sketch_bytes(s->sketch))
        return store_fail(s, MASO_EDATA, "%s: blocks hold %zu-byte sketches, "
                          "the stored layout makes %zu", s->path, stride,
                          maso_sketch_bytes(s->sketch));
    if (sum != want_sum || version != MASO_SEARCH_SUMMARY_VERSION)
        return store_fail(s, MASO_EMISMATCH, "%s: the store's search "
                          "summaries (%zu bytes, version %u) differ from this "
                          "program's (%zu bytes, version %u): rebuild the "
                          "index", s->path, sum, version, want_sum,
                          (unsigned)MASO_SEARCH_SUMMARY_VERSION);
    s->block_records = B;
    s->stride = stride;
    s->summary_bytes = sum;
    return 0;
}

int store_meta_init(maso_store *s, MDB_txn *txn,
                    const maso_store_identity *given)
{
    int rc = store_identity_validate(s, given);
    if (rc)
        return rc;
    maso_store_identity id = *given;
    maso_sketch_params def;
    maso_sketch_params_init(&def);
    if (id.sketch.relu_samples == 0)
        id.sketch.relu_samples = def.relu_samples;
    if (id.sketch.maxpool_samples == 0)
        id.sketch.maxpool_samples = def.maxpool_samples;
    /* Refuse now a table the sketch cannot sample, not at every open. */
    maso_sketch *probe = NULL;
    rc = maso_sketch_create(id.layers, id.n_layers, &id.sketch, &probe);
    if (rc) {
        maso_sketch_destroy(probe);
        return store_fail(s, rc, "%s: the code layout table cannot be "
                          "sketched: %s", s->path, maso_strerror(rc));
    }
    s->checksums = 1; /* a new store has them: set before anything is put */
    rc = put_blocks(s, txn, probe);
    if (rc) {
        maso_sketch_destroy(probe);
        return rc;
    }
    /* The store's sketch: store_meta_load() keeps it instead of drawing
     * the same positions again from the identity just written (5 ms for
     * SqueezeNet's 3.2 million units). */
    s->sketch = probe;

    store_writer w = {0};
    uint8_t schema[4];
    store_set_le32(schema, MASO_STORE_SCHEMA);
    rc = put_value(s, txn, "schema", schema, 4);
    if (!rc && store_identity_encode(&id, &w) == 0)
        rc = put_value(s, txn, "identity", w.p, w.len);
    w.len = 0;
    if (!rc && store_layout_encode(id.layers, id.n_layers, &w) == 0)
        rc = put_value(s, txn, "layout", w.p, w.len);
    if (!rc && w.err)
        rc = store_fail(s, ENOMEM, "%s: out of memory", s->path);
    free(w.p);
    store_counters c = {1, 0, 0, 0};
    if (!rc)
        rc = store_counters_write(s, txn, &c);
    return rc;
}

int store_meta_load(maso_store *s, MDB_txn *txn,
                    const maso_store_identity *expected)
{
    MDB_val schema, identity, layout;
    int rc = get_raw(s, txn, "schema", &schema);
    if (rc)
        return rc;
    /* Schema 2 (4 bytes, no checksums anywhere) or 3 (4 + 8). */
    uint32_t version = schema.mv_size >= 4 ? store_le32(schema.mv_data) : 0;
    if (schema.mv_size == 4 && version == MASO_STORE_SCHEMA_UNVERIFIED) {
        s->checksums = 0;
    } else if (schema.mv_size == 12 && version == MASO_STORE_SCHEMA) {
        s->checksums = 1;
        rc = verify_value(s, "schema", &schema);
        if (rc)
            return rc;
    } else if (schema.mv_size == 4 || schema.mv_size == 12) {
        return store_fail(s, MASO_EMISMATCH, "%s: store schema version %u, "
                          "this program reads versions %d and %d", s->path,
                          version, MASO_STORE_SCHEMA_UNVERIFIED,
                          MASO_STORE_SCHEMA);
    } else {
        return store_fail(s, MASO_EDATA, "%s: malformed schema record",
                          s->path);
    }
    rc = get_value(s, txn, "identity", &identity);
    if (!rc)
        rc = get_value(s, txn, "layout", &layout);
    if (!rc)
        rc = store_identity_decode(s, &identity, &layout);
    if (!rc && expected)
        rc = store_identity_compare(s, expected);
    if (rc)
        return rc;
    if (s->sketch == NULL)
        rc = maso_sketch_create(s->identity.layers, s->identity.n_layers,
                                &s->identity.sketch, &s->sketch);
    if (rc)
        return store_fail(s, rc == ENOMEM ? ENOMEM : MASO_EDATA,
                          "%s: stored layout or sketch parameters unusable: "
                          "%s", s->path, maso_strerror(rc));
    s->code_bytes = maso_sketch_code_bytes(s->sketch);
    /* The counters are not read here: damaged ones must not keep the store
     * from opening, since maso_store_repair() recounts them. */
    return load_blocks(s, txn);
}
