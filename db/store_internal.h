/*
 * store_internal.h -- what the store's modules share; not installed.
 *
 * Error convention inside db/: functions return either a raw LMDB code
 * (MDB_*, -30799..-30780), a MASO_* code (-30600..) or an errno.  They
 * record context in the handle's message as soon as they fail; the public
 * entry points turn raw LMDB codes into MASO_* codes with store_status().
 */
#ifndef MASO_STORE_INTERNAL_H
#define MASO_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

#include "maso_search.h"
#include "maso_store.h"

/* The summaries a store keeps: libmaso_search's default size, in the
 * version of its definition (both kept in meta and in every block). */
#define STORE_SUMMARY_BYTES (MASO_SEARCH_SUMMARY_BITS_DEFAULT / 8)

struct maso_store {
    MDB_env *env;
    MDB_dbi dbi_meta, dbi_records, dbi_paths, dbi_blocks, dbi_codes;
    /* Orientation sketches (maso_store_record.orients), one blob per id;
     * has_orients 0 when a store opened read-only predates the table. */
    MDB_dbi dbi_orients;
    int has_orients;
    unsigned flags;
    uint64_t init_map_size;
    uint64_t map_grows;
    size_t page_size;
    char *path;
    /* The stored identity; its strings and tables are owned here. */
    maso_store_identity identity;
    char *preprocess;
    maso_code_layer *layers;
    char *layer_names;
    maso_sketch *sketch;
    size_t code_bytes;    /* full code size, from the layout */
    /* Schema 3: every value carries a checksum (checksum.c); 0 for a
     * schema-2 store, which is read and written without them. */
    int checksums;
    /* Sketch blocks (block.c): records per block (B), bytes per sketch
     * slot (the sketch size, a multiple of 64) and per summary.  B is
     * read from the store; new stores take block_records_init. */
    size_t block_records, block_records_init, stride, summary_bytes;
    /* Computes the summaries stored next to the sketches; its
     * configuration (layout, summary size) is the one views search with. */
    struct maso_search *search;
    int batch_open;       /* a batch exists (one at a time) */
    /* Scans may begin and end in several threads.  The lock guards their
     * count and the decision to remap after another process grew the map,
     * which is only safe while none of our read transactions is live. */
    pthread_mutex_t lock;
    int scans_open;
    char errmsg[MASO_ERRMSG_SIZE];
};

/* -- env.c: messages, status mapping, transactions, map growth */
/* Record a failure message on the handle and return @p rc. */
#define store_fail(s, rc, ...) \
    maso_errmsg_format((s)->errmsg, (rc), __VA_ARGS__)
/* Record "<what>: <lmdb message>" and return @p rc unchanged. */
int store_mdb(maso_store *s, int rc, const char *what);
/* Map a raw LMDB code to a MASO_* code or errno; others pass through. */
int store_status(int rc);
/* Begin a transaction, picking up a map grown by another process.
 * The scan variants also count the transaction as an open scan. */
int store_txn_begin(maso_store *s, unsigned flags, MDB_txn **txn);
int store_scan_txn_begin(maso_store *s, MDB_txn **txn);
void store_scan_txn_end(maso_store *s, MDB_txn *txn);
/* Double the map (no transaction of this handle may be open). */
int store_grow(maso_store *s);
/* Ask the kernel to read [data, data + n) of the map ahead
 * (POSIX_MADV_WILLNEED): stores are opened without read-around (open.c), so a
 * pass over many pages asks for them.  Speed only: failures are ignored. */
void store_prefetch(const void *data, size_t n);

/* -- checksum.c: XXH3 checksums of stored values (schema 3) */
uint64_t store_sum(const void *data, size_t n, uint64_t seed);
/* Of a record value of @p size bytes, its bytes 12..15 left out. */
uint32_t store_record_sum(const uint8_t *value, size_t size, uint64_t id);
/* Of slot @p id of a block: its summary and sketch. */
uint64_t store_slot_sum(const maso_store *s, const uint8_t *summary,
                        const uint8_t *sketch, uint64_t id);
/* Of a block's header fields, presence bitmap and slot checksums. */
uint64_t store_block_header_sum(const maso_store *s, const uint8_t *value,
                                uint64_t number);
uint64_t store_meta_sum(const char *key, const void *data, size_t n);

/* -- codec.c: little-endian field encoding with bounds checks */
typedef struct store_writer {
    uint8_t *p;
    size_t len, cap;
    int err;
} store_writer;
void store_put_u32(store_writer *w, uint32_t v);
void store_put_u64(store_writer *w, uint64_t v);
void store_put_bytes(store_writer *w, const void *data, size_t n);
typedef struct store_reader {
    const uint8_t *p;
    size_t left;
    int err;
} store_reader;
uint32_t store_get_u32(store_reader *r);
uint64_t store_get_u64(store_reader *r);
const uint8_t *store_get_bytes(store_reader *r, size_t n);
uint32_t store_le32(const uint8_t *p);
uint64_t store_le64(const uint8_t *p);
void store_set_le32(uint8_t *p, uint32_t v);
void store_set_le64(uint8_t *p, uint64_t v);
void store_id_key(uint64_t id, uint8_t key[8]);
uint64_t store_key_id(const MDB_val *key); /* 0 when not 8 bytes */

/* -- identity.c: stored identity and layout, comparison */
int store_identity_encode(const maso_store_identity *id, store_writer *w);
int store_layout_encode(const maso_code_layer *l, size_t n, store_writer *w);
/* Parse into s->identity (owning copies in s). */
int store_identity_decode(maso_store *s, const MDB_val *identity,
                          const MDB_val *layout);
/* MASO_EMISMATCH with a message when @p expected differs from s->identity. */
int store_identity_compare(maso_store *s, const maso_store_identity *expected);
int store_identity_validate(maso_store *s, const maso_store_identity *id);

/* -- meta.c: schema, counters */
typedef struct store_counters {
    uint64_t next_id, ok, failed, codes;
} store_counters;
int store_meta_init(maso_store *s, MDB_txn *txn,
                    const maso_store_identity *id);
int store_meta_load(maso_store *s, MDB_txn *txn,
                    const maso_store_identity *expected);
int store_counters_read(maso_store *s, MDB_txn *txn, store_counters *c);
int store_counters_write(maso_store *s, MDB_txn *txn,
                         const store_counters *c);

/* -- blob.c: 64-byte aligned payload values (full codes) */
#define STORE_BLOB_PREFIX 48
#define STORE_CODE_MAGIC "MCD1"
#define STORE_ORIENTS_MAGIC "MOR1"
/* Bytes of one record's orientation sketches. */
#define STORE_ORIENTS_BYTES(s) (MASO_STORE_ORIENTS * maso_sketch_bytes((s)->sketch))
size_t store_blob_size(const maso_store *s, size_t payload);
/* With s->checksums, the payload's checksum goes to prefix bytes 16..23. */
void store_blob_fill(const maso_store *s, uint8_t *value, size_t value_size,
                     const char *magic, uint64_t id, const uint8_t *payload,
                     size_t n);
/* The payload of @p val, checked against magic, id (0: any) and size. */
const uint8_t *store_blob_payload(const MDB_val *val, const char *magic,
                                  uint64_t id, size_t n);
/* Whether the payload of blob @p id (from store_blob_payload) matches its
 * checksum: 0, or MASO_EDATA with a message.  Always 0 without checksums. */
int store_blob_verify(maso_store *s, const MDB_val *val, uint64_t id,
                      size_t n);
/* Fetch and check (checksum included) the blob of @p id; missing is
 * MASO_EDATA (callers know it must exist). */
int store_blob_get(maso_store *s, MDB_txn *txn, MDB_dbi dbi,
                   const char *magic, uint64_t id, size_t n,
                   const uint8_t **payload);

/* -- view.c: an engine for the store's sketch layout (default summary) */
int store_search_make(maso_store *s, const maso_sketch *sketch,
                      struct maso_search **search);

/* -- block.c: sketch blocks, key = id / B (8 bytes big-endian) */
#define STORE_BLOCK_MAGIC "MBK1"
#define STORE_BLOCK_HEADER 48 /* fixed fields */
#define STORE_BLOCK_BITMAP 64 /* presence bits, room for 512 slots */
#define STORE_BLOCK_MIN 8
#define STORE_BLOCK_MAX 512
#define STORE_BLOCK_DEFAULT 64
/* A parsed block value; pointers into the map (or a copy). */
typedef struct store_block {
    uint64_t number;
    const uint8_t *value;
    size_t size;
    const uint8_t *bits;      /* presence bitmap, slot i = bit i%8 of byte i/8 */
    const uint8_t *slot_sums; /* B u64 checksums (schema 3), else NULL */
    const uint8_t *summaries; /* B * summary_bytes */
    const uint8_t *sketches;  /* B * stride */
} store_block;
size_t store_block_size(const maso_store *s);
void store_block_init(const maso_store *s, uint8_t *value, uint64_t number);
/* Check a block's layout and (schema 3) its header checksum; the slots'
 * checksums are checked by store_block_slot_verify(). */
int store_block_parse(maso_store *s, uint64_t number, const MDB_val *v,
                      store_block *b);
/* MDB_NOTFOUND (no message) when the block does not exist. */
int store_block_get(maso_store *s, MDB_txn *txn, uint64_t number,
                    store_block *b);
static inline int store_block_has(const store_block *b, size_t slot)
{
    return (b->bits[slot / 8] >> (slot % 8)) & 1;
}
/* Slot @p slot's stored checksum (0 without checksums), and whether its
 * summary and sketch match it (0, or MASO_EDATA with a message). */
uint64_t store_block_slot_sum_stored(const store_block *b, size_t slot);
int store_block_slot_verify(maso_store *s, const store_block *b, size_t slot);
/* The sketch of OK record @p id, verified; missing is MASO_EDATA. */
int store_sketch_get(maso_store *s, MDB_txn *txn, uint64_t id,
                     const uint8_t **sketch);
/* Whether @p id has its presence bit set. */
int store_sketch_present(maso_store *s, MDB_txn *txn, uint64_t id,
                         int *present);

/* -- block_write.c: blocks modified by a commit, written once each */
typedef struct store_block_cache {
    uint64_t *numbers;
    uint8_t **values;
    size_t n, cap;
} store_block_cache;
/* Put (@p sketch and @p summary) or clear (@p sketch NULL) slot @p id. */
int store_blocks_set(maso_store *s, MDB_txn *txn, store_block_cache *c,
                     uint64_t id, const uint8_t *sketch,
                     const uint8_t *summary);
int store_blocks_flush(maso_store *s, MDB_txn *txn, store_block_cache *c);
void store_blocks_free(store_block_cache *c);

/* -- record.c: the "records" value */
#define STORE_RECORD_HEADER 32
#define STORE_FLAG_CODE 0x1u
typedef struct store_record_view {
    uint8_t status, flags;
    uint64_t size;
    int64_t mtime_ns;
    const char *path; /* NUL-terminated inside the map (schema 2) */
    size_t path_len;
    const char *reason;
    size_t reason_len;
} store_record_view;
int store_record_decode(maso_store *s, uint64_t id, const MDB_val *val,
                        store_record_view *v);
size_t store_record_size(size_t path_len, size_t reason_len);
/* Decoding verifies the checksum (schema 3): a damaged record is
 * MASO_EDATA with a message naming its id. */
void store_record_fill(const maso_store *s, uint8_t *value, uint64_t id,
                       const store_record_view *v);
int store_record_read(maso_store *s, MDB_txn *txn, uint64_t id,
                      store_record_view *v);

/* -- batch.c: delete the value of @p id in @p dbi (absent is fine) */
int store_del_id(maso_store *s, MDB_txn *txn, MDB_dbi dbi, uint64_t id,
                 const char *what);

/* -- check.c: the survey of a snapshot, shared with repair.c */
typedef struct store_damage_item {
    uint64_t id;
    const char *what; /* static: "record", "sketch", "full code", ... */
    char *path;       /* owned; NULL when unknown */
} store_damage_item;
typedef struct store_survey {
    store_damage_item *damaged; /* in id order */
    size_t n_damaged, cap_damaged;
    uint64_t *bad_blocks;       /* numbers of blocks with a damaged header */
    size_t n_bad_blocks, cap_bad_blocks;
    uint64_t *bad_slots;        /* ids whose slot fails its checksum */
    size_t n_bad_slots, cap_bad_slots;
    /* Of the intact records, and the present slots of intact blocks. */
    uint64_t ok, failed, codes, sketches, max_id;
    int counters_damaged;       /* counters unreadable: not checked */
    store_counters counters;
} store_survey;
/* Fill @p sv (free with store_survey_free() whatever the result); returns
 * 0, or an error that is not about single records. */
int store_survey_run(maso_store *s, MDB_txn *txn, store_survey *sv);
void store_survey_free(store_survey *sv);
/* The path of @p id from the path index (short paths only), malloc'ed
 * into *path, or NULL when none is found. */
int store_path_of_id(maso_store *s, MDB_txn *txn, uint64_t id, char **path);

/* -- paths.c: the path index */
int store_path_check(maso_store *s, const char *path);
int store_path_lookup(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t *id);
int store_path_insert(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t id);
int store_path_remove(maso_store *s, MDB_txn *txn, const char *path,
                      size_t len, uint64_t id);

#endif /* MASO_STORE_INTERNAL_H */
