/*
 * checksum.c -- the checksums of the values maso writes (schema 3).
 *
 * LMDB has no page checksums: a flipped bit in a sketch block, a record or
 * a full code would otherwise change answers without an error.  Every value
 * carries an XXH3-64 checksum (libxxhash) of its bytes, seeded with its key
 * (id, block number, meta key), so that a value copied under another key is
 * caught as well as a damaged one.  Where each checksum lives:
 *   records  u32 at bytes 12..15 of the header (the low half xor the high
 *            half of the 64-bit hash of the value without those 4 bytes);
 *   blocks   u64 at bytes 40..47 of the header, over the header's first 40
 *            bytes, the presence bitmap and the slot checksums; then one u64
 *            per slot (after the bitmap) over that slot's summary and sketch;
 *   codes    u64 at bytes 16..23 of the 48-byte prefix, over the payload;
 *   meta     8 bytes appended to each value, over the value and its key.
 * Stores of schema 2 have none of them; they open and answer, and
 * maso_store_check() reports them as unverified.
 */
#include "store_internal.h"

#include <string.h>

#include <xxhash.h>

uint64_t store_sum(const void *data, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, n, seed);
}

uint32_t store_record_sum(const uint8_t *value, size_t size, uint64_t id)
{
    uint64_t h = store_sum(value, 12, id);
    h = store_sum(value + 16, size - 16, h);
    return (uint32_t)(h ^ (h >> 32));
}

uint64_t store_slot_sum(const maso_store *s, const uint8_t *summary,
                        const uint8_t *sketch, uint64_t id)
{
    uint64_t h = store_sum(summary, s->summary_bytes, id);
    return store_sum(sketch, s->stride, h);
}

uint64_t store_block_header_sum(const maso_store *s, const uint8_t *value,
                                uint64_t number)
{
    uint64_t h = store_sum(value, 40, number);
    return store_sum(value + STORE_BLOCK_HEADER,
                     STORE_BLOCK_BITMAP + 8 * s->block_records, h);
}

uint64_t store_meta_sum(const char *key, const void *data, size_t n)
{
    return store_sum(data, n, store_sum(key, strlen(key), 0));
}
