/* store_sums_testutil.c -- the store's checksums, from their documented
 * definition (see store_sums_testutil.h). */
#include "store_sums_testutil.h"

#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <xxhash.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void set_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void sums_seal_meta(const char *key, uint8_t *value, size_t n)
{
    uint64_t seed = XXH3_64bits_withSeed(key, strlen(key), 0);
    set_le64(value + n - 8, XXH3_64bits_withSeed(value, n - 8, seed));
}

void sums_seal_block(uint8_t *value, size_t n)
{
    (void)n;
    uint32_t B = le32(value + 4), stride = le32(value + 16);
    uint32_t sb = le32(value + 20), sums = le32(value + 24);
    uint32_t sketches = le32(value + 28);
    uint64_t number = le64(value + 8);
    for (uint32_t i = 0; i < B; i++) {
        uint64_t h = 0;
        if (value[48 + i / 8] >> (i % 8) & 1) {
            uint64_t id = number * B + i;
            h = XXH3_64bits_withSeed(value + sums + (size_t)i * sb, sb, id);
            h = XXH3_64bits_withSeed(value + sketches + (size_t)i * stride,
                                     stride, h);
        }
        set_le64(value + 112 + 8 * (size_t)i, h);
    }
    uint64_t h = XXH3_64bits_withSeed(value, 40, number);
    set_le64(value + 40, XXH3_64bits_withSeed(value + 48, 64 + 8 * (size_t)B,
                                              h));
}

void sums_seal_record(uint8_t *value, size_t n, uint64_t id)
{
    uint64_t h = XXH3_64bits_withSeed(value, 12, id);
    h = XXH3_64bits_withSeed(value + 16, n - 16, h);
    uint32_t s = (uint32_t)(h ^ (h >> 32));
    for (int i = 0; i < 4; i++)
        value[12 + i] = (uint8_t)(s >> (8 * i));
}

/* ---- schema 3 -> schema 2 ------------------------------------------------ */

static void set_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrite every value of table @p name (at most 256: test stores) with
 * @p edit, which may change its size (returns the new size; @p out has
 * room for n + 4096 bytes). */
static int rewrite(MDB_env *env, const char *name, size_t page,
                   size_t (*edit)(const MDB_val *k, const uint8_t *in,
                                  size_t n, uint8_t *out, size_t page))
{
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, name, 0, &dbi) ||
        mdb_cursor_open(txn, dbi, &cur))
        return -1;
    /* Read everything first, then put: no writes under a moving cursor. */
    MDB_val k, v;
    size_t n_items = 0;
    struct { uint8_t *key, *val; size_t klen, vlen; } items[256];
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0 && n_items < 256; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        items[n_items].key = malloc(k.mv_size);
        memcpy(items[n_items].key, k.mv_data, k.mv_size);
        items[n_items].klen = k.mv_size;
        items[n_items].val = malloc(v.mv_size + 4096);
        items[n_items].vlen = edit(&k, v.mv_data, v.mv_size,
                                   items[n_items].val, page);
        n_items++;
    }
    mdb_cursor_close(cur);
    int ok = rc == MDB_NOTFOUND;
    for (size_t i = 0; i < n_items; i++) {
        MDB_val nk = {items[i].klen, items[i].key};
        MDB_val nv = {items[i].vlen, items[i].val};
        ok = ok && mdb_put(txn, dbi, &nk, &nv, 0) == 0;
        free(items[i].key);
        free(items[i].val);
    }
    if (!ok) {
        mdb_txn_abort(txn);
        return -1;
    }
    return mdb_txn_commit(txn) ? -1 : 0;
}

static size_t meta_v2(const MDB_val *k, const uint8_t *in, size_t n,
                      uint8_t *out, size_t page)
{
    (void)page;
    memcpy(out, in, n - 8);
    if (k->mv_size == 6 && memcmp(k->mv_data, "schema", 6) == 0)
        set_le32(out, 2);
    return n - 8;
}

static size_t record_v2(const MDB_val *k, const uint8_t *in, size_t n,
                        uint8_t *out, size_t page)
{
    (void)k, (void)page;
    memcpy(out, in, n);
    memset(out + 12, 0, 4);
    return n;
}

static size_t code_v2(const MDB_val *k, const uint8_t *in, size_t n,
                      uint8_t *out, size_t page)
{
    (void)k, (void)page;
    memcpy(out, in, n);
    memset(out + 16, 0, 8);
    return n;
}

static size_t block_v2(const MDB_val *k, const uint8_t *in, size_t n,
                       uint8_t *out, size_t page)
{
    (void)k, (void)n;
    uint32_t B = le32(in + 4), stride = le32(in + 16), sb = le32(in + 20);
    size_t sums = 112 + 8 * (size_t)B, sketches = le32(in + 28);
    size_t size = 112 + (size_t)B * sb + (size_t)B * stride;
    if (size < page / 2 + 64)
        size = page / 2 + 64;
    memset(out, 0, size);
    memcpy(out, in, 112);
    memset(out + 40, 0, 8);
    set_le32(out + 24, 112);
    set_le32(out + 28, 112 + B * sb);
    memcpy(out + 112, in + sums, (size_t)B * sb);
    memcpy(out + 112 + (size_t)B * sb, in + sketches, (size_t)B * stride);
    return size;
}

int sums_downgrade_store(const char *dir)
{
    MDB_env *env;
    MDB_stat st;
    if (mdb_env_create(&env))
        return -1;
    mdb_env_set_maxdbs(env, 8);
    int rc = mdb_env_open(env, dir, 0, 0666) || mdb_env_stat(env, &st) ? -1 : 0;
    if (!rc)
        rc = rewrite(env, "meta", st.ms_psize, meta_v2);
    if (!rc)
        rc = rewrite(env, "records", st.ms_psize, record_v2);
    if (!rc)
        rc = rewrite(env, "codes", st.ms_psize, code_v2);
    if (!rc)
        rc = rewrite(env, "blocks", st.ms_psize, block_v2);
    mdb_env_close(env);
    return rc;
}
