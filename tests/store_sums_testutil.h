/* store_sums_testutil.h -- the store's checksums (schema 3, as documented
 * in db/include/maso_store.h), computed here with libxxhash itself, so that tests
 * can edit a stored value on purpose and seal it again: what the store
 * then sees is a consistent value with wrong contents, not damage. */
#ifndef STORE_SUMS_TESTUTIL_H
#define STORE_SUMS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A meta value of @p n bytes (its 8-byte checksum last) under @p key. */
void sums_seal_meta(const char *key, uint8_t *value, size_t n);

/* A sketch block value: B records, summary and sketch sizes as stored in
 * its header; every present slot's checksum, then the header's. */
void sums_seal_block(uint8_t *value, size_t n);

/* A record value of @p n bytes under id @p id. */
void sums_seal_record(uint8_t *value, size_t n, uint64_t id);

/* Rewrite the (closed) schema-3 store in @p dir as the schema-2 store the
 * previous version wrote: no meta checksums, zeros where the record and
 * code checksums were, blocks without slot checksums.  Returns 0, or -1
 * when an LMDB call failed. */
int sums_downgrade_store(const char *dir);

#endif
