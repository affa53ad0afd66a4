/* fuzz_store.c -- the store's value decoders (records, sketch blocks and
 * their slots, full-code blobs) on arbitrary bytes, with and without
 * checksums (the first byte's low bit), on a store opened once.  Input:
 * "<record value>\0\0\xff\0<block value>"; the block is also tried padded
 * or cut to the exact block size, so that its fields get explored. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_testutil.h"

static maso_store *store_once(void)
{
    static maso_store *s;
    if (s)
        return s;
    maso_store_identity id;
    store_test_identity(&id, store_test_layers, STORE_TEST_LAYERS);
    id.full_codes = 1;
    const char *marker = fuzz_temp_file("store.marker", NULL, 0);
    char dir[700];
    snprintf(dir, sizeof dir, "%s.db", marker);
    if (maso_store_create(&s) != 0 ||
        maso_store_open(s, dir, MASO_STORE_CREATE | MASO_STORE_NOSYNC, &id))
        abort();
    return s;
}

static void try_block(maso_store *s, const uint8_t *p, size_t n)
{
    MDB_val v = {n, (void *)p};
    store_block b;
    if (store_block_parse(s, 3, &v, &b) != 0)
        return;
    for (size_t i = 0; i < s->block_records; i++)
        if (store_block_has(&b, i))
            store_block_slot_verify(s, &b, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    maso_store *s = store_once();
    s->checksums = !(size && (data[0] & 1));
    const uint8_t *rec, *blk;
    size_t nr, nb;
    fuzz_split(data, size, &rec, &nr, &blk, &nb);

    MDB_val v = {nr, (void *)rec};
    store_record_view r;
    if (store_record_decode(s, 7, &v, &r) == 0 &&
        (r.path[r.path_len] != '\0' || r.reason[r.reason_len] != '\0'))
        abort();
    const uint8_t *code = store_blob_payload(&v, STORE_CODE_MAGIC, 7,
                                             s->code_bytes);
    if (code)
        store_blob_verify(s, &v, 7, s->code_bytes);

    try_block(s, blk, nb);
    size_t full = store_block_size(s);
    uint8_t *padded = calloc(1, full);
    if (!padded)
        abort();
    memcpy(padded, blk, nb < full ? nb : full);
    try_block(s, padded, full);
    free(padded);
    s->checksums = 1;
    return 0;
}
