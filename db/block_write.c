/*
 * block_write.c -- changing slots of sketch blocks inside a commit.
 *
 * A block value is rewritten whole (LMDB copies on write), so a commit
 * gathers the changes to each block in a private copy and writes every
 * touched block once, at flush.  Ids are handed out in order, so a batch of
 * new records touches few blocks; a batch of scattered updates may touch
 * many, so the cache holds at most CACHE_MAX blocks and flushes when full
 * (a block flushed twice is simply written twice).  A block whose last
 * slot is cleared is deleted rather than kept empty.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 32

/* The private copy of block @p number: cached, read from the map, or new. */
static int load(maso_store *s, MDB_txn *txn, store_block_cache *c,
                uint64_t number, uint8_t **value)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->numbers[i] == number) {
            *value = c->values[i];
            return 0;
        }
    if (c->n == CACHE_MAX) {
        int rc = store_blocks_flush(s, txn, c);
        if (rc)
            return rc;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        uint64_t *nums = realloc(c->numbers, cap * sizeof *nums);
        if (nums)
            c->numbers = nums;
        uint8_t **vals = realloc(c->values, cap * sizeof *vals);
        if (vals)
            c->values = vals;
        if (!nums || !vals)
            return store_fail(s, ENOMEM, "out of memory");
        memset(c->values + c->cap, 0, (cap - c->cap) * sizeof *vals);
        c->cap = cap;
    }
    size_t size = store_block_size(s);
    /* Buffers stay allocated across flushes: reuse one if there. */
    if (!c->values[c->n] && !(c->values[c->n] = malloc(size)))
        return store_fail(s, ENOMEM, "out of memory for a sketch block");
    uint8_t *buf = c->values[c->n];
    store_block b;
    int rc = store_block_get(s, txn, number, &b);
    if (rc == MDB_NOTFOUND)
        store_block_init(s, buf, number);
    else if (rc)
        return rc;
    else
        memcpy(buf, b.value, size);
    c->numbers[c->n++] = number;
    *value = buf;
    return 0;
}

int store_blocks_set(maso_store *s, MDB_txn *txn, store_block_cache *c,
                     uint64_t id, const uint8_t *sketch,
                     const uint8_t *summary)
{
    uint8_t *v = NULL;
    int rc = load(s, txn, c, id / s->block_records, &v);
    if (rc)
        return rc;
    size_t slot = id % s->block_records;
    uint8_t *bit = v + STORE_BLOCK_HEADER + slot / 8, mask = 1u << slot % 8;
    uint32_t present = store_le32(v + 36);
    uint8_t *sum = v + store_le32(v + 24) + slot * s->summary_bytes;
    uint8_t *sk = v + store_le32(v + 28) + slot * s->stride;
    if (sketch) {
        present += !(*bit & mask);
        *bit |= mask;
        memcpy(sum, summary, s->summary_bytes);
        memcpy(sk, sketch, s->stride);
    } else {
        present -= (*bit & mask) != 0;
        *bit &= (uint8_t)~mask;
        memset(sum, 0, s->summary_bytes);
        memset(sk, 0, s->stride);
    }
    if (s->checksums) /* the header's checksum is set at flush */
        store_set_le64(v + STORE_BLOCK_HEADER + STORE_BLOCK_BITMAP + 8 * slot,
                       sketch ? store_slot_sum(s, sum, sk, id) : 0);
    store_set_le32(v + 36, present);
    return 0;
}

int store_blocks_flush(maso_store *s, MDB_txn *txn, store_block_cache *c)
{
    size_t size = store_block_size(s);
    for (size_t i = 0; i < c->n; i++) {
        uint8_t kb[8];
        store_id_key(c->numbers[i], kb);
        MDB_val k = {8, kb}, v = {size, NULL};
        int rc;
        if (store_le32(c->values[i] + 36) == 0) {
            rc = mdb_del(txn, s->dbi_blocks, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        } else {
            if (s->checksums)
                store_set_le64(c->values[i] + 40,
                               store_block_header_sum(s, c->values[i],
                                                      c->numbers[i]));
            rc = mdb_put(txn, s->dbi_blocks, &k, &v, MDB_RESERVE);
            if (!rc)
                memcpy(v.mv_data, c->values[i], size);
        }
        if (rc)
            return store_mdb(s, rc, "write sketch block");
    }
    c->n = 0;
    return 0;
}

void store_blocks_free(store_block_cache *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->values[i]);
    free(c->values);
    free(c->numbers);
    memset(c, 0, sizeof *c);
}
