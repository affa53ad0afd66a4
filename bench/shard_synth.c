/*
 * shard_synth.c -- a synthetic sharded index for the query benchmarks:
 * DB with a manifest and S shard stores holding N synthetic clustered
 * sketches (synth_codes.h: SqueezeNet-shaped, the default sketch), each
 * record in the shard its path hashes to, under the identity of the real
 * model so that maso-query opens it.  Paths are /synthetic/NNNNNNNNN.jpg
 * (query them with maso-query --indexed).
 *
 * usage: shard_synth DB N S
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maso.h"
#include "maso_cli.h"
#include "maso_shards.h"
#include "maso_store.h"
#include "synth_codes.h"

#define BATCH 2000

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: shard_synth DB N S\n");
        return 2;
    }
    const char *db = argv[1];
    size_t n = (size_t)atoll(argv[2]), s = (size_t)atoll(argv[3]);
    char err[MASO_CLI_ERRLEN];
    maso_model *model = NULL;
    if (maso_cli_model_open(NULL, &model, NULL, err)) {
        fprintf(stderr, "shard_synth: %s\n", err);
        return 1;
    }
    maso_store_identity id;
    char pre[MASO_CLI_PREPROCESS_LEN];
    maso_cli_store_identity(model, &id, pre);
    maso_shards *m = NULL;
    if (maso_shards_create(&m) || maso_shards_init(m, db, s, NULL, NULL, 0,
                                                   &id) ||
        maso_shards_write(m)) {
        fprintf(stderr, "shard_synth: %s\n", maso_shards_errmsg(m));
        return 1;
    }
    synth_codes c;
    if (synth_codes_load(&c, MASO_SHARED_DIR) || synth_codes_prepare(&c, 2000))
        return 1;
    maso_store **st = calloc(s, sizeof *st);
    maso_store_batch **b = calloc(s, sizeof *b);
    uint8_t *rec = aligned_alloc(64, (c.record_bytes + 63) / 64 * 64);
    for (size_t i = 0; i < s; i++) {
        maso_store_create(&st[i]);
        maso_store_set_map_size(st[i], (uint64_t)n / s * 9000 + (1u << 30));
        if (maso_store_open(st[i], maso_shards_location(m, i),
                            MASO_STORE_CREATE | MASO_STORE_NOSYNC, &id)) {
            fprintf(stderr, "shard_synth: %s\n", maso_store_errmsg(st[i]));
            return 1;
        }
        if (maso_sketch_bytes(maso_store_sketch(st[i])) != c.record_bytes) {
            fprintf(stderr, "shard_synth: synthetic records of %zu bytes, "
                    "the store's sketch has %zu\n", c.record_bytes,
                    maso_sketch_bytes(maso_store_sketch(st[i])));
            return 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/synthetic/%09zu.jpg", i);
        size_t k = maso_shards_of_path(m, path);
        if (!b[k] && maso_store_batch_begin(st[k], &b[k]))
            return 1;
        synth_codes_query(&c, rec);
        maso_store_record r = { 0, path, 1000000, 1700000000000000000ll,
                                MASO_RECORD_OK, NULL, rec, NULL };
        if (maso_store_batch_put(b[k], &r))
            return 1;
        if (maso_store_batch_count(b[k]) >= BATCH) {
            if (maso_store_batch_commit(b[k])) {
                fprintf(stderr, "shard_synth: %s\n",
                        maso_store_errmsg(st[k]));
                return 1;
            }
            b[k] = NULL;
        }
        if (i % 500000 == 0)
            fprintf(stderr, "shard_synth: %zu records\n", i);
    }
    for (size_t i = 0; i < s; i++) {
        if (b[i] && maso_store_batch_commit(b[i])) {
            fprintf(stderr, "shard_synth: %s\n", maso_store_errmsg(st[i]));
            return 1;
        }
        maso_store_destroy(st[i]);
    }
    free(rec);
    free(b);
    free(st);
    synth_codes_free(&c);
    maso_shards_destroy(m);
    maso_model_destroy(model);
    return 0;
}
