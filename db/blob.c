/*
 * blob.c -- values whose payload must be 64-byte aligned in the map
 * (full codes; sketches live in blocks, see block.c), read in place.
 *
 * LMDB puts a value larger than about half a page on overflow pages of its
 * own, and the value then starts right after the 16-byte page header (on
 * 64-bit builds).  A 48-byte prefix moves the payload to the next 64-byte
 * boundary; padding the value to at least half a page (+64) guarantees the
 * overflow placement even for tiny sketches.  The prefix also carries a
 * magic, the payload size and the id, checked on read.
 */
#include "store_internal.h"

#include <string.h>

size_t store_blob_size(const maso_store *s, size_t payload)
{
    size_t min = s->page_size / 2 + 64;
    size_t n = STORE_BLOB_PREFIX + payload;
    return n < min ? min : n;
}

void store_blob_fill(const maso_store *s, uint8_t *value, size_t value_size,
                     const char *magic, uint64_t id, const uint8_t *payload,
                     size_t n)
{
    memset(value, 0, STORE_BLOB_PREFIX);
    memcpy(value, magic, 4);
    store_set_le32(value + 4, (uint32_t)n);
    store_set_le64(value + 8, id);
    if (s->checksums)
        store_set_le64(value + 16, store_sum(payload, n, id));
    memcpy(value + STORE_BLOB_PREFIX, payload, n);
    memset(value + STORE_BLOB_PREFIX + n, 0,
           value_size - STORE_BLOB_PREFIX - n);
}

const uint8_t *store_blob_payload(const MDB_val *val, const char *magic,
                                  uint64_t id, size_t n)
{
    const uint8_t *p = val->mv_data;
    if (val->mv_size < STORE_BLOB_PREFIX + n || memcmp(p, magic, 4) != 0 ||
        store_le32(p + 4) != n || (id && store_le64(p + 8) != id))
        return NULL;
    return p + STORE_BLOB_PREFIX;
}

int store_blob_verify(maso_store *s, const MDB_val *val, uint64_t id,
                      size_t n)
{
    const uint8_t *p = val->mv_data;
    if (!s->checksums ||
        store_le64(p + 16) == store_sum(p + STORE_BLOB_PREFIX, n, id))
        return 0;
    return store_fail(s, MASO_EDATA, "%s: the %s of record %llu %s "
                      "damaged (checksum mismatch)", s->path,
                      memcmp(p, STORE_ORIENTS_MAGIC, 4) == 0
                          ? "orientation sketches" : "full code",
                      (unsigned long long)id,
                      memcmp(p, STORE_ORIENTS_MAGIC, 4) == 0 ? "are" : "is");
}

int store_blob_get(maso_store *s, MDB_txn *txn, MDB_dbi dbi,
                   const char *magic, uint64_t id, size_t n,
                   const uint8_t **payload)
{
    uint8_t kb[8];
    store_id_key(id, kb);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return store_fail(s, MASO_EDATA, "%s: record %llu has no %s value",
                          s->path, (unsigned long long)id, magic);
    if (rc)
        return store_mdb(s, rc, magic);
    *payload = store_blob_payload(&v, magic, id, n);
    if (!*payload)
        return store_fail(s, MASO_EDATA, "%s: malformed %s value of record "
                          "%llu (%zu bytes)", s->path, magic,
                          (unsigned long long)id, v.mv_size);
    return store_blob_verify(s, &v, id, n);
}
