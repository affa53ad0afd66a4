/*
 * block.c -- the "blocks" table: sketches and their search summaries, B
 * records per value, read in place by views and scans.
 *
 * Why blocks: one LMDB value per sketch costs one cursor step (and one
 * overflow page chain) per record, 1M steps for 1M images; a block of B
 * records is one step, and its summaries are contiguous, so the coarse
 * search stage reads 64 bytes per record from consecutive memory.
 *
 * Value layout (offsets inside the value; id = block * B + slot):
 *   0    "MBK1", u32 B, u64 block number, u32 stride, u32 summary bytes,
 *        u32 summaries offset, u32 sketches offset, u32 summary version,
 *        u32 present count, u64 header checksum (schema 3; else 0)
 *   48   presence bitmap (64 bytes: up to 512 slots; slot i is bit i%8 of
 *        byte i/8), zero beyond B
 *   112  schema 3: B slot checksums, u64 each (0 for an empty slot)
 *   ...  B summaries of summary_bytes each
 *   ...  B sketches at stride bytes (the sketch size, a multiple of 64)
 * Values are always larger than half a page, so LMDB puts them on their
 * own overflow pages where they start 16 bytes after a page boundary
 * (64-bit builds): offset 112 [+ 8B] + B*summary_bytes (a multiple of 64
 * plus 48, since B is a multiple of 8) is then 64-byte aligned in the map,
 * as is every sketch.  Empty slots
 * (failed, deleted or never used ids) are zero.
 */
#include "store_internal.h"

#include <string.h>

#define OFF_SLOT_SUMS (STORE_BLOCK_HEADER + STORE_BLOCK_BITMAP)

static size_t summaries_offset(const maso_store *s)
{
    return OFF_SLOT_SUMS + (s->checksums ? 8 * s->block_records : 0);
}

static size_t sketches_offset(const maso_store *s)
{
    return summaries_offset(s) + s->block_records * s->summary_bytes;
}

size_t store_block_size(const maso_store *s)
{
    size_t n = sketches_offset(s) + s->block_records * s->stride;
    size_t min = s->page_size / 2 + 64;
    return n < min ? min : n;
}

void store_block_init(const maso_store *s, uint8_t *value, uint64_t number)
{
    memset(value, 0, store_block_size(s));
    memcpy(value, STORE_BLOCK_MAGIC, 4);
    store_set_le32(value + 4, (uint32_t)s->block_records);
    store_set_le64(value + 8, number);
    store_set_le32(value + 16, (uint32_t)s->stride);
    store_set_le32(value + 20, (uint32_t)s->summary_bytes);
    store_set_le32(value + 24, (uint32_t)summaries_offset(s));
    store_set_le32(value + 28, (uint32_t)sketches_offset(s));
    store_set_le32(value + 32, MASO_SEARCH_SUMMARY_VERSION);
}

static size_t popcount_bits(const uint8_t *bits, size_t n_slots)
{
    size_t n = 0;
    for (size_t i = 0; i < (n_slots + 7) / 8; i++)
        n += (size_t)__builtin_popcount(bits[i]);
    return n;
}

int store_block_parse(maso_store *s, uint64_t number, const MDB_val *v,
                      store_block *b)
{
    const uint8_t *p = v->mv_data;
    size_t B = s->block_records;
    if (v->mv_size != store_block_size(s) || memcmp(p, STORE_BLOCK_MAGIC, 4) ||
        store_le32(p + 4) != B || store_le64(p + 8) != number ||
        store_le32(p + 16) != s->stride ||
        store_le32(p + 20) != s->summary_bytes ||
        store_le32(p + 24) != summaries_offset(s) ||
        store_le32(p + 28) != sketches_offset(s) ||
        store_le32(p + 32) != MASO_SEARCH_SUMMARY_VERSION)
        return store_fail(s, MASO_EDATA, "%s: malformed sketch block %llu "
                          "(%zu bytes)", s->path, (unsigned long long)number,
                          v->mv_size);
    if (s->checksums &&
        store_le64(p + 40) != store_block_header_sum(s, p, number))
        return store_fail(s, MASO_EDATA, "%s: sketch block %llu (records "
                          "%llu..%llu) is damaged (checksum mismatch)",
                          s->path, (unsigned long long)number,
                          (unsigned long long)(number * B),
                          (unsigned long long)(number * B + B - 1));
    b->number = number;
    b->value = p;
    b->size = v->mv_size;
    b->bits = p + STORE_BLOCK_HEADER;
    b->slot_sums = s->checksums ? p + OFF_SLOT_SUMS : NULL;
    b->summaries = p + summaries_offset(s);
    b->sketches = p + sketches_offset(s);
    size_t present = popcount_bits(b->bits, B);
    /* Bits past B must be clear, and the count must agree. */
    for (size_t i = B; i < STORE_BLOCK_BITMAP * 8; i++)
        if (b->bits[i / 8] >> (i % 8) & 1)
            present = (size_t)-1;
    if (present != store_le32(p + 36) || present == 0)
        return store_fail(s, MASO_EDATA, "%s: sketch block %llu: presence "
                          "bitmap disagrees with its count", s->path,
                          (unsigned long long)number);
    return 0;
}

int store_block_get(maso_store *s, MDB_txn *txn, uint64_t number,
                    store_block *b)
{
    uint8_t kb[8];
    store_id_key(number, kb);
    MDB_val k = {8, kb}, v;
    int rc = mdb_get(txn, s->dbi_blocks, &k, &v);
    if (rc == MDB_NOTFOUND)
        return rc;
    if (rc)
        return store_mdb(s, rc, "read sketch block");
    return store_block_parse(s, number, &v, b);
}

int store_sketch_present(maso_store *s, MDB_txn *txn, uint64_t id,
                         int *present)
{
    store_block b;
    *present = 0;
    int rc = store_block_get(s, txn, id / s->block_records, &b);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (!rc)
        *present = store_block_has(&b, id % s->block_records);
    return rc;
}

uint64_t store_block_slot_sum_stored(const store_block *b, size_t slot)
{
    return b->slot_sums ? store_le64(b->slot_sums + 8 * slot) : 0;
}

int store_block_slot_verify(maso_store *s, const store_block *b, size_t slot)
{
    uint64_t id = b->number * s->block_records + slot;
    if (!s->checksums)
        return 0;
    if (store_block_slot_sum_stored(b, slot) ==
        store_slot_sum(s, b->summaries + slot * s->summary_bytes,
                       b->sketches + slot * s->stride, id))
        return 0;
    return store_fail(s, MASO_EDATA, "%s: the sketch of record %llu is "
                      "damaged (checksum mismatch)", s->path,
                      (unsigned long long)id);
}

int store_sketch_get(maso_store *s, MDB_txn *txn, uint64_t id,
                     const uint8_t **sketch)
{
    store_block b;
    size_t slot = id % s->block_records;
    int rc = store_block_get(s, txn, id / s->block_records, &b);
    if (rc == MDB_NOTFOUND || (rc == 0 && !store_block_has(&b, slot)))
        return store_fail(s, MASO_EDATA, "%s: record %llu has no sketch",
                          s->path, (unsigned long long)id);
    if (rc == 0)
        rc = store_block_slot_verify(s, &b, slot);
    if (rc)
        return rc;
    *sketch = b.sketches + slot * s->stride;
    return 0;
}
