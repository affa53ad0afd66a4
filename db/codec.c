/*
 * codec.c -- byte-order-explicit encoding of stored values.
 *
 * Stored integers are little-endian except ids used as keys, which are
 * big-endian so that LMDB's memcmp order is numeric order.  Readers never
 * trust a length: running past the end sets err instead of reading.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int reserve(store_writer *w, size_t n)
{
    if (w->err)
        return 0;
    if (w->len + n <= w->cap)
        return 1;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n)
        cap *= 2;
    uint8_t *p = realloc(w->p, cap);
    if (!p) {
        w->err = ENOMEM;
        return 0;
    }
    w->p = p;
    w->cap = cap;
    return 1;
}

void store_put_bytes(store_writer *w, const void *data, size_t n)
{
    if (n && reserve(w, n)) {
        memcpy(w->p + w->len, data, n);
        w->len += n;
    }
}

void store_put_u32(store_writer *w, uint32_t v)
{
    uint8_t b[4];
    store_set_le32(b, v);
    store_put_bytes(w, b, 4);
}

void store_put_u64(store_writer *w, uint64_t v)
{
    uint8_t b[8];
    store_set_le64(b, v);
    store_put_bytes(w, b, 8);
}

const uint8_t *store_get_bytes(store_reader *r, size_t n)
{
    if (r->err || n > r->left) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

uint32_t store_get_u32(store_reader *r)
{
    const uint8_t *p = store_get_bytes(r, 4);
    return p ? store_le32(p) : 0;
}

uint64_t store_get_u64(store_reader *r)
{
    const uint8_t *p = store_get_bytes(r, 8);
    return p ? store_le64(p) : 0;
}

uint32_t store_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint64_t store_le64(const uint8_t *p)
{
    return (uint64_t)store_le32(p) | (uint64_t)store_le32(p + 4) << 32;
}

void store_set_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void store_set_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void store_id_key(uint64_t id, uint8_t key[8])
{
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(id >> (56 - 8 * i));
}

uint64_t store_key_id(const MDB_val *key)
{
    if (key->mv_size != 8)
        return 0;
    const uint8_t *p = key->mv_data;
    uint64_t id = 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | p[i];
    return id;
}
